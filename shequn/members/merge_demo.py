"""Duplicate accounts for the demo organisation, so the merge queue shows something on
`make run` (called by the demo loader after the members exist)."""

from __future__ import annotations

from django.db import transaction

from shequn.core.collation import sort_key_for
from shequn.members.merge_suggestions import RefreshResult, refresh_merge_suggestions
from shequn.members.models import Channel, Identity, Member
from shequn.members.search import index_member_names
from shequn.organizations.models import Organization

PREFIX = "demo-dup-"


def _duplicate(
    organization: Organization, original: Member, name: str, channel: str, n: int, **profile: str
) -> Member | None:
    """A second member (as ingestion creates one for an unknown account) with one identity."""
    external_id = f"{PREFIX}{n}"
    if Identity.objects.filter(
        organization=organization, channel=channel, external_id=external_id
    ).exists():
        return None  # seeded before
    member = Member.objects.create(
        organization=organization,
        chapter=original.chapter,
        display_name=name,
        sort_key=sort_key_for(name),
    )
    index_member_names([member.pk])
    Identity.objects.create(
        organization=organization,
        member=member,
        channel=channel,
        external_id=external_id,
        display_name=name,
        **profile,
    )
    return member


@transaction.atomic
def seed_demo_merge_candidates(organization: Organization) -> RefreshResult:
    """A few realistic duplicates, then the suggestions found for them:

    - two members' Telegram accounts giving the phone their records have (同一手机号);
    - a WeCom external contact with the unionid of a member's WeChat account;
    - a Discord account with the username of a member's Telegram account;
    - a namesake in the same chapter: a different person (same name, low confidence).
    """
    members = list(
        Member.objects.filter(
            organization=organization, merged_into__isnull=True, chapter__isnull=False
        )
        .exclude(phone="")
        .order_by("pk")[:6]
    )
    if len(members) < 5:
        return refresh_merge_suggestions(organization)
    a, b, c, d, e = members[:5]
    _duplicate(organization, a, a.display_name, Channel.TELEGRAM, 1, phone=a.phone)
    _duplicate(organization, b, b.display_name, Channel.TELEGRAM, 2, phone=b.phone)
    union_id = "oDemoUnion0003"  # stable: ids differ between loads, the demo must not
    Identity.objects.get_or_create(
        organization=organization,
        channel=Channel.WECHAT,
        external_id=f"{PREFIX}wx-3",
        defaults={"member": c, "display_name": c.display_name, "union_id": union_id},
    )
    _duplicate(organization, c, c.display_name, Channel.WECOM, 3, union_id=union_id)
    handle = "xiaoyu_2026"
    Identity.objects.get_or_create(
        organization=organization,
        channel=Channel.TELEGRAM,
        external_id=f"{PREFIX}tg-4",
        defaults={"member": d, "display_name": d.display_name, "username": handle},
    )
    _duplicate(organization, d, d.display_name, Channel.DISCORD, 4, username=handle)
    _duplicate(organization, e, e.display_name, Channel.QQ, 5)  # a namesake, another person
    return refresh_merge_suggestions(organization)
