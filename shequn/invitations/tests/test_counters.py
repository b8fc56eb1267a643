"""The links' kept counters (`still_in_count`, `last_joined_at`, `use_count`) follow every path
that starts or ends a stint: a join through a link, a leave, a rejoin, the activity stream, a
merge and its undo; `recount_links` finds nothing to correct after any of them."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from shequn.activity.services import ingest_activities
from shequn.invitations.counters import recount_organization_links
from shequn.invitations.models import InviteLink
from shequn.invitations.selectors import count_member_invitees, list_inviters
from shequn.invitations.tests.factories import InviteLinkFactory
from shequn.joining.admission import admit_member
from shequn.members.merging import merge_members, unmerge
from shequn.members.models import Channel, Member, Membership, MembershipStatus
from shequn.members.services import end_membership
from shequn.members.tests.factories import IdentityFactory, MemberFactory, MembershipFactory

pytestmark = pytest.mark.django_db


def _join(person: Member, link: InviteLink) -> Membership:
    admission = admit_member(
        member=person, community=link.community, source="self_signup", invite_link=link
    )
    assert admission.membership is not None
    return admission.membership


def _leave(membership: Membership) -> None:
    end_membership(actor=None, membership=membership, status=MembershipStatus.LEFT, by_request=True)


def _counters(link: InviteLink) -> tuple[int, int]:
    link.refresh_from_db()
    return link.use_count, link.still_in_count


def _assert_exact(org_id: int) -> None:
    assert recount_organization_links(org_id) == 0


def test_join_and_leave_move_the_counters(community, member) -> None:
    link = InviteLinkFactory(community=community, inviter_member=member, purpose="")
    a, b = (MemberFactory(organization=community.organization) for _ in range(2))
    first = _join(a, link)
    second = _join(b, link)
    assert _counters(link) == (2, 2)
    assert link.last_joined_at == second.joined_at
    assert link.last_joined_at >= first.joined_at
    _leave(first)
    assert _counters(link) == (2, 1)
    _assert_exact(community.organization_id)
    assert count_member_invitees(member=member, community=community).still_in == 1


def test_a_rejoin_through_another_link_counts_for_that_link(community, member) -> None:
    old = InviteLinkFactory(community=community, purpose="poster A")
    new = InviteLinkFactory(community=community, purpose="poster B")
    person = MemberFactory(organization=community.organization)
    membership = _join(person, old)
    _leave(membership)
    _join(person, new)
    assert (_counters(old), _counters(new)) == ((1, 0), (1, 1))
    _assert_exact(community.organization_id)


def test_a_second_stint_without_a_link_leaves_the_old_link_alone(community) -> None:
    link = InviteLinkFactory(community=community, purpose="poster")
    person = MemberFactory(organization=community.organization)
    _leave(_join(person, link))
    back = admit_member(member=person, community=community, source="self_signup").membership
    assert back is not None
    _leave(back)  # this stint did not come through the link: nothing to take off it
    assert _counters(link) == (1, 0)
    _assert_exact(community.organization_id)


def test_a_leave_from_the_activity_stream_recounts(org, community) -> None:
    link = InviteLinkFactory(community=community, purpose="poster")
    person = MemberFactory(organization=org)
    IdentityFactory(member=person, channel=Channel.TELEGRAM, external_id="tg-7")
    membership = _join(person, link)
    at = (membership.joined_at + timedelta(minutes=5)).isoformat()
    result = ingest_activities(
        organization=org,
        rows=[
            {
                "id": "leave-1",
                "channel": "telegram",
                "kind": "leave",
                "occurred_at": at,
                "actor": {"external_id": "tg-7"},
                "community": community.slug,
            }
        ],
        source="import",
        actor=None,
    )
    assert (result.new, result.rejected, result.members_created) == (1, [], 0)
    membership.refresh_from_db()
    assert membership.status == MembershipStatus.LEFT
    assert _counters(link) == (1, 0)
    _assert_exact(org.pk)


def test_a_merge_that_moves_the_stint_recounts_and_its_undo_restores(org, community) -> None:
    link = InviteLinkFactory(community=community, purpose="poster")
    invited = MemberFactory(organization=org)
    _join(invited, link)
    # The same person recorded earlier in the same community: the merged membership keeps
    # the earlier join, so the stint is no longer the one the link began.
    earlier = MemberFactory(organization=org)
    MembershipFactory(
        member=earlier, community=community, joined_at=timezone.now() - timedelta(days=30)
    )
    merge = merge_members(actor=None, source=invited, target=earlier)
    assert _counters(link) == (1, 0)
    _assert_exact(org.pk)
    unmerge(actor=None, merge=merge)
    assert _counters(link) == (1, 1)
    _assert_exact(org.pk)


def test_who_brought_whom_reads_the_counters(org_admin, scope_of, community, member) -> None:
    link = InviteLinkFactory(community=community, inviter_member=member, purpose="")
    people = [MemberFactory(organization=community.organization) for _ in range(3)]
    memberships = [_join(p, link) for p in people]
    _leave(memberships[0])
    InviteLinkFactory(community=community, purpose="unused")
    rows = list_inviters(actor=scope_of(org_admin))
    assert [(r.kind, r.id, r.name, r.invitees, r.still_in) for r in rows] == [
        ("member", member.pk, member.display_name, 3, 2)
    ]
    assert rows[0].last_joined_at == memberships[-1].joined_at


def test_recount_corrects_drift(community) -> None:
    link = InviteLinkFactory(community=community, purpose="poster")
    _join(MemberFactory(organization=community.organization), link)
    InviteLink.objects.filter(pk=link.pk).update(still_in_count=7, use_count=9)
    assert recount_organization_links(community.organization_id) == 1
    assert _counters(link) == (1, 1)


@pytest.mark.django_db(transaction=True)
def test_concurrent_leaves_through_one_link_lose_no_count(community) -> None:
    """Two leaves at once (threads, own connections): the row lock serialises the recounts."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's test database is one in-memory connection: no real concurrency")
    link = InviteLinkFactory(community=community, purpose="poster")
    memberships = [_join(MemberFactory(organization=community.organization), link) for _ in "ab"]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def leave(membership: Membership) -> None:
        try:
            barrier.wait()
            _leave(membership)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=leave, args=(m,)) for m in memberships]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert _counters(link) == (2, 0)
