"""Demo invite links (邀请链接) with attributed joins, so "who brought whom" has data.

`seed_demo_invitations` runs after `shequn.organizations.demo` built the demo organisation (and
after any other seeding that adds memberships): the organisation admin's own links, purpose links
("海报推广", "5月3日沙龙", one expired, one switched off) and the personal links of a few early
members in the three biggest active communities. Memberships that began after an inviter's own
join are attributed to them (about a third), with the membership's own join time, so the counts,
"still in" and the member panels are coherent. Deterministic (a seeded Random); written in bulk.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from django.db import transaction

from shequn.accounts.models import Operator, OperatorRole
from shequn.invitations.counters import recount_organization_links
from shequn.invitations.models import INVITE_CODE_LENGTH, InviteJoin, InviteLink
from shequn.invitations.services import CODE_ALPHABET
from shequn.members.models import Membership
from shequn.organizations.models import Community, CommunityStatus, Organization

SEED = 7007
INVITERS_PER_COMMUNITY = 4
ATTRIBUTED_SHARE = 0.35


def _code(rng: random.Random) -> str:
    return "".join(rng.choice(CODE_ALPHABET) for _ in range(INVITE_CODE_LENGTH))


@transaction.atomic
def seed_demo_invitations(*, organization: Organization, now: datetime) -> None:
    """Add the demo's invite links and their joins (nothing when the organisation has links)."""
    if InviteLink.objects.filter(organization=organization).exists():
        return
    rng = random.Random(SEED)  # noqa: S311 - demo data, not secrets
    admin = (
        Operator.objects.filter(organization=organization, role=OperatorRole.ORG_ADMIN)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    communities = list(
        Community.objects.filter(organization=organization, status=CommunityStatus.ACTIVE).order_by(
            "-member_count", "pk"
        )[:3]
    )
    if not communities:
        return
    links: list[InviteLink] = []

    def add(community: Community, **fields: object) -> InviteLink:
        link = InviteLink(organization=organization, community=community, code=_code(rng), **fields)
        links.append(link)
        return link

    first = communities[0]
    operator_links = []
    if admin is not None:
        for community in communities[:2]:
            operator_links.append(add(community, inviter_operator=admin, created_by=admin.user))
    add(first, purpose="海报推广", max_uses=200, created_by=admin.user if admin else None)
    add(first, purpose="5月3日沙龙", expires_at=now + timedelta(days=20), max_uses=60)
    add(first, purpose="春季招新（已结束）", expires_at=now - timedelta(days=10))
    add(communities[-1], purpose="旧海报", disabled_at=now - timedelta(days=3))

    memberships: dict[int, list[Membership]] = {}
    personal: list[tuple[InviteLink, Membership]] = []
    for community in communities:
        stints = list(Membership.objects.filter(community=community).order_by("joined_at", "pk"))
        memberships[community.pk] = stints
        for inviter in [m for m in stints if m.status == "active"][:INVITERS_PER_COMMUNITY]:
            link = add(community, inviter_member_id=inviter.member_id, is_personal=True)
            personal.append((link, inviter))
    InviteLink.objects.bulk_create(links)

    joins: list[InviteJoin] = []
    for community in communities:
        mine = [(link, m) for link, m in personal if link.community_id == community.pk]
        extra = [link for link in operator_links if link.community_id == community.pk]
        for stint in memberships[community.pk]:
            if rng.random() > ATTRIBUTED_SHARE:
                continue
            candidates = [
                link for link, m in mine if m.joined_at < stint.joined_at and m.pk != stint.pk
            ]
            candidates += extra
            if not candidates:
                continue
            link = rng.choice(candidates)
            joins.append(
                InviteJoin(
                    organization=organization,
                    community=community,
                    link=link,
                    membership=stint,
                    member_id=stint.member_id,
                    inviter_member_id=link.inviter_member_id,
                    inviter_operator_id=link.inviter_operator_id,
                    joined_at=stint.joined_at,
                )
            )
    InviteJoin.objects.bulk_create(joins, ignore_conflicts=True)
    recount_organization_links(organization.pk)
