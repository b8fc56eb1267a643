"""Joins and leaves recorded before the activity stream: one `join` activity per membership
(at `joined_at`), and a `leave` (at `left_at`) for every membership that ended.

The ids are those shequn's own events use (shequn.activity.services.membership_event_id), so a
membership's activities are the same whether backfilled or recorded live, and running this
again adds nothing. The rows carry `properties.backfilled`, which the reverse deletes by.
"""

from django.db import migrations
from django.db.models import Q

CHUNK = 2000


def _event_id(kind, membership_pk, at):
    return f"shequn:{kind}:{membership_pk}:{int(at.timestamp() * 1000)}"


def backfill(apps, schema_editor):
    Activity = apps.get_model("activity", "Activity")
    Identity = apps.get_model("members", "Identity")
    Membership = apps.get_model("members", "Membership")
    db = schema_editor.connection.alias
    memberships = (
        Membership.objects.using(db)
        .order_by("pk")
        .values_list(
            "pk",
            "member_id",
            "member__user_id",
            "community_id",
            "community__organization_id",
            "status",
            "joined_at",
            "left_at",
        )
    )
    last = 0
    while True:
        chunk = list(memberships.filter(pk__gt=last)[:CHUNK])
        if not chunk:
            break
        last = chunk[-1][0]
        web = {
            (member_id, external_id): pk
            for member_id, external_id, pk in Identity.objects.using(db)
            .filter(member_id__in={row[1] for row in chunk}, channel="web")
            .values_list("member_id", "external_id", "pk")
        }
        rows = []
        for pk, member_id, user_id, community_id, org_id, status, joined_at, left_at in chunk:
            identity_id = web.get((member_id, str(user_id))) if user_id else None
            events = [("join", joined_at, {"backfilled": True})]
            if status != "active":
                removed = {"removed": True} if status == "removed" else {}
                events.append(("leave", left_at or joined_at, {"backfilled": True, **removed}))
            for kind, at, properties in events:
                rows.append(
                    Activity(
                        organization_id=org_id,
                        community_id=community_id,
                        member_id=member_id,
                        identity_id=identity_id,
                        channel="web",
                        kind=kind,
                        occurred_at=at,
                        external_id=_event_id(kind, pk, at),
                        properties=properties,
                        source="app",
                    )
                )
        Activity.objects.using(db).bulk_create(rows, ignore_conflicts=True)


def remove_backfilled(apps, schema_editor):
    Activity = apps.get_model("activity", "Activity")
    Activity.objects.using(schema_editor.connection.alias).filter(
        Q(kind="join") | Q(kind="leave"), source="app", properties__backfilled=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("activity", "0002_activity_membership_history"),
        ("members", "0012_identity_profile_member_merged_into"),
    ]

    operations = [migrations.RunPython(backfill, remove_backfilled)]
