"""The incremental recompute through Huey: ingesting activities marks their members, the job
computes them shortly after, outside the ingestion's transaction."""

from __future__ import annotations

import pytest

from shequn.activity.models import ActivitySource
from shequn.activity.services import ingest_activities
from shequn.ladder.models import MemberStage, Stage
from shequn.layers.models import MembershipLayer
from shequn.members.models import Member
from shequn.profiles.models import PendingRecompute, RecomputeKind, RecomputeRun
from shequn.profiles.tasks import sweep_pending_recomputes

pytestmark = pytest.mark.django_db(transaction=False)


def _rows(n: int, community_slug: str) -> list[dict[str, object]]:
    return [
        {
            "id": f"inc-{i}",
            "channel": "wecom",
            "kind": "message",
            "occurred_at": f"2026-11-2{i % 9}T10:00:00+08:00",
            "actor": {"external_id": "wm-1"},
            "community": community_slug,
            "text": "你好",
        }
        for i in range(n)
    ]


def test_ingest_marks_and_the_job_computes(
    org, community, huey_immediate, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        result = ingest_activities(
            organization=org,
            rows=[
                *_rows(6, community.slug),
                {**_rows(1, community.slug)[0], "id": "j", "kind": "join"},
            ],
            source=ActivitySource.API,
            actor=None,
        )
    assert result.new == 7
    member = Member.objects.get(organization=org, identities__external_id="wm-1")
    # Marked in the ingestion's transaction; nothing computed inside it.
    assert list(PendingRecompute.objects.values_list("member_id", flat=True)) == [member.pk]
    assert not MemberStage.objects.filter(member=member).exists()
    [task] = [t for t in huey_immediate.scheduled() if t.name == "recompute_pending"]
    assert tuple(task.args) == (org.pk,)
    assert huey_immediate.execute(task, timestamp=task.eta) == 1
    row = MemberStage.objects.get(member=member)
    assert row.stage in (Stage.UNDERSTANDS, Stage.ACQUAINTED)
    assert MembershipLayer.objects.filter(member=member, community=community).count() == 1
    assert PendingRecompute.objects.count() == 0
    run = RecomputeRun.objects.get(kind=RecomputeKind.INCREMENTAL)
    assert (run.members, run.stage_changes) == (1, 1)
    # Running it again (a second delivery, the sweeper) finds nothing to do.
    huey_immediate.execute(task, timestamp=task.eta)
    assert sweep_pending_recomputes.call_local() == 0
    assert RecomputeRun.objects.filter(kind=RecomputeKind.INCREMENTAL).count() == 1


def test_a_duplicate_delivery_marks_nobody(
    org, community, django_capture_on_commit_callbacks
) -> None:
    ingest_activities(organization=org, rows=_rows(2, community.slug), source="api", actor=None)
    PendingRecompute.objects.all().delete()
    result = ingest_activities(
        organization=org, rows=_rows(2, community.slug), source="api", actor=None
    )
    assert (result.new, result.duplicate) == (0, 2)
    assert PendingRecompute.objects.count() == 0
