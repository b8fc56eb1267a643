"""Concurrent joins (real threads, a database connection each): capacity is never passed.

On SQLite every transaction begins IMMEDIATE (config/settings.py), so writers queue for the
database lock (timeout 20 s) instead of failing with "database is locked"; on PostgreSQL
admit_member's row lock on the community serialises them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.urls import reverse

from shequn.accounts.tests.factories import UserFactory
from shequn.joining.admission import admit_member
from shequn.joining.models import JoinPolicy, WaitlistEntry
from shequn.members.models import Membership, MembershipSource
from shequn.members.tests.factories import MemberFactory
from shequn.organizations.models import Community
from shequn.organizations.tests.factories import CommunityFactory

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 50
CAPACITY = 40


def _run_at_once(jobs: list[Callable[[], Any]]) -> list[Any]:
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = jobs[i]()
        except Exception as exc:
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def _setup(chapter: Any, *, waitlist: bool) -> tuple[Community, list[Any]]:
    community = CommunityFactory(
        chapter=chapter, organization=chapter.organization, capacity=CAPACITY
    )
    JoinPolicy.objects.create(community=community, waitlist_enabled=waitlist)
    people = [MemberFactory(organization=community.organization) for _ in range(THREADS)]
    return community, people


def _admit(member: Any, community: Community) -> Callable[[], Any]:
    return lambda: admit_member(
        member=member, community=community, source=MembershipSource.SELF_SIGNUP
    )


@pytest.mark.parametrize("waitlist", [False, True])
def test_fifty_joins_into_forty_seats(chapter, waitlist):
    community, people = _setup(chapter, waitlist=waitlist)
    results = _run_at_once([_admit(p, community) for p in people])
    community.refresh_from_db()
    assert Membership.objects.filter(community=community, status="active").count() == CAPACITY
    assert community.member_count == CAPACITY
    joined = [r for r in results if not isinstance(r, Exception) and r.joined]
    assert len(joined) == CAPACITY
    if waitlist:
        assert WaitlistEntry.objects.filter(community=community, status="waiting").count() == 10
        assert sum(1 for r in results if not isinstance(r, Exception) and not r.joined) == 10
    else:
        refused = [r for r in results if isinstance(r, ValidationError)]
        assert [e.code for e in refused] == ["community_full"] * 10
        assert WaitlistEntry.objects.count() == 0


def test_same_member_twice_at_once_joins_once(chapter):
    community, people = _setup(chapter, waitlist=False)
    results = _run_at_once([_admit(people[0], community), _admit(people[0], community)])
    community.refresh_from_db()
    assert Membership.objects.filter(member=people[0]).count() == 1
    assert community.member_count == 1
    errors = [r for r in results if isinstance(r, ValidationError)]
    assert [e.code for e in errors] == ["already_member"]


def test_fifty_join_requests_through_the_join_view(chapter):
    """The real join page (portal:join → admit_member), one client per person."""
    community, people = _setup(chapter, waitlist=False)
    clients = []
    for i, person in enumerate(people):
        person.user = UserFactory(username=f"racer{i}@example.com")
        person.save(update_fields=["user"])
        client = Client(REMOTE_ADDR=f"10.0.{i // 200}.{i % 200 + 1}")
        client.force_login(person.user)
        clients.append(client)
    url = reverse("portal:join", args=[community.organization.slug, community.slug])

    def post(client: Client) -> Callable[[], int]:
        return lambda: client.post(url).status_code

    results = _run_at_once([post(c) for c in clients])
    assert results == [302] * THREADS
    community.refresh_from_db()
    assert community.member_count == CAPACITY
    assert Membership.objects.filter(community=community, status="active").count() == CAPACITY
