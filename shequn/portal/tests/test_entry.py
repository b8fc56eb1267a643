"""get_entry: each state of the join page, its call to action and its facts."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from django.utils import timezone

from shequn.applications.models import ApplicationStatus
from shequn.applications.tests.factories import make_application
from shequn.invitations.selectors import SESSION_KEY
from shequn.invitations.tests.factories import InviteLinkFactory
from shequn.joining.models import BlacklistEntry, JoinPolicy, RejoinPolicy, WaitlistEntry
from shequn.members.counters import recount_members
from shequn.members.models import MembershipStatus
from shequn.members.tests.factories import MembershipFactory
from shequn.organizations.models import CommunityAccess, CommunityStatus
from shequn.payments.models import CommunityPrice, Order, PriceLabel
from shequn.portal.entry import POST, Entry, EntryState, get_entry
from shequn.portal.tests.conftest import page_url


def _request(user=None, session=None):
    request = RequestFactory().get("/")
    request.user = user or AnonymousUser()
    request.session = session if session is not None else {}
    return request


def _entry(community, user=None, session=None) -> Entry:
    community.refresh_from_db()
    return get_entry(request=_request(user, session), community=community)


def _price(community) -> CommunityPrice:
    """¥199, early bird ¥99 for the first 15 days or 50 paid members, a year's term."""
    return CommunityPrice.objects.create(
        community=community,
        price_fen=19900,
        early_bird_price_fen=9900,
        early_bird_days=15,
        early_bird_seats=50,
        launched_at=timezone.now() - timedelta(days=1),
        term_days=365,
    )


def _order(community, member) -> Order:
    return Order.objects.create(
        organization=community.organization,
        community=community,
        member=member,
        number="SQ20261202000001",
        amount_fen=9900,
        price_label=PriceLabel.EARLY_BIRD,
        expires_at=timezone.now() + timedelta(hours=1),
    )


def test_entry_is_frozen(community):
    entry = _entry(community)
    with pytest.raises(dataclasses.FrozenInstanceError):
        entry.state = EntryState.JOIN  # type: ignore[misc]


def test_anonymous_on_open_community_signs_up(community):
    entry = _entry(community)
    assert entry.state == EntryState.SIGN_UP
    assert entry.cta_url == page_url(community, "signup")
    assert entry.cta_label == "Join this community"
    assert entry.seats_left == community.capacity
    assert entry.sign_in_url == f"/c/login/?next={page_url(community)}"


@pytest.mark.parametrize("fixture", ["private_community", "paid_community"])
def test_anonymous_on_private_or_paid_signs_in(request, fixture):
    community = request.getfixturevalue(fixture)
    entry = _entry(community)
    assert entry.state == EntryState.SIGN_IN
    assert entry.cta_url == page_url(community, "signup")
    assert entry.cta_label == "Create an account to continue"
    assert entry.sign_in_url == f"/c/login/?next={page_url(community)}"


def test_anonymous_on_full_community_without_waitlist(full_community):
    entry = _entry(full_community)
    assert entry.state == EntryState.FULL
    assert entry.cta_url == ""
    assert entry.seats_left == 0


def test_member_is_in_with_invite_and_leave_links(community, member):
    entry = _entry(community, member.user)
    assert entry.state == EntryState.MEMBER
    assert entry.cta_url == page_url(community, "invite")
    assert entry.cta_label == "Invite friends"
    assert entry.invite_url == page_url(community, "invite")
    assert entry.leave_url.endswith(f"leave/?next={page_url(community)}")
    assert entry.membership is not None
    assert entry.membership.member_id == member.pk


def test_open_community_one_tap_join(other_community, member):
    entry = _entry(other_community, member.user)
    assert entry.state == EntryState.JOIN
    assert entry.cta_url == page_url(other_community, "join")
    assert entry.cta_method == POST
    assert entry.is_post
    assert entry.cta_label == "Join this community"


def test_full_open_community_without_waitlist(full_community, member):
    entry = _entry(full_community, member.user)
    assert entry.state == EntryState.FULL
    assert entry.cta_url == ""


def test_full_open_community_with_waitlist(full_community, member):
    JoinPolicy.objects.create(community=full_community, waitlist_enabled=True)
    entry = _entry(full_community, member.user)
    assert entry.state == EntryState.WAITLIST_JOIN
    assert entry.cta_url == page_url(full_community, "join")
    assert entry.cta_label == "Join the waitlist"
    assert entry.is_post


def test_on_the_waitlist_and_offered_a_seat(full_community, member):
    place = WaitlistEntry.objects.create(
        organization=full_community.organization, community=full_community, member=member
    )
    entry = _entry(full_community, member.user)
    assert entry.state == EntryState.WAITLISTED
    assert entry.waitlist_entry == place
    assert entry.cta_label == "See your place on the waitlist"
    place.status = "offered"
    place.offered_at = timezone.now()
    place.offer_expires_at = timezone.now() + timedelta(hours=4)
    place.save()
    entry = _entry(full_community, member.user)
    assert entry.state == EntryState.SEAT_OFFERED
    assert entry.cta_label == "Take your seat"


def test_held_offers_reduce_the_seats_left(community, other_member, member):
    community.capacity = 3
    community.save()
    WaitlistEntry.objects.create(
        organization=community.organization,
        community=community,
        member=other_member,
        status="offered",
        offer_expires_at=timezone.now() + timedelta(hours=1),
    )
    assert _entry(community).seats_left == 1  # 3 − 1 member − 1 held seat


