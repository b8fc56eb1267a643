"""The member side of joining: join POST through admit_member, sign-up refusals, "my" lists."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.utils import timezone

from shequn.applications.models import ApplicationStatus
from shequn.applications.tests.factories import make_application
from shequn.invitations.models import InviteJoin
from shequn.invitations.selectors import SESSION_KEY
from shequn.invitations.tests.factories import InviteLinkFactory
from shequn.joining.models import BlacklistEntry, JoinPolicy, WaitlistEntry
from shequn.members.counters import recount_members
from shequn.members.models import Membership, MembershipSource, MembershipStatus
from shequn.payments.models import Order, PriceLabel
from shequn.portal.tests.conftest import page_url


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _with_link(client, community, link) -> None:
    session = client.session
    session[SESSION_KEY] = {str(community.pk): link.pk}
    session.save()


def _waitlist_counts() -> dict[str, int]:
    return {
        "waitlist": WaitlistEntry.objects.count(),
        "invite_joins": InviteJoin.objects.count(),
    }


# --- join POST ----------------------------------------------------------------------------


def test_join_through_an_invite_link_is_attributed(client_as, member, other_community):
    link = InviteLinkFactory(community=other_community)
    client = client_as("member")
    _with_link(client, other_community, link)
    response = client.post(page_url(other_community, "join"))
    assert response["Location"] == page_url(other_community)
    membership = Membership.objects.get(member=member, community=other_community)
    assert membership.source == MembershipSource.INVITE
    join = InviteJoin.objects.get()
    assert (join.link_id, join.membership_id) == (link.pk, membership.pk)
    link.refresh_from_db()
    assert link.use_count == 1


def test_full_community_with_waitlist_puts_member_on_it(client_as, member, full_community, counts):
    JoinPolicy.objects.create(community=full_community, waitlist_enabled=True)
    before = counts()
    response = client_as("member").post(page_url(full_community, "join"))
    assert response.status_code == 302
    assert response["Location"] == page_url(full_community, "waitlist")
    assert _messages(response) == [
        "满员群 is full: you are on its waitlist and will be offered the next free seat."
    ]
    assert counts() == before
    entry = WaitlistEntry.objects.get()
    assert (entry.member_id, entry.status) == (member.pk, "waiting")
    client_as("member").post(page_url(full_community, "join"))  # a second tap keeps the first
    assert WaitlistEntry.objects.count() == 1


def test_expired_link_refuses_once_then_joins_unattributed(
    client_as, member, other_community, counts
):
    link = InviteLinkFactory(community=other_community, max_uses=1, use_count=1)
    client = client_as("member")
    _with_link(client, other_community, link)
    before = counts()
    response = client.post(page_url(other_community, "join"))
    assert response["Location"] == page_url(other_community)
    assert _messages(response) == ["This invite link has been used as often as it may be."]
    assert counts() == before
    response = client.post(page_url(other_community, "join"))
    membership = Membership.objects.get(member=member, community=other_community)
    assert membership.source == MembershipSource.SELF_SIGNUP
    assert InviteJoin.objects.count() == 0


def test_blacklisted_member_cannot_join(client_as, member, other_community, org, counts):
    BlacklistEntry.objects.create(organization=org, member=member, reason="spam")
    before = counts()
    response = client_as("member").post(page_url(other_community, "join"))
    assert response.status_code == 302
    assert _messages(response) == ["This organisation does not admit you to its communities."]
    assert counts() == before
    page = client_as("member").get(page_url(other_community))
    assert page.status_code == 200


def test_rejoin_blocked_member_cannot_join(client_as, member, community, counts):
    member.memberships.update(status=MembershipStatus.LEFT, left_by_request=False)
    recount_members()
    before = counts()
    response = client_as("member").post(page_url(community, "join"))
    assert response.status_code == 302
    assert _messages(response) == [
        "You left this community without a request or were removed: an operator must allow "
        "you back before you can join again."
    ]
    assert counts() == before


def test_join_of_archived_community_is_the_closed_page(client_as, member, archived_community):
    response = client_as("member").post(page_url(archived_community, "join"))
    assert response.status_code == 410
    assert "You can no longer join: this community has closed." in response.content.decode()


def test_join_is_rate_limited_per_account(client_as, member, other_community, settings, counts):
    settings.SHEQUN_RATE_LIMITS = {**settings.SHEQUN_RATE_LIMITS, "join": "1/3600"}
    client = client_as("member")
    member.memberships.update(status=MembershipStatus.LEFT, left_by_request=True)
    first = client.post(page_url(other_community, "join"), REMOTE_ADDR="10.0.0.1")
    assert first.status_code == 302
    before = counts()
    second = client.post(page_url(other_community, "join"), REMOTE_ADDR="10.0.0.2")
    assert second.status_code == 429
    assert counts() == before


def test_join_is_rate_limited_per_address(client_as, member, other_community, settings, counts):
    settings.SHEQUN_RATE_LIMITS = {**settings.SHEQUN_RATE_LIMITS, "join": "1/3600"}
    client_as("anonymous").post(page_url(other_community, "join"))
    before = counts()
    response = client_as("member").post(page_url(other_community, "join"))
    assert response.status_code == 429
    assert counts() == before


# --- sign-up ------------------------------------------------------------------------------

SIGNUP = {
    "display_name": "新人",
    "email": "New@Example.com",
    "phone": "139 0000 0077",
    "password": "a-long-pass-phrase",
}


@pytest.mark.parametrize(
    ("key", "value"), [("phone", "+8613900000077"), ("email", "new@example.com")]
)
def test_sign_up_with_blacklisted_phone_or_email_is_refused(
    client_as, community, org, counts, key, value
):
    BlacklistEntry.objects.create(organization=org, reason="广告", **{key: value})
    before = counts()
    response = client_as("anonymous").post(page_url(community, "signup"), SIGNUP)
    assert response.status_code == 200
    assert "This organisation does not admit you to its communities." in response.content.decode()
    assert counts() == before
    assert "_auth_user_id" not in response.wsgi_request.session


def test_sign_up_through_invite_link_is_attributed(client_as, community):
    link = InviteLinkFactory(community=community)
    client = client_as("anonymous")
    _with_link(client, community, link)
    response = client.post(page_url(community, "signup"), SIGNUP)
    assert response.status_code == 302
    membership = Membership.objects.get(member__email="new@example.com")
    assert membership.source == MembershipSource.INVITE
    assert InviteJoin.objects.get().link_id == link.pk


def test_sign_up_into_full_community_with_waitlist(client_as, full_community):
    JoinPolicy.objects.create(community=full_community, waitlist_enabled=True)
    response = client_as("anonymous").post(page_url(full_community, "signup"), SIGNUP)
    assert response.status_code == 302
    assert response["Location"] == page_url(full_community, "waitlist")
    entry = WaitlistEntry.objects.get()
    assert entry.member.email == "new@example.com"
    assert not Membership.objects.filter(community=full_community, member=entry.member).exists()


def test_sign_up_with_expired_session_link_still_works(client_as, community):
    link = InviteLinkFactory(community=community, expires_at=timezone.now() - timedelta(days=1))
    client = client_as("anonymous")
    _with_link(client, community, link)
    response = client.post(page_url(community, "signup"), SIGNUP)
    assert response.status_code == 302
    assert Membership.objects.get(member__email="new@example.com").source == "self_signup"


# --- my communities -----------------------------------------------------------------------


def test_my_page_lists_what_is_under_way(client_as, member, private_community, full_community):
    make_application(private_community, member, status=ApplicationStatus.PENDING)
    WaitlistEntry.objects.create(
        organization=full_community.organization, community=full_community, member=member
    )
    order = Order.objects.create(
        organization=member.organization,
        community=private_community,
        member=member,
        number="SQ20261202000001",
        amount_fen=9900,
        price_label=PriceLabel.REGULAR,
        expires_at=timezone.now() + timedelta(hours=1),
    )
    html = client_as("member").get("/c/me/").content.decode()
    assert "<h2>Under way</h2>" in html
    assert f'href="{page_url(private_community, "application")}"' in html
    assert "Waiting for review" in html
    assert f"Order {order.number} · ¥99 · Waiting for payment" in html
    assert "Waitlist · Waiting" in html
    assert html.count('class="m-button m-button-small m-button-quiet m-leave-link"') == 1
