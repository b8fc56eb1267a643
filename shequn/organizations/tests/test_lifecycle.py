"""The community lifecycle jobs (docs/jobs.md), run through Huey in immediate mode.

`huey_immediate` switches djhuey's HUEY to immediate mode (tasks run when enqueued, scheduled
ones wait in memory) for one test and restores it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from huey.api import Huey
from huey.contrib.djhuey import HUEY

from shequn.accounts.selectors import build_scope
from shequn.audit.models import AuditAction, AuditEntry
from shequn.organizations.models import Chapter, Community, CommunityKind, CommunityStatus
from shequn.organizations.services import (
    archive_community,
    create_community,
    restore_community,
    update_community,
)
from shequn.organizations.tasks import close_community, close_expired_communities
from shequn.organizations.tests.factories import CommunityFactory


def _ended(chapter: Chapter, kind: str, *, hours_ago: float = 1, slug: str = "") -> Community:
    """A community of `kind` whose end passed `hours_ago` hours ago (still active)."""
    now = timezone.now()
    return CommunityFactory(
        chapter=chapter,
        organization=chapter.organization,
        kind=kind,
        starts_at=now - timedelta(days=30),
        ends_at=now - timedelta(hours=hours_ago),
        **({"slug": slug} if slug else {}),
    )


def _scheduled(huey: Huey) -> list[tuple[str, tuple[object, ...], datetime | None]]:
    return [
        (t.name, tuple(t.args), t.eta)
        for t in huey.scheduled()
        if t.name not in ("recompute_pending", "award_pending")  # derived data: own tests
    ]


def _huey_eta(moment: datetime) -> datetime:
    """How Huey (utc=False) stores an eta: naive local time, whole seconds."""
    return timezone.make_naive(moment).replace(microsecond=0)


def test_huey_settings_run_jobs_in_a_consumer_not_in_the_request() -> None:
    config: dict[str, Any] = settings.HUEY
    assert config["immediate"] is False
    assert config["utc"] is False
    assert HUEY.immediate is False
    consumer = config["consumer"]
    assert consumer["periodic"] is True
    if config["huey_class"] == "huey.SqliteHuey":
        assert consumer["initial_delay"] <= 0.25
        assert consumer["max_delay"] <= 1.0


def test_the_sweeper_is_on_the_schedule_every_minute() -> None:
    for minute in (0, 1, 17, 59):
        moment = datetime(2026, 12, 2, 8, minute)
        due = {task.name for task in HUEY.read_periodic(moment)}
        assert "close_expired_communities" in due


@pytest.mark.parametrize(
    ("kind", "status"),
    [
        (CommunityKind.LEAD_GEN, CommunityStatus.DISSOLVED),
        (CommunityKind.NEW_MEMBER, CommunityStatus.ARCHIVED),
        (CommunityKind.TRAINING_CAMP, CommunityStatus.ARCHIVED),
        (CommunityKind.DELIVERY, CommunityStatus.ARCHIVED),
    ],
)
def test_close_community_closes_by_the_kind_policy_once(huey_immediate, chapter, kind, status):
    community = _ended(chapter, kind)
    counted = Chapter.objects.get(pk=chapter.pk).community_count
    assert close_community(community.pk).get() is True
    assert close_community(community.pk).get() is False  # twice: one closure
    community.refresh_from_db()
    assert community.status == status
    assert community.closed_by_policy_at is not None
    if status == CommunityStatus.ARCHIVED:
        assert community.archived_at == community.closed_by_policy_at
    else:
        assert community.archived_at is None
    entry = AuditEntry.objects.get()
    action = AuditAction.DISSOLVE if status == CommunityStatus.DISSOLVED else AuditAction.ARCHIVE
    assert (entry.action, entry.actor_id, entry.actor_name) == (action, None, "")
    assert (entry.community_id, entry.chapter_id) == (community.pk, chapter.pk)
    assert entry.changes == {"status": ["active", status]}
    assert Chapter.objects.get(pk=chapter.pk).community_count == counted - 1


@pytest.mark.parametrize("kind", [CommunityKind.CORE_FANS, CommunityKind.REGIONAL])
def test_open_ended_kinds_never_close(huey_immediate, chapter, kind):
    community = _ended(chapter, kind, hours_ago=24 * 10)
    assert close_community(community.pk).get() is False
    close_expired_communities()
    community.refresh_from_db()
    assert (community.status, community.closed_by_policy_at) == (CommunityStatus.ACTIVE, None)
    assert not AuditEntry.objects.exists()


def test_not_yet_at_its_end_or_gone_is_a_no_op(huey_immediate, chapter):
    future = CommunityFactory(
        chapter=chapter,
        organization=chapter.organization,
        kind=CommunityKind.LEAD_GEN,
        ends_at=timezone.now() + timedelta(minutes=5),
    )
    assert close_community(future.pk).get() is False
    assert close_community(999_999).get() is False
    future.refresh_from_db()
    assert future.status == CommunityStatus.ACTIVE
    assert not AuditEntry.objects.exists()


def test_an_archived_community_past_its_end_is_left_alone(huey_immediate, chapter, org_admin):
    community = _ended(chapter, CommunityKind.LEAD_GEN)
    archive_community(actor=build_scope(org_admin), community=community)
    assert close_community(community.pk).get() is False
    community.refresh_from_db()
    assert (community.status, community.closed_by_policy_at) == (CommunityStatus.ARCHIVED, None)
    assert list(AuditEntry.objects.values_list("action", flat=True)) == [AuditAction.ARCHIVE]


def test_sweeper_closes_everything_due_and_only_that(huey_immediate, chapter, other_chapter):
    lead = _ended(chapter, CommunityKind.LEAD_GEN, hours_ago=3)
    camp = _ended(other_chapter, CommunityKind.TRAINING_CAMP, hours_ago=0.01)
    fans = _ended(chapter, CommunityKind.CORE_FANS, hours_ago=48)
    later = CommunityFactory(
        chapter=chapter,
        organization=chapter.organization,
        kind=CommunityKind.DELIVERY,
        ends_at=timezone.now() + timedelta(hours=2),
    )
    close_expired_communities()  # Huey keeps no result of a periodic task: look at the rows
    close_expired_communities()  # the next minute: nothing left to do
    statuses = dict(Community.objects.values_list("pk", "status"))
    assert statuses[lead.pk] == CommunityStatus.DISSOLVED
    assert statuses[camp.pk] == CommunityStatus.ARCHIVED
    assert statuses[fans.pk] == CommunityStatus.ACTIVE
    assert statuses[later.pk] == CommunityStatus.ACTIVE
    assert sorted(AuditEntry.objects.values_list("community_id", "action")) == sorted(
        [(lead.pk, AuditAction.DISSOLVE), (camp.pk, AuditAction.ARCHIVE)]
    )


def test_creating_a_community_schedules_its_closure_at_its_end(
    huey_immediate, org_admin, chapter, django_capture_on_commit_callbacks
):
    actor = build_scope(org_admin)
    starts = timezone.now()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        lead = create_community(
            actor=actor, chapter=chapter, kind=CommunityKind.LEAD_GEN, name="引流群", slug=""
        )
        fans = create_community(
            actor=actor, chapter=chapter, kind=CommunityKind.CORE_FANS, name="铁粉群", slug=""
        )
    assert len(callbacks) == 1  # only the lead-gen group closes at its end
    assert lead.ends_at is not None
    assert fans.ends_at is None
    [(name, args, eta)] = _scheduled(huey_immediate)
    assert (name, args) == ("close_community", (lead.pk,))
    # Huey keeps local (Asia/Shanghai) naive times: utc=False.
    assert eta == _huey_eta(lead.ends_at)
    assert lead.ends_at - starts >= timedelta(hours=48)
    lead.refresh_from_db()
    assert lead.status == CommunityStatus.ACTIVE  # not before its end


def test_moving_the_end_reschedules_and_the_old_schedule_is_harmless(
    huey_immediate, org_admin, chapter, django_capture_on_commit_callbacks
):
    actor = build_scope(org_admin)
    community = _ended(chapter, CommunityKind.TRAINING_CAMP, hours_ago=-5)  # ends in 5 hours
    new_end = timezone.now() + timedelta(days=3)
    with django_capture_on_commit_callbacks(execute=True):
        update_community(actor=actor, community=community, data={"ends_at": new_end})
    [(name, args, eta)] = _scheduled(huey_immediate)
    assert (name, args, eta) == ("close_community", (community.pk,), _huey_eta(new_end))
    # Moved into the past: the task runs at once and closes it.
    past = timezone.now() - timedelta(minutes=1)
    with django_capture_on_commit_callbacks(execute=True):
        update_community(actor=actor, community=community, data={"ends_at": past})
    community.refresh_from_db()
    assert community.status == CommunityStatus.ARCHIVED
    assert AuditEntry.objects.filter(action=AuditAction.ARCHIVE, actor=None).count() == 1


def test_restore_after_the_end_needs_a_later_end_first(
    huey_immediate, org_admin, chapter, django_capture_on_commit_callbacks
):
    actor = build_scope(org_admin)
    community = _ended(chapter, CommunityKind.NEW_MEMBER)
    close_community(community.pk)
    community.refresh_from_db()
    assert community.status == CommunityStatus.ARCHIVED
    entries = AuditEntry.objects.count()
    with pytest.raises(ValidationError) as exc:
        restore_community(actor=actor, community=community)
    assert exc.value.error_list[0].code == "past_end"
    community.refresh_from_db()
    assert community.status == CommunityStatus.ARCHIVED
    assert AuditEntry.objects.count() == entries
    later = timezone.now() + timedelta(days=2)
    update_community(actor=actor, community=community, data={"ends_at": later})
    with django_capture_on_commit_callbacks(execute=True):
        restore_community(actor=actor, community=community)
    community.refresh_from_db()
    assert (community.status, community.archived_at) == (CommunityStatus.ACTIVE, None)
    assert ("close_community", (community.pk,), _huey_eta(later)) in _scheduled(huey_immediate)
