"""Migration 0003 records a join (and a leave, for ended memberships) for every membership
that existed before the activity stream; its reverse removes exactly those."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = ("activity", "0002_activity_membership_history")
AFTER = ("activity", "0003_backfill_membership_activities")


def _migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)
    return executor.loader.project_state(target).apps


@pytest.mark.django_db(transaction=True)
def test_memberships_get_their_join_and_leave_activities():
    apps = _migrate([BEFORE])
    organization = apps.get_model("organizations", "Organization")
    community_model = apps.get_model("organizations", "Community")
    member_model = apps.get_model("members", "Member")
    identity_model = apps.get_model("members", "Identity")
    membership_model = apps.get_model("members", "Membership")
    user_model = apps.get_model("auth", "User")
    joined = datetime(2025, 3, 1, 2, 0, tzinfo=UTC)
    left = datetime(2025, 4, 1, 2, 0, tzinfo=UTC)
    try:
        org = organization.objects.create(name="培经", slug="pj")
        community = community_model.objects.create(
            organization=org, kind="regional", name="沙龙", slug="salon", starts_at=joined
        )
        user = user_model.objects.create(username="a@example.com")
        web_member = member_model.objects.create(organization=org, display_name="甲", user=user)
        web = identity_model.objects.create(
            organization=org, member=web_member, channel="web", external_id=str(user.pk)
        )
        plain = member_model.objects.create(organization=org, display_name="乙")
        gone = member_model.objects.create(organization=org, display_name="丙")
        active = membership_model.objects.create(
            member=web_member, community=community, joined_at=joined
        )
        other = membership_model.objects.create(member=plain, community=community, joined_at=joined)
        ended = membership_model.objects.create(
            member=gone, community=community, joined_at=joined, status="removed", left_at=left
        )
        stamp = int(joined.timestamp() * 1000)
        apps = _migrate([AFTER])
        activity = apps.get_model("activity", "Activity")
        rows = set(
            activity.objects.values_list(
                "external_id", "kind", "member_id", "identity_id", "community_id", "occurred_at"
            )
        )
        assert rows == {
            (
                f"shequn:join:{active.pk}:{stamp}",
                "join",
                web_member.pk,
                web.pk,
                community.pk,
                joined,
            ),
            (f"shequn:join:{other.pk}:{stamp}", "join", plain.pk, None, community.pk, joined),
            (f"shequn:join:{ended.pk}:{stamp}", "join", gone.pk, None, community.pk, joined),
            (
                f"shequn:leave:{ended.pk}:{int(left.timestamp() * 1000)}",
                "leave",
                gone.pk,
                None,
                community.pk,
                left,
            ),
        }
        leave = activity.objects.get(kind="leave")
        assert leave.properties == {"backfilled": True, "removed": True}
        assert set(activity.objects.values_list("source", "channel")) == {("app", "web")}
        apps = _migrate([BEFORE])
        assert apps.get_model("activity", "Activity").objects.count() == 0
        assert apps.get_model("members", "Membership").objects.count() == 3
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
