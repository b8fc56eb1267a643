"""A join through a link, end to end: landing → session → admit_member → InviteJoin."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from shequn.activity.models import Activity, ActivityKind
from shequn.invitations.models import InviteJoin, InviteLink
from shequn.invitations.selectors import get_session_invite_link, list_inviters
from shequn.invitations.tests.factories import InviteLinkFactory
from shequn.joining.admission import admit_member
from shequn.members.models import Member, Membership, MembershipSource, MembershipStatus
from shequn.members.services import end_membership
from shequn.members.tests.factories import MemberFactory

pytestmark = pytest.mark.django_db


def _visit(client: Client, link: InviteLink) -> HttpRequest:
    response = client.get(reverse("invitations_portal:landing", kwargs={"code": link.code}))
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "portal:community", args=[link.community.organization.slug, link.community.slug]
    )
    request = HttpRequest()
    request.session = client.session
    return request


def test_join_through_landing_is_attributed(community, member) -> None:
    link = InviteLinkFactory(community=community, inviter_member=member, purpose="")
    newcomer = MemberFactory(organization=community.organization)
    request = _visit(Client(), link)
    found = get_session_invite_link(request, community)
    assert found == link
    admission = admit_member(
        member=newcomer,
        community=community,
        source=MembershipSource.SELF_SIGNUP,
        invite_link=found,
    )
    membership = admission.membership
    assert membership is not None
    assert membership.source == MembershipSource.INVITE
    join = InviteJoin.objects.get()
    assert (join.link_id, join.member_id, join.membership_id) == (
        link.pk,
        newcomer.pk,
        membership.pk,
    )
    assert (join.inviter_member_id, join.inviter_operator_id) == (member.pk, None)
    assert join.joined_at == membership.joined_at
    link.refresh_from_db()
    assert link.use_count == 1
    activity = Activity.objects.get(member=newcomer, kind=ActivityKind.JOIN)
    assert activity.properties == {"invite_link": link.pk, "inviter_member": member.pk}


def test_session_link_is_per_community(community, other_community) -> None:
    link = InviteLinkFactory(community=community)
    request = _visit(Client(), link)
    assert get_session_invite_link(request, other_community) is None


def test_max_uses_one_admits_one(community) -> None:
    link = InviteLinkFactory(community=community, max_uses=1)
    first, second = (MemberFactory(organization=community.organization) for _ in range(2))
    admit_member(member=first, community=community, source="self_signup", invite_link=link)
    stale = InviteLink.objects.get(pk=link.pk)
    stale.use_count = 0  # as read before the first join: the locked re-check still refuses
    with pytest.raises(ValidationError) as exc:
        admit_member(member=second, community=community, source="self_signup", invite_link=stale)
    assert exc.value.code == "invite_used_up"
    assert not Membership.objects.filter(member=second).exists()
    assert InviteJoin.objects.count() == 1
    link.refresh_from_db()
    assert link.use_count == 1


def test_expired_link_refuses_and_changes_nothing(community) -> None:
    link = InviteLinkFactory(community=community, expires_at=timezone.now() - timedelta(seconds=1))
    newcomer = MemberFactory(organization=community.organization)
    before = Activity.objects.count()
    with pytest.raises(ValidationError) as exc:
        admit_member(member=newcomer, community=community, source="self_signup", invite_link=link)
    assert exc.value.code == "invite_expired"
    assert not Membership.objects.filter(member=newcomer).exists()
    assert InviteJoin.objects.count() == 0
    assert Activity.objects.count() == before
    link.refresh_from_db()
    assert link.use_count == 0


def test_still_in_follows_the_stint(org_admin, scope_of, community, member) -> None:
    link = InviteLinkFactory(community=community, inviter_member=member, purpose="")
    a, b = (MemberFactory(organization=community.organization) for _ in range(2))
    for person in (a, b):
        admit_member(member=person, community=community, source="self_signup", invite_link=link)
    end_membership(
        actor=None,
        membership=Membership.objects.get(member=b, community=community),
        status=MembershipStatus.LEFT,
        by_request=True,
    )
    rows = list_inviters(actor=scope_of(org_admin))
    assert [(r.kind, r.id, r.invitees, r.still_in) for r in rows] == [("member", member.pk, 2, 1)]


@pytest.mark.django_db(transaction=True)
def test_two_threads_through_a_last_use_admit_one(community) -> None:
    """Two real concurrent joins (threads, own connections) through a link with one use."""
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("SQLite's test database is one in-memory connection: no real concurrency")
    link = InviteLinkFactory(community=community, max_uses=1)
    people = [MemberFactory(organization=community.organization) for _ in range(2)]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def join(person: Member) -> None:
        try:
            barrier.wait()
            admit_member(member=person, community=community, source="self_signup", invite_link=link)
            outcomes.append("joined")
        except ValidationError as exc:
            outcomes.append(str(exc.code))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=join, args=(p,)) for p in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["invite_used_up", "joined"]
    assert InviteJoin.objects.count() == 1
    assert Membership.objects.filter(member__in=people).count() == 1
    link.refresh_from_db()
    assert link.use_count == 1
