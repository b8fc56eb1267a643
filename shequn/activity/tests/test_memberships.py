"""Join and leave activities and memberships, both ways (shequn.activity.memberships, history)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from django.utils import timezone

from shequn.activity.history import count_members_on, list_member_ids_on
from shequn.activity.models import Activity, ActivityKind, ActivitySource
from shequn.activity.services import IngestResult, ingest_activities, membership_event_id
from shequn.audit.models import AuditAction, AuditEntry
from shequn.members.counters import recount_members
from shequn.members.models import (
    Channel,
    Identity,
    Member,
    Membership,
    MembershipSource,
    MembershipStatus,
)
from shequn.members.services import add_membership, end_membership, join_open_community
from shequn.members.tests.factories import IdentityFactory, MemberFactory, MembershipFactory

pytestmark = pytest.mark.django_db


def event(n: int, kind: str, at: str, who: str = "u1", **overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": f"ev-{n}",
        "channel": "telegram",
        "kind": kind,
        "occurred_at": at,
        "actor": {"external_id": who, "display_name": f"成员{who}"},
        "community": "sh-salon",
    }
    row.update(overrides)
    return row


def ingest(org, rows, source: str = ActivitySource.IMPORT, **kwargs: Any) -> IngestResult:
    return ingest_activities(organization=org, rows=rows, source=source, actor=None, **kwargs)


def dt(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def assert_counters_exact(org) -> None:
    assert recount_members(organization_id=org.pk).total == 0


def test_a_join_creates_the_membership_at_its_time(org, community):
    ingest(org, [event(1, "join", "2025-03-01T10:00:00+08:00")])
    membership = Membership.objects.get()
    assert membership.member.identities.get().external_id == "u1"
    assert (membership.community_id, membership.status) == (community.pk, MembershipStatus.ACTIVE)
    assert membership.joined_at == dt("2025-03-01T10:00:00+08:00")
    assert membership.left_at is None
    assert membership.source == MembershipSource.IMPORT
    assert membership.member_sort_key == membership.member.sort_key
    community.refresh_from_db()
    assert community.member_count == 1
    assert membership.member.community_count == 1
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.object_id, entry.community_id) == (
        AuditAction.JOIN,
        str(membership.pk),
        community.pk,
    )


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (ActivitySource.API, MembershipSource.API),
        (ActivitySource.CHANNEL, MembershipSource.CHANNEL_SYNC),
        (ActivitySource.IMPORT, MembershipSource.IMPORT),
    ],
)
def test_the_membership_source_follows_the_ingest_source(org, community, source, expected):
    ingest(org, [event(1, "join", "2025-03-01T10:00:00+08:00")], source=source)
    assert Membership.objects.get().source == expected


def test_a_leave_ends_it_and_a_removal_is_recorded_as_such(org, community):
    ingest(
        org,
        [
            event(1, "join", "2025-03-01T10:00:00+08:00"),
            event(2, "join", "2025-03-02T10:00:00+08:00", who="u2"),
            event(3, "leave", "2025-04-01T10:00:00+08:00"),
            event(4, "leave", "2025-04-02T10:00:00+08:00", who="u2", properties={"removed": True}),
        ],
    )
    states = dict(Membership.objects.values_list("member__identities__external_id", "status"))
    assert states == {"u1": MembershipStatus.LEFT, "u2": MembershipStatus.REMOVED}
    assert Membership.objects.get(member__identities__external_id="u1").left_at == dt(
        "2025-04-01T10:00:00+08:00"
    )
    community.refresh_from_db()
    assert community.member_count == 0
    assert list(Member.objects.values_list("community_count", flat=True)) == [0, 0]
    assert_counters_exact(org)


def test_out_of_order_history_ends_in_the_latest_state(org, community):
    # Delivered newest first, over three batches.
    ingest(org, [event(3, "join", "2025-06-01T10:00:00+08:00")])
    ingest(org, [event(2, "leave", "2025-05-01T10:00:00+08:00")])
    ingest(org, [event(1, "join", "2025-04-01T10:00:00+08:00")])
    membership = Membership.objects.get()
    assert membership.status == MembershipStatus.ACTIVE
    assert membership.joined_at == dt("2025-06-01T10:00:00+08:00")
    assert membership.left_at is None
    assert_counters_exact(org)


def test_an_older_leave_does_not_end_a_newer_membership(org, community):
    ingest(org, [event(1, "join", "2025-06-01T10:00:00+08:00")])
    changed_before = AuditEntry.objects.count()
    ingest(org, [event(2, "leave", "2025-05-01T10:00:00+08:00")])
    membership = Membership.objects.get()
    assert membership.status == MembershipStatus.ACTIVE
    assert membership.joined_at == dt("2025-06-01T10:00:00+08:00")
    assert AuditEntry.objects.count() == changed_before
    community.refresh_from_db()
    assert community.member_count == 1


def test_an_older_join_moves_the_start_of_the_current_stint_back(org, community):
    ingest(org, [event(2, "join", "2025-06-01T10:00:00+08:00")])
    ingest(org, [event(1, "join", "2025-02-01T10:00:00+08:00")])
    assert Membership.objects.get().joined_at == dt("2025-02-01T10:00:00+08:00")
    community.refresh_from_db()
    assert community.member_count == 1


def test_a_newer_join_reactivates_an_ended_membership(org, community, member):
    membership = member.memberships.get()
    end_membership(actor=None, membership=membership, status=MembershipStatus.LEFT)
    later = timezone.now().isoformat()
    web = member.identities.get(channel=Channel.WEB)
    result = ingest(org, [event(1, "join", later, who=web.external_id, channel="web")])
    assert result.new == 1
    membership.refresh_from_db()
    assert membership.status == MembershipStatus.ACTIVE
    assert membership.joined_at == datetime.fromisoformat(later)
    assert membership.left_at is None
    member.refresh_from_db()
    assert member.community_count == 1
    assert_counters_exact(org)


def test_a_newer_leave_ends_a_console_membership(org, community, member):
    identity = IdentityFactory(
        member=member, organization=org, channel=Channel.TELEGRAM, external_id="tg-zhang"
    )
    ingest(org, [event(1, "leave", timezone.now().isoformat(), who=identity.external_id)])
    membership = member.memberships.get()
    assert membership.status == MembershipStatus.LEFT
    community.refresh_from_db()
    assert community.member_count == 0
    assert_counters_exact(org)


def test_a_lone_leave_records_no_membership(org, community):
    result = ingest(org, [event(1, "leave", "2025-05-01T10:00:00+08:00")])
    assert result.new == 1
    assert Membership.objects.count() == 0
    assert AuditEntry.objects.count() == 0


def test_join_and_leave_in_one_batch_of_many_members(org, community, other_community):
    rows = []
    for i in range(60):
        rows.append(event(i, "join", "2025-03-01T10:00:00+08:00", who=f"m{i}"))
        if i % 3 == 0:
            rows.append(event(1000 + i, "leave", "2025-04-01T10:00:00+08:00", who=f"m{i}"))
        if i % 5 == 0:
            rows.append(
                event(
                    2000 + i, "join", "2025-03-05T10:00:00+08:00", who=f"m{i}", community="bj-salon"
                )
            )
    ingest(org, rows)
    community.refresh_from_db()
    other_community.refresh_from_db()
    assert community.member_count == 40
    assert other_community.member_count == 12
    assert Membership.objects.filter(status=MembershipStatus.LEFT).count() == 20
    assert_counters_exact(org)
    # Delivered again: nothing changes.
    entries = AuditEntry.objects.count()
    assert ingest(org, rows).new == 0
    assert AuditEntry.objects.count() == entries


def test_capacity_and_closing_do_not_apply_to_history(org, community):
    community.capacity = 1
    community.save()
    ingest(
        org,
        [event(i, "join", "2025-03-01T10:00:00+08:00", who=f"m{i}") for i in range(3)],
    )
    community.refresh_from_db()
    assert community.member_count == 3


# --- shequn's own joins and leaves ---------------------------------------------------------


def test_a_console_join_and_removal_are_recorded_as_activities(org, community, org_admin, scope_of):
    person = MemberFactory(organization=org, display_name="韩梅梅")
    actor = scope_of(org_admin)
    membership = add_membership(actor=actor, member=person, community=community)
    join = Activity.objects.get()
    assert (join.kind, join.channel, join.source) == ("join", "web", "app")
    assert (join.member_id, join.identity_id, join.community_id) == (person.pk, None, community.pk)
    assert join.occurred_at == membership.joined_at
    assert join.external_id == membership_event_id("join", membership.pk, membership.joined_at)
    assert join.organization_id == org.pk
    membership = end_membership(actor=actor, membership=membership)
    leave = Activity.objects.get(kind=ActivityKind.LEAVE)
    assert leave.occurred_at == membership.left_at
    assert leave.properties == {"removed": True}
    # The effect was a no-op: counters and the membership are what the services wrote.
    membership.refresh_from_db()
    assert membership.status == MembershipStatus.REMOVED
    community.refresh_from_db()
    assert community.member_count == 0
    assert Identity.objects.count() == 0
    assert Member.objects.count() == 1
    assert_counters_exact(org)


def test_a_member_page_join_and_leave_use_the_web_identity(org, community, member):
    membership = member.memberships.get()
    end_membership(actor=None, membership=membership, status=MembershipStatus.LEFT)
    join_open_community(member=member, community=community)
    web = member.identities.get(channel=Channel.WEB)
    activities = list(
        Activity.objects.order_by("occurred_at").values_list("kind", "identity_id", "properties")
    )
    assert activities == [("leave", web.pk, {}), ("join", web.pk, {})]
    assert_counters_exact(org)


def test_rejoining_records_a_second_join(org, community, member):
    membership = member.memberships.get()
    end_membership(actor=None, membership=membership, status=MembershipStatus.LEFT)
    join_open_community(member=member, community=community)
    end_membership(actor=None, membership=membership, status=MembershipStatus.LEFT)
    join_open_community(member=member, community=community)
    assert Activity.objects.filter(kind="join").count() == 2
    assert Activity.objects.filter(kind="leave").count() == 2
    assert Membership.objects.get().status == MembershipStatus.ACTIVE


def test_a_sign_up_join_is_recorded(client, org, community):
    from shequn.portal.services import sign_up_and_join

    result = sign_up_and_join(
        community=community,
        display_name="新人",
        email="new@example.com",
        password="a-long-pass-phrase-42",
        site_url="http://testserver",
    )
    assert result.membership is not None
    join = Activity.objects.get()
    web = Identity.objects.get(channel=Channel.WEB, member=result.sign_up.member)
    assert (join.kind, join.identity_id, join.member_id) == ("join", web.pk, web.member_id)


# --- members on a past day -------------------------------------------------------------------


def test_members_on_past_days_follow_an_imported_history(org, community):
    ingest(
        org,
        [
            event(1, "join", "2025-03-01T10:00:00+08:00", who="a"),
            event(2, "join", "2025-03-05T23:30:00+08:00", who="b"),
            event(3, "leave", "2025-03-10T09:00:00+08:00", who="a"),
            event(4, "join", "2025-03-20T09:00:00+08:00", who="a"),
            # c was in before the history starts: their first event is a leave.
            event(5, "leave", "2025-03-08T09:00:00+08:00", who="c"),
            event(6, "message", "2025-03-02T09:00:00+08:00", who="d"),
        ],
    )
    ids = dict(Identity.objects.values_list("external_id", "member_id"))
    a, b, c = ids["a"], ids["b"], ids["c"]
    expected = {
        date(2025, 2, 28): [c],
        date(2025, 3, 1): [a, c],
        date(2025, 3, 5): [a, b, c],  # b joined 23:30 in Shanghai: still that day
        date(2025, 3, 8): [a, b],
        date(2025, 3, 10): [b],
        date(2025, 3, 20): [a, b],
        date(2026, 1, 1): [a, b],
    }
    for day, members in expected.items():
        assert list_member_ids_on(community, day) == sorted(members), day
        assert count_members_on(community, day) == len(members)
    # Today's answer agrees with the memberships.
    active = Membership.objects.filter(community=community, status=MembershipStatus.ACTIVE)
    assert sorted(active.values_list("member_id", flat=True)) == sorted([a, b])


def test_members_on_a_day_of_another_community_are_not_counted(org, community, other_community):
    ingest(org, [event(1, "join", "2025-03-01T10:00:00+08:00", community="bj-salon")])
    assert count_members_on(community, date(2025, 3, 2)) == 0
    assert count_members_on(other_community, date(2025, 3, 2)) == 1


def test_console_history_counts_on_past_days(org, community, org_admin, scope_of):
    people = [MemberFactory(organization=org) for _ in range(3)]
    actor = scope_of(org_admin)
    memberships = [add_membership(actor=actor, member=p, community=community) for p in people]
    end_membership(actor=actor, membership=memberships[0])
    today = timezone.localdate()
    assert count_members_on(community, today) == 2
    assert count_members_on(community, date(2020, 1, 1)) == 0


def test_membership_factory_rows_are_not_activities(org, community):
    MembershipFactory(community=community)
    assert Activity.objects.count() == 0
