"""Levels (docs/points.md): named thresholds of lifetime earnings, and reaching them.

A member's level is the highest one whose threshold their earnings reach; it is brought in
line in the transaction of every ledger write (`check_level` for one member, `update_levels`
for the members of an awards batch). Each change keeps a `LevelChange`; after commit the job
`announce_level_changes` records a `level_up` activity for each move up and emails the member
when an address is known (the member page shows the change until seen).
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from shequn.core.sqlsets import execute, fetch
from shequn.members.models import Member
from shequn.organizations.models import Organization
from shequn.points.models import Level, LevelChange, MemberPoints

# The defaults: a growth curve, named as a Chinese operator would (docs/points.md).
DEFAULT_LEVELS = (
    (1, _("Newcomer"), 0, "🌱"),
    (2, _("Member"), 50, "🌿"),
    (3, _("Active member"), 200, "🍀"),
    (4, _("Mainstay"), 500, "🌳"),
    (5, _("Core member"), 1000, "⭐"),
    (6, _("Senior member"), 2000, "🌟"),
    (7, _("Star member"), 4000, "💫"),
    (8, _("Honoured member"), 8000, "🏅"),
    (9, _("Elder"), 15000, "👑"),
)


def ensure_levels(organization: Organization) -> list[Level]:
    """The organisation's levels; the defaults (in the default language) on first use."""
    levels = list(Level.objects.filter(organization=organization).order_by("number"))
    if levels:
        return levels
    with translation.override(settings.LANGUAGE_CODE):
        Level.objects.bulk_create(
            [
                Level(organization=organization, number=n, name=str(name), threshold=t, badge=b)
                for n, name, t, b in DEFAULT_LEVELS
            ],
            ignore_conflicts=True,
        )
    return list(Level.objects.filter(organization=organization).order_by("number"))


def level_for(levels: list[Level], earned: int) -> Level | None:
    reached = [level for level in levels if level.threshold <= earned]
    return max(reached, key=lambda level: level.threshold) if reached else None


def check_level(member: Member) -> LevelChange | None:
    """Bring one member's level in line with their earnings; in the ledger transaction."""
    points = MemberPoints.objects.select_related("level").get(pk=member.pk)
    target = level_for(ensure_levels(member.organization), points.earned)
    if (target.pk if target else None) == points.level_id:
        return None
    MemberPoints.objects.filter(pk=member.pk).update(level=target)
    if target is None:
        return None
    change = LevelChange.objects.create(
        organization_id=member.organization_id,
        member_id=member.pk,
        from_number=points.level.number if points.level else None,
        to_number=target.number,
        earned=points.earned,
        occurred_at=timezone.now(),
    )
    _announce_after_commit(member.organization_id)
    return change


def update_levels(organization: Organization, *, touched_at: datetime.datetime) -> int:
    """Bring the levels of the members an awards batch touched (entries written at
    `touched_at`) in line, in sets; how many changed."""
    ensure_levels(organization)
    best = """(SELECT l.id FROM points_level l WHERE l.organization_id = %s
        AND l.threshold <= p.earned ORDER BY l.threshold DESC LIMIT 1)"""
    touched = """SELECT DISTINCT e.member_id FROM points_ledgerentry e
        WHERE e.organization_id = %s AND e.created_at = %s AND e.activity_id IS NOT NULL"""
    rows = fetch(
        f"""
        SELECT p.member_id, p.level_id, {best} AS target, p.earned FROM points_memberpoints p
        WHERE p.member_id IN ({touched})
        """,  # noqa: S608 - constants and placeholders only
        [organization.pk, organization.pk, touched_at],
    )
    changed = [(m, old, new, earned) for m, old, new, earned in rows if old != new]
    if not changed:
        return 0
    numbers = dict(Level.objects.filter(organization=organization).values_list("pk", "number"))
    execute(
        f"""
        UPDATE points_memberpoints SET level_id = (
          SELECT l.id FROM points_level l WHERE l.organization_id = %s
            AND l.threshold <= points_memberpoints.earned ORDER BY l.threshold DESC LIMIT 1)
        WHERE points_memberpoints.member_id IN ({touched})
        """,  # noqa: S608
        [organization.pk, organization.pk, touched_at],
    )
    LevelChange.objects.bulk_create(
        [
            LevelChange(
                organization_id=organization.pk,
                member_id=member_id,
                from_number=numbers.get(old) if old else None,
                to_number=numbers[new],
                earned=earned,
                occurred_at=touched_at,
            )
            for member_id, old, new, earned in changed
            if new is not None
        ],
        batch_size=2000,
    )
    _announce_after_commit(organization.pk)
    return len(changed)


def _announce_after_commit(organization_id: int) -> None:
    from shequn.points.tasks import announce_level_changes

    transaction.on_commit(lambda: announce_level_changes(organization_id))
