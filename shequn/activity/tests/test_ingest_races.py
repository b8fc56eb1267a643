"""Two deliveries of the same batch at the same moment, each in its own transaction and
connection: every activity is stored once, every new actor becomes exactly one member."""

from __future__ import annotations

import json
import threading

import pytest
from django.db import connections

from shequn.activity.models import Activity
from shequn.activity.services import IngestResult, ingest_activities
from shequn.members.models import Identity, Member, Membership
from shequn.organizations.models import Community

pytestmark = pytest.mark.django_db(transaction=True)

DELIVERIES = 3


def test_concurrent_double_delivery_stores_everything_once(org, community):
    rows = [
        json.dumps(
            {
                "id": f"tg-{i}",
                "channel": "telegram",
                "kind": "join" if i < 20 else "message",
                "occurred_at": "2026-06-01T08:00:00+08:00",
                "actor": {"external_id": f"user{i % 20}"},
                "community": "sh-salon",
            }
        ).encode()
        for i in range(200)
    ]
    barrier = threading.Barrier(DELIVERIES)
    results: list[IngestResult] = []
    failures: list[BaseException] = []

    def deliver() -> None:
        try:
            barrier.wait()
            results.append(ingest_activities(organization=org, rows=rows, source="api", actor=None))
        except BaseException as exc:  # reported in the test's thread
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deliver) for _ in range(DELIVERIES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert sorted(r.new for r in results) == [0] * (DELIVERIES - 1) + [200]
    assert sum(r.duplicate for r in results) == 200 * (DELIVERIES - 1)
    assert Activity.objects.count() == 200
    assert Member.objects.count() == 20
    assert Identity.objects.count() == 20
    assert Membership.objects.count() == 20
    assert Community.objects.get(pk=community.pk).member_count == 20