def test_blacklisted_member(other_community, member, org):
    BlacklistEntry.objects.create(organization=org, member=member, reason="广告")
    entry = _entry(other_community, member.user)
    assert entry.state == EntryState.BLACKLISTED
    assert entry.cta_url == ""


def test_lifted_blacklist_entry_does_not_refuse(other_community, member, org):
    BlacklistEntry.objects.create(
        organization=org, member=member, reason="广告", lifted_at=timezone.now()
    )
    assert _entry(other_community, member.user).state == EntryState.JOIN


def test_rejoin_blocked_after_leaving_without_request(community, member):
    member.memberships.update(status=MembershipStatus.LEFT, left_by_request=False)
    recount_members()
    entry = _entry(community, member.user)
    assert entry.state == EntryState.REJOIN_BLOCKED
    member.memberships.update(left_by_request=True)
    assert _entry(community, member.user).state == EntryState.JOIN
    JoinPolicy.objects.create(community=community, rejoin_policy=RejoinPolicy.NOBODY)
    assert _entry(community, member.user).state == EntryState.REJOIN_BLOCKED
    member.memberships.update(rejoin_allowed=True)
    assert _entry(community, member.user).state == EntryState.JOIN


def test_closed_community(community, member):
    community.status = CommunityStatus.ARCHIVED
    community.save()
    assert _entry(community, member.user).state == EntryState.CLOSED
    assert _entry(community).state == EntryState.CLOSED


def test_operator_and_outsider_have_no_member_profile(community, org_admin, outsider):
    assert _entry(community, org_admin.user).state == EntryState.NO_MEMBER
    assert _entry(community, outsider).state == EntryState.NO_MEMBER


def test_member_of_another_organisation(community, foreign_member):
    assert _entry(community, foreign_member.user).state == EntryState.OTHER_ORG


APPLICATION_STATES = [
    (None, EntryState.APPLY, "apply", "Apply to join"),
    (ApplicationStatus.WITHDRAWN, EntryState.APPLY, "apply", "Apply to join"),
    (
        ApplicationStatus.PENDING,
        EntryState.APPLICATION_PENDING,
        "application",
        "See your application",
    ),
    (ApplicationStatus.INTERVIEW, EntryState.INTERVIEW, "application", "See the interview"),
    (ApplicationStatus.REJECTED, EntryState.REJECTED, "apply", "Apply again"),
    (ApplicationStatus.APPROVED, EntryState.APPROVED, "application", "See your application"),
]


@pytest.mark.parametrize(("status", "state", "action", "label"), APPLICATION_STATES)
def test_private_community_application_states(
    private_community, member, status, state, action, label
):
    if status is not None:
        make_application(private_community, member, status=status)
    entry = _entry(private_community, member.user)
    assert entry.state == state
    assert entry.cta_url == page_url(private_community, action)
    assert entry.cta_label == label
    assert (entry.application is None) is (status is None)


def test_paid_community_without_price(paid_community, member):
    assert _entry(paid_community, member.user).state == EntryState.NOT_FOR_SALE


def test_paid_community_shows_price_and_checkout(paid_community, member):
    _price(paid_community)
    entry = _entry(paid_community, member.user)
    assert entry.state == EntryState.PAY
    assert entry.quote is not None
    assert (entry.quote.amount_fen, entry.quote.regular_fen) == (9900, 19900)
    assert entry.quote.label == PriceLabel.EARLY_BIRD
    assert entry.quote.early_bird_seats_left == 50
    assert entry.cta_url == page_url(paid_community, "pay")
    assert entry.cta_label == "Pay and join"
    anonymous = _entry(paid_community)
    assert anonymous.state == EntryState.SIGN_IN
    assert anonymous.quote == entry.quote  # visitors see the price before signing in


def test_paid_community_with_pending_order(paid_community, member):
    _price(paid_community)
    order = _order(paid_community, member)
    entry = _entry(paid_community, member.user)
    assert entry.state == EntryState.PAYMENT_PENDING
    assert entry.order == order
    assert entry.cta_url == f"/c/orders/{order.number}/"
    assert entry.cta_label == "Continue paying"


def test_paid_community_requiring_application(paid_community, member):
    _price(paid_community)
    JoinPolicy.objects.create(community=paid_community, paid_requires_application=True)
    assert _entry(paid_community, member.user).state == EntryState.APPLY
    application = make_application(paid_community, member, status=ApplicationStatus.PENDING)
    assert _entry(paid_community, member.user).state == EntryState.APPLICATION_PENDING
    application.status = ApplicationStatus.APPROVED
    application.save()
    entry = _entry(paid_community, member.user)
    assert entry.state == EntryState.PAY
    assert entry.application == application


def test_paid_full_community(paid_community, member):
    _price(paid_community)
    paid_community.capacity = 1
    paid_community.save()
    MembershipFactory(community=paid_community)
    assert _entry(paid_community, member.user).state == EntryState.FULL


def test_session_invite_link_and_its_problem(other_community, member):
    link = InviteLinkFactory(community=other_community)
    session = {SESSION_KEY: {str(other_community.pk): link.pk}}
    entry = _entry(other_community, member.user, session)
    assert entry.invite_link == link
    assert entry.invite_problem == ""
    link.expires_at = timezone.now() - timedelta(minutes=1)
    link.save()
    entry = _entry(other_community, member.user, session)
    assert entry.invite_problem == "This invite link has expired."
    assert entry.state == EntryState.JOIN


def test_private_access_is_the_gate_for_members_too(community, member):
    community.access = CommunityAccess.PRIVATE
    community.save()
    assert _entry(community, member.user).state == EntryState.MEMBER
