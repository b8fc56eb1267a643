"""Awards from the activity stream through Huey, against hand-computed expectations."""

from __future__ import annotations

import pytest

from shequn.activity.models import ActivitySource
from shequn.activity.services import ingest_activities
from shequn.members.models import Member
from shequn.points.awards import award_points
from shequn.points.models import EntryReason, LedgerEntry, MemberPoints, PointRule
from shequn.points.services import install_default_rules
from shequn.profiles.tests.helpers import act, at

pytestmark = pytest.mark.django_db


def _row(
    i: int, kind: str, when: str, *, actor: str = "wm-1", **extra: object
) -> dict[str, object]:
    return {
        "id": f"p-{i}",
        "channel": "wecom",
        "kind": kind,
        "occurred_at": when,
        "actor": {"external_id": actor},
        **extra,
    }


def test_ingested_twice_awards_once_through_huey(
    org, community, huey_immediate, django_capture_on_commit_callbacks
) -> None:
    PointRule.objects.create(organization=org, kind="check_in", points=5)
    rows = [
        _row(i, "check_in", f"2026-11-2{i}T09:00:00+08:00", community=community.slug)
        for i in range(1, 4)
    ]
    for _delivery in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            ingest_activities(organization=org, rows=rows, source=ActivitySource.API, actor=None)
        tasks = [t for t in huey_immediate.scheduled() if t.name == "award_pending"]
        for task in tasks:
            huey_immediate.execute(task, timestamp=task.eta)
    member = Member.objects.get(organization=org, identities__external_id="wm-1")
    assert LedgerEntry.objects.filter(member=member).count() == 3
    assert MemberPoints.objects.get(pk=member.pk).balance == 15
    # A sweep (or a second job) later writes nothing more.
    assert award_points(org).entries == 0
    assert MemberPoints.objects.get(pk=member.pk).balance == 15


def test_daily_cap_cooldown_override_and_penalty(org, community, other_community, member) -> None:
    PointRule.objects.create(organization=org, kind="message", points=1, daily_cap=3)
    PointRule.objects.create(organization=org, kind="post", points=3, cooldown_minutes=60)
    # In other_community, messages earn nothing (a switched-off override).
    PointRule.objects.create(
        organization=org, community=other_community, kind="message", points=1, is_active=False
    )
    PointRule.objects.create(organization=org, kind="custom", custom_name="violation", points=-20)
    # Shanghai days: 5 messages on 11-20 (cap 3), one at 23:59 and one at 00:01 the next day.
    for minute in range(5):
        act(member, community, "message", at("2026-11-20", f"10:0{minute}"))
    act(member, community, "message", at("2026-11-20", "23:59"))
    act(member, community, "message", at("2026-11-21", "00:01"))
    act(member, other_community, "message", at("2026-11-21", "10:00"))
    # Posts: 10:05 and 10:40 share the 10:00–11:00 UTC+8 slot? slots are UTC hours: 02:00 UTC.
    act(member, community, "post", at("2026-11-20", "10:05"))
    act(member, community, "post", at("2026-11-20", "10:40"))
    act(member, community, "post", at("2026-11-20", "11:10"))
    act(member, community, "custom", at("2026-11-22"), properties={"name": "violation"})
    result = award_points(org)
    entries = LedgerEntry.objects.filter(member=member)
    by_kind = {
        (r, d): entries.filter(reason=r, delta=d).count()
        for r, d in ((EntryReason.AWARD, 1), (EntryReason.AWARD, 3), (EntryReason.PENALTY, -20))
    }
    # Messages: 3 on the 20th (the cap; 23:59 is over it), 1 on the 21st; other group: none.
    # Posts: one per hour slot: 10:05 and 11:10. The penalty.
    assert by_kind == {
        (EntryReason.AWARD, 1): 4,
        (EntryReason.AWARD, 3): 2,
        (EntryReason.PENALTY, -20): 1,
    }
    assert result.entries == 7
    points = MemberPoints.objects.get(pk=member.pk)
    # A penalty may take the balance below zero: 4 + 6 − 20.
    assert (points.balance, points.earned) == (-10, 10)
    # Activities arriving later for the same day count against the cap already reached.
    act(member, community, "message", at("2026-11-20", "12:00"))
    assert award_points(org).entries == 0


def test_default_rules_and_no_points_without_rules(org, community, member) -> None:
    act(member, community, "check_in", at("2026-11-20"))
    assert award_points(org).entries == 0  # no rule yet: the activity is read, not priced
    assert install_default_rules(org.pk) == 9
    assert install_default_rules(org.pk) == 0
    act(member, community, "check_in", at("2026-11-21"))
    act(member, community, "join", at("2026-11-21"))
    award_points(org)
    # The first check-in was recorded in the last 2 minutes: read again, now priced; the
    # join earns nothing.
    assert list(LedgerEntry.objects.values_list("delta", "reason")) == [(5, "award")] * 2
