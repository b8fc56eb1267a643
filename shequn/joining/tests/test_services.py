"""Leaving, removal, the rejoin rule (every policy × how they left), waitlist offers, blacklist."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from shequn.audit.models import AuditEntry
from shequn.joining import services
from shequn.joining.admission import admit_member
from shequn.joining.models import (
    BlacklistEntry,
    BlacklistKey,
    JoinPolicy,
    LeaveRequest,
    LeaveRequestStatus,
    RejoinPolicy,
    WaitlistEntry,
    WaitlistStatus,
)
from shequn.joining.rules import find_blacklist_entry
from shequn.members.models import Channel, Membership, MembershipSource, MembershipStatus
from shequn.members.tests.factories import IdentityFactory, MemberFactory, MembershipFactory
from shequn.organizations.tests.factories import CommunityFactory

pytestmark = pytest.mark.django_db


def _join(member, community):
    return admit_member(member=member, community=community, source=MembershipSource.SELF_SIGNUP)


HOW_THEY_LEFT = ("by_request", "without_request", "removed")
# policy × how they left → may rejoin
EXPECTED = {
    (RejoinPolicy.BY_REQUEST, "by_request"): True,
    (RejoinPolicy.BY_REQUEST, "without_request"): False,
    (RejoinPolicy.BY_REQUEST, "removed"): False,
    (RejoinPolicy.ANYONE, "by_request"): True,
    (RejoinPolicy.ANYONE, "without_request"): True,
    (RejoinPolicy.ANYONE, "removed"): True,
    (RejoinPolicy.NOBODY, "by_request"): False,
    (RejoinPolicy.NOBODY, "without_request"): False,
    (RejoinPolicy.NOBODY, "removed"): False,
}


def _end(how, membership, scope):
    from shequn.members.services import end_membership

    if how == "by_request":
        services.request_leave(membership=membership, reason="工作忙")
    elif how == "without_request":
        end_membership(actor=None, membership=membership, status=MembershipStatus.LEFT)
    else:
        services.remove_member(actor=scope, membership=membership, reason="发广告")


@pytest.mark.parametrize(("policy", "how"), sorted(EXPECTED))
@pytest.mark.parametrize("allowed", [False, True])
def test_rejoin_rule(community, member, org_admin, scope_of, policy, how, allowed):
    JoinPolicy.objects.create(community=community, rejoin_policy=policy)
    membership = Membership.objects.get(member=member, community=community)
    _end(how, membership, scope_of(org_admin))
    membership.refresh_from_db()
    assert membership.status != MembershipStatus.ACTIVE
    if allowed:
        services.allow_rejoin(actor=scope_of(org_admin), membership=membership, reason="申诉")
    if EXPECTED[(policy, how)] or allowed:
        assert _join(member, community).joined
        membership.refresh_from_db()
        assert membership.status == MembershipStatus.ACTIVE
    else:
        with pytest.raises(ValidationError) as exc:
            _join(member, community)
        assert exc.value.code == "rejoin_blocked"
        membership.refresh_from_db()
        assert membership.status != MembershipStatus.ACTIVE


def test_leave_request_without_review_takes_effect(community, member):
    membership = Membership.objects.get(member=member)
    leave = services.request_leave(membership=membership, reason="搬家")
    membership.refresh_from_db()
    community.refresh_from_db()
    assert leave.status == LeaveRequestStatus.DONE
    assert (membership.status, membership.left_by_request, membership.end_reason) == (
        MembershipStatus.LEFT,
        True,
        "搬家",
    )
    assert community.member_count == 0


def test_leave_request_with_review_waits_then_confirmed(community, member, chapter_head, scope_of):
    JoinPolicy.objects.create(community=community, leave_review=True)
    membership = Membership.objects.get(member=member)
    leave = services.request_leave(membership=membership, reason="")
    again = services.request_leave(membership=membership, reason="")
    assert again.pk == leave.pk
    assert leave.status == LeaveRequestStatus.PENDING
    membership.refresh_from_db()
    assert membership.status == MembershipStatus.ACTIVE
    services.confirm_leave_request(actor=scope_of(chapter_head), leave=leave)
    leave.refresh_from_db()
    membership.refresh_from_db()
    assert leave.status == LeaveRequestStatus.DONE
    assert leave.decided_by_id == chapter_head.user_id
    assert membership.status == MembershipStatus.LEFT
    assert membership.left_by_request
    with pytest.raises(ValidationError):
        services.confirm_leave_request(actor=scope_of(chapter_head), leave=leave)


def test_withdraw_leave_request(community, member):
    JoinPolicy.objects.create(community=community, leave_review=True)
    membership = Membership.objects.get(member=member)
    leave = services.request_leave(membership=membership)
    services.withdraw_leave_request(member=member, leave=leave)
    leave.refresh_from_db()
    membership.refresh_from_db()
    assert leave.status == LeaveRequestStatus.WITHDRAWN
    assert membership.status == MembershipStatus.ACTIVE


def test_leave_reason_is_bounded(member):
    membership = Membership.objects.get(member=member)
    with pytest.raises(ValidationError):
        services.request_leave(membership=membership, reason="x" * 501)
    assert LeaveRequest.objects.count() == 0


def test_remove_requires_a_reason(member, org_admin, scope_of):
    membership = Membership.objects.get(member=member)
    with pytest.raises(ValidationError):
        services.remove_member(actor=scope_of(org_admin), membership=membership, reason=" ")
    membership.refresh_from_db()
    assert membership.status == MembershipStatus.ACTIVE


def test_chapter_head_cannot_remove_elsewhere(other_member, chapter_head, scope_of):
    membership = Membership.objects.get(member=other_member)
    with pytest.raises(PermissionDenied):
        services.remove_member(actor=scope_of(chapter_head), membership=membership, reason="x")
    membership.refresh_from_db()
    assert membership.status == MembershipStatus.ACTIVE


def test_assistant_cannot_allow_rejoin(member, assistant, org_admin, scope_of):
    membership = Membership.objects.get(member=member)
    services.remove_member(actor=scope_of(org_admin), membership=membership, reason="x")
    with pytest.raises(PermissionDenied):
        services.allow_rejoin(actor=scope_of(assistant), membership=membership)
    membership.refresh_from_db()
    assert membership.rejoin_allowed is False


# --- waitlist -----------------------------------------------------------------------------


@pytest.fixture
def full(chapter):
    """A community of 2 seats, full, with a waitlist of 3 (emails known)."""
    c = CommunityFactory(chapter=chapter, organization=chapter.organization, capacity=2)
    JoinPolicy.objects.create(community=c, waitlist_enabled=True, offer_hours=24)
    seated = [MembershipFactory(community=c) for _ in range(2)]
    waiting = [
        MemberFactory(organization=c.organization, email=f"w{i}@example.com") for i in range(3)
    ]
    for person in waiting:
        assert _join(person, c).waitlist_entry is not None
    return c, seated, waiting


def test_full_community_waitlists_then_offers_freed_seat(
    full, huey_immediate, django_capture_on_commit_callbacks
):
    community, seated, waiting = full
    with django_capture_on_commit_callbacks(execute=True):
        services.request_leave(membership=seated[0])
    first = WaitlistEntry.objects.get(member=waiting[0])
    assert first.status == WaitlistStatus.OFFERED
    assert first.offered_at is not None
    assert first.offer_expires_at == first.offered_at + timedelta(hours=24)
    assert WaitlistEntry.objects.filter(status=WaitlistStatus.WAITING).count() == 2
    assert [m.to for m in mail.outbox] == [["w0@example.com"]]
    # the held seat is theirs: somebody else is waitlisted, they join
    assert _join(MemberFactory(organization=community.organization), community).joined is False
    assert _join(waiting[0], community).joined
    first.refresh_from_db()
    assert first.status == WaitlistStatus.JOINED


def test_offer_job_twice_offers_once_and_expires(full, huey_immediate):
    from shequn.joining.tasks import offer_free_seats

    _community, seated, waiting = full
    from shequn.members.services import end_membership

    end_membership(actor=None, membership=seated[0], status=MembershipStatus.LEFT)
    offer_free_seats()
    offer_free_seats()  # twice: one offer
    assert list(
        WaitlistEntry.objects.filter(status=WaitlistStatus.OFFERED).values_list("member_id")
    ) == [(waiting[0].pk,)]
    WaitlistEntry.objects.filter(member=waiting[0]).update(
        offer_expires_at=timezone.now() - timedelta(seconds=1)
    )
    offer_free_seats()
    statuses = dict(WaitlistEntry.objects.values_list("member_id", "status"))
    assert statuses == {
        waiting[0].pk: WaitlistStatus.EXPIRED,
        waiting[1].pk: WaitlistStatus.OFFERED,
        waiting[2].pk: WaitlistStatus.WAITING,
    }


def test_operator_offers_now_and_removes(full, org_admin, scope_of):
    community, _seated, waiting = full
    scope = scope_of(org_admin)
    entry = WaitlistEntry.objects.get(member=waiting[2])
    with pytest.raises(ValidationError):
        services.offer_seat_now(actor=scope, entry=entry)  # no free seat
    community.capacity = 3
    community.save(update_fields=["capacity"])
    services.offer_seat_now(actor=scope, entry=entry)
    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.OFFERED
    services.remove_waitlist_entry(actor=scope, entry=entry)
    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.CANCELLED
    assert AuditEntry.objects.filter(object_type="waitlistentry").count() == 2


# --- blacklist ----------------------------------------------------------------------------


def test_blacklisting_a_member_copies_keys_and_removes_everywhere(
    org, community, other_community, org_admin, scope_of
):
    person = MemberFactory(organization=org, phone="+8613800138000", email="bad@example.com")
    IdentityFactory(member=person, organization=org, channel=Channel.WECOM, external_id="wx-bad")
    MembershipFactory(member=person, community=community)
    MembershipFactory(member=person, community=other_community)
    entry = services.add_to_blacklist(actor=scope_of(org_admin), member=person, reason="骚扰群友")
    assert (entry.phone, entry.email) == ("+8613800138000", "bad@example.com")
    assert list(BlacklistKey.objects.values_list("channel", "external_id")) == [("wecom", "wx-bad")]
    assert set(Membership.objects.filter(member=person).values_list("status", "end_reason")) == {
        (MembershipStatus.REMOVED, "骚扰群友")
    }
    assert AuditEntry.objects.filter(object_type="blacklistentry").count() == 1
    # matched by phone typed in another form, email in capitals, the channel account
    oid = org.pk
    assert find_blacklist_entry(organization_id=oid, phone="138 0013 8000") == entry
    assert find_blacklist_entry(organization_id=oid, email="BAD@example.com") == entry
    assert find_blacklist_entry(organization_id=oid, accounts=[("wecom", "wx-bad")]) == entry
    other = MemberFactory(organization=org)
    IdentityFactory(member=other, organization=org, channel=Channel.WECOM, external_id="wx-bad2")
    assert find_blacklist_entry(organization_id=oid, member=other) is None
    with pytest.raises(ValidationError) as exc:
        _join(person, community)
    assert exc.value.code == "blacklisted"
    services.lift_blacklist_entry(actor=scope_of(org_admin), entry=entry, reason="已道歉")
    assert find_blacklist_entry(organization_id=oid, member=person) is None


def test_blacklist_a_non_member_by_phone(org, community, org_admin, scope_of):
    entry = services.add_to_blacklist(actor=scope_of(org_admin), phone="13900139000", reason="x")
    assert entry.phone == "+8613900139000"
    assert entry.member_id is None
    newcomer = MemberFactory(organization=org, phone="+8613900139000")
    with pytest.raises(ValidationError):
        _join(newcomer, community)
    assert not Membership.objects.filter(member=newcomer).exists()


def test_blacklist_needs_a_key_and_a_reason(org_admin, scope_of):
    with pytest.raises(ValidationError):
        services.add_to_blacklist(actor=scope_of(org_admin), reason="x")
    with pytest.raises(ValidationError):
        services.add_to_blacklist(actor=scope_of(org_admin), email="a@example.com", reason="")
    assert BlacklistEntry.objects.count() == 0


def test_chapter_head_blacklists_only_home_chapter_members(
    member, other_member, chapter_head, assistant, scope_of
):
    with pytest.raises(PermissionDenied):
        services.add_to_blacklist(actor=scope_of(chapter_head), member=other_member, reason="x")
    with pytest.raises(PermissionDenied):
        services.add_to_blacklist(actor=scope_of(assistant), member=member, reason="x")
    assert BlacklistEntry.objects.count() == 0
    services.add_to_blacklist(actor=scope_of(chapter_head), member=member, reason="x")
    assert BlacklistEntry.objects.count() == 1
