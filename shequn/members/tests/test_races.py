"""Concurrent requests at join, leave, role change and remove: the losers of a race get what a
second, sequential attempt gets (a clean refusal), never a 500; one row, one audit entry.

Each request runs in its own thread with its own database connection, all released at once by
a barrier: real concurrency on PostgreSQL (row locks), and on SQLite (a file test database,
see config/settings.py; IMMEDIATE transactions serialise the writers).
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.db import connections
from django.test import Client

from shequn.accounts.services import issue_api_token
from shequn.audit.models import AuditAction, AuditEntry
from shequn.members.counters import recount_members
from shequn.members.models import Membership, MembershipRole, MembershipStatus
from shequn.members.tests.factories import MemberFactory, MembershipFactory

pytestmark = pytest.mark.django_db(transaction=True)

# What the test client answers (an HttpResponse with the request attached).
Response = Any

RACERS = 12
LEAVERS = 30


@pytest.fixture(autouse=True)
def _no_rate_limits(settings) -> None:
    """Every racer comes from one address: the per-address limits of joining and leaving
    (tested in shequn/core/tests and shequn/joining/tests) would answer most of them 429."""
    settings.SHEQUN_RATE_LIMITS = {
        **settings.SHEQUN_RATE_LIMITS,
        "join": "1000/60",
        "leave": "1000/60",
        "signup": "1000/60",
    }


def race(clients: list[Client], request: Callable[[Client], Response]) -> list[Response]:
    """`request(client)` for every client at the same moment, each in its own thread."""
    barrier = threading.Barrier(len(clients))
    responses: list[Response | None] = [None] * len(clients)
    failures: list[BaseException] = []

    def run(index: int, client: Client) -> None:
        try:
            barrier.wait()
            responses[index] = request(client)
        except BaseException as exc:  # reported below, in the test's thread
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    return [r for r in responses if r is not None]


def member_clients(user, count: int) -> list[Client]:
    clients = []
    for _ in range(count):
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        client.force_login(user)
        clients.append(client)
    return clients


def api_clients(operator, count: int) -> list[Client]:
    _, raw = issue_api_token(actor=None, operator=operator, name="race")
    return [
        Client(HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_ACCEPT_LANGUAGE="en") for _ in range(count)
    ]


def flash(response: Response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def page(community, action: str) -> str:
    return f"/c/{community.organization.slug}/{community.slug}/{action}/"


def audit(action: str) -> int:
    return AuditEntry.objects.filter(action=action).count()


def problem(response: Response) -> tuple[int, str, str]:
    document = json.loads(response.content)
    return response.status_code, response["Content-Type"], document["detail"]


def test_simultaneous_leaves_end_the_membership_once(member, community):
    responses = race(
        member_clients(member.user, LEAVERS), lambda c: c.post(page(community, "leave"))
    )
    assert [r.status_code for r in responses] == [302] * LEAVERS
    outcomes = Counter(message for r in responses for message in flash(r))
    assert outcomes == {
        "You have left 上海沙龙群.": 1,
        "You are not a member of this community.": LEAVERS - 1,
    }
    membership = Membership.objects.get(member=member, community=community)
    assert membership.status == MembershipStatus.LEFT
    assert audit(AuditAction.LEAVE) == 1


def test_simultaneous_joins_make_one_membership(member, other_community):
    responses = race(
        member_clients(member.user, RACERS), lambda c: c.post(page(other_community, "join"))
    )
    assert [r.status_code for r in responses] == [302] * RACERS
    outcomes = Counter(message for r in responses for message in flash(r))
    assert outcomes == {
        "Welcome to 北京沙龙群!": 1,
        "You are already a member of this community.": RACERS - 1,
    }
    assert Membership.objects.filter(member=member, community=other_community).count() == 1
    assert audit(AuditAction.JOIN) == 1


def test_simultaneous_api_adds_make_one_membership(org_admin, community):
    person = MemberFactory(organization=community.organization, chapter=community.chapter)
    data = json.dumps({"member_id": person.pk, "community_id": community.pk})
    responses = race(
        api_clients(org_admin, RACERS),
        lambda c: c.post("/api/v1/memberships", data, content_type="application/json"),
    )
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 1, 409: RACERS - 1}
    refusals = {problem(r) for r in responses if r.status_code == 409}
    assert refusals == {
        (
            409,
            "application/problem+json; charset=utf-8",
            f"{person.display_name} is already a member of this community.",
        )
    }
    assert Membership.objects.filter(member=person, community=community).count() == 1
    assert audit(AuditAction.JOIN) == 1


def test_simultaneous_api_removals_end_the_membership_once(org_admin, member, community):
    membership = Membership.objects.get(member=member, community=community)
    responses = race(
        api_clients(org_admin, RACERS), lambda c: c.delete(f"/api/v1/memberships/{membership.pk}")
    )
    assert Counter(r.status_code for r in responses) == {204: 1, 409: RACERS - 1}
    refusals = {problem(r) for r in responses if r.status_code == 409}
    assert refusals == {
        (409, "application/problem+json; charset=utf-8", "This membership has already ended.")
    }
    membership.refresh_from_db()
    assert membership.status == MembershipStatus.REMOVED
    assert audit(AuditAction.LEAVE) == 1


def test_simultaneous_console_removals_end_the_membership_once(chapter_head, member, community):
    membership = Membership.objects.get(member=member, community=community)
    url = f"/communities/{community.pk}/members/{membership.pk}/remove/"
    clients = member_clients(chapter_head.user, RACERS)
    responses = race(clients, lambda c: c.post(url, {"reason": "违反群规"}, HTTP_HX_REQUEST="true"))
    assert Counter(r.status_code for r in responses) == {200: 1, 422: RACERS - 1}
    for response in responses:
        if response.status_code == 422:
            assert "This membership has already ended." in response.content.decode()
    membership.refresh_from_db()
    assert membership.status == MembershipStatus.REMOVED
    assert audit(AuditAction.LEAVE) == 1


def test_simultaneous_role_changes_change_it_once(org_admin, member, community):
    membership = Membership.objects.get(member=member, community=community)
    data = json.dumps({"role": MembershipRole.KOL})
    responses = race(
        api_clients(org_admin, RACERS),
        lambda c: c.patch(
            f"/api/v1/memberships/{membership.pk}", data, content_type="application/json"
        ),
    )
    # A second, sequential change to the same role is a no-op success: so is every loser's.
    assert [r.status_code for r in responses] == [200] * RACERS
    assert {json.loads(r.content)["role"] for r in responses} == {"kol"}
    membership.refresh_from_db()
    assert membership.role == MembershipRole.KOL
    assert audit(AuditAction.UPDATE) == 1


def test_role_change_racing_a_removal_is_refused_cleanly(org_admin, member, community):
    membership = Membership.objects.get(member=member, community=community)
    role = json.dumps({"role": MembershipRole.KOL})
    url = f"/api/v1/memberships/{membership.pk}"

    def act(client: Client) -> Response:
        if client is clients[0]:
            return client.delete(url)
        return client.patch(url, role, content_type="application/json")

    clients = api_clients(org_admin, RACERS)
    responses = race(clients, act)
    removal, changes = responses[0], responses[1:]
    assert removal.status_code == 204
    # Each change came before the removal (200) or after it (409, already ended).
    assert set(Counter(r.status_code for r in changes)) <= {200, 409}
    for response in changes:
        if response.status_code == 409:
            assert problem(response)[2] == "This membership has already ended."
    membership.refresh_from_db()
    assert membership.status == MembershipStatus.REMOVED
    assert audit(AuditAction.LEAVE) == 1
    assert audit(AuditAction.UPDATE) == (1 if membership.role == MembershipRole.KOL else 0)


def test_a_former_member_rejoins_once(member, community):
    # Left by request: the default rejoin rule lets them back (shequn.joining.rules.may_rejoin).
    Membership.objects.filter(member=member).update(
        status=MembershipStatus.LEFT, left_by_request=True
    )
    recount_members()  # a raw update bypasses the services' counters
    other = MemberFactory(organization=community.organization)
    MembershipFactory(member=other, community=community)
    responses = race(member_clients(member.user, RACERS), lambda c: c.post(page(community, "join")))
    outcomes = Counter(message for r in responses for message in flash(r))
    assert outcomes["Welcome to 上海沙龙群!"] == 1
    assert sum(outcomes.values()) == RACERS
    assert Membership.objects.get(member=member, community=community).status == "active"
    assert audit(AuditAction.JOIN) == 1
