"""Stage counts per organisation, chapter and community (`StageCount`), for the funnel pages.

`refresh_stage_counts` counts them again in three GROUP BY statements (after each recompute);
`move_stage_counts` moves one member from one stage to another in every scope they are in
(after a pin), with F() updates.
"""

from __future__ import annotations

import datetime

from django.db.models import F
from django.utils import timezone

from shequn.core.sqlsets import execute
from shequn.ladder.models import StageCount
from shequn.members.models import Member, Membership, MembershipStatus
from shequn.organizations.models import Organization


def refresh_stage_counts(organization: Organization, at: datetime.datetime | None = None) -> None:
    """Count every scope's members per stage again; call inside a transaction."""
    at = at or timezone.now()
    org = organization.pk
    execute("DELETE FROM ladder_stagecount WHERE organization_id = %s", [org])
    insert = (
        "INSERT INTO ladder_stagecount (organization_id, scope, scope_id, stage, members, "
        "counted_at) "
    )
    execute(
        insert  # noqa: S608 - constant names
        + """SELECT %s, 'org', 0, s.stage, COUNT(*), %s FROM ladder_memberstage s
        WHERE s.organization_id = %s GROUP BY s.stage""",
        [org, at, org],
    )
    execute(
        insert  # noqa: S608
        + """SELECT %s, 'community', ms.community_id, s.stage, COUNT(*), %s
        FROM members_membership ms
        JOIN organizations_community c ON c.id = ms.community_id
        JOIN ladder_memberstage s ON s.member_id = ms.member_id
        WHERE c.organization_id = %s AND ms.status = 'active'
        GROUP BY ms.community_id, s.stage""",
        [org, at, org],
    )
    execute(
        insert  # noqa: S608
        + """SELECT %s, 'chapter', u.chapter_id, s.stage, COUNT(*), %s
        FROM (
          SELECT c.chapter_id AS chapter_id, ms.member_id AS member_id
          FROM members_membership ms JOIN organizations_community c ON c.id = ms.community_id
          WHERE c.organization_id = %s AND ms.status = 'active' AND c.chapter_id IS NOT NULL
          UNION
          SELECT m.chapter_id, m.id FROM members_member m
          WHERE m.organization_id = %s AND m.chapter_id IS NOT NULL
            AND m.merged_into_id IS NULL
        ) u JOIN ladder_memberstage s ON s.member_id = u.member_id
        GROUP BY u.chapter_id, s.stage""",
        [org, at, org, org],
    )


def _scopes(member: Member) -> list[tuple[str, int]]:
    scopes: list[tuple[str, int]] = [(StageCount.Scope.ORGANIZATION, 0)]
    chapters: set[int] = set()
    if member.chapter_id is not None:
        chapters.add(member.chapter_id)
    for community_id, chapter_id in Membership.objects.filter(
        member=member, status=MembershipStatus.ACTIVE
    ).values_list("community_id", "community__chapter_id"):
        scopes.append((StageCount.Scope.COMMUNITY, community_id))
        if chapter_id is not None:
            chapters.add(chapter_id)
    scopes += [(StageCount.Scope.CHAPTER, chapter_id) for chapter_id in sorted(chapters)]
    return scopes


def move_stage_counts(member: Member, old: int | None, new: int) -> None:
    """One member moved from `old` (None: newly placed) to `new`; inside a transaction."""
    if old == new:
        return
    now = timezone.now()
    for scope, scope_id in _scopes(member):
        key = {"organization_id": member.organization_id, "scope": scope, "scope_id": scope_id}
        if old is not None:
            StageCount.objects.filter(**key, stage=old, members__gt=0).update(
                members=F("members") - 1
            )
        row, created = StageCount.objects.get_or_create(
            **key, stage=new, defaults={"members": 1, "counted_at": now}
        )
        if not created:
            StageCount.objects.filter(pk=row.pk).update(members=F("members") + 1)
