"""The join page (portal:community): facts, sections and the exact call to action per state."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.html import escape

from shequn.applications.models import ApplicationStatus
from shequn.applications.tests.factories import make_application
from shequn.invitations.selectors import SESSION_KEY
from shequn.invitations.tests.factories import InviteLinkFactory
from shequn.joining.models import BlacklistEntry, JoinPolicy, WaitlistEntry
from shequn.members.counters import recount_members
from shequn.members.models import MembershipStatus
from shequn.members.tests.factories import MembershipFactory
from shequn.payments.models import CommunityPrice, Order, PriceLabel
from shequn.portal.entry import EntryState
from shequn.portal.tests.conftest import page_url


def _cta(html: str) -> str:
    """The call-to-action section of the page."""
    match = re.search(r'<section class="m-cta" id="join"[^>]*>(.*?)</section>', html, re.S)
    assert match is not None
    return match.group(1)


def _buttons(html: str) -> list[str]:
    """The main buttons of the CTA: 'GET <url> <label>' or 'POST <url> <label>'."""
    cta = _cta(html)
    found = [
        f"GET {href} {label.strip()}"
        for href, label in re.findall(r'<a class="m-button" href="([^"]*)">([^<]*)</a>', cta)
    ]
    for action, label in re.findall(
        r'<form method="post" action="([^"]*)">.*?'
        r'<button type="submit" class="m-button">([^<]*)</button>',
        cta,
        re.S,
    ):
        found.append(f"POST {action} {label.strip()}")
    return found


def test_anonymous_sees_sign_up(client, community):
    response = client.get(page_url(community))
    assert response.status_code == 200
    assert response.context["state"] == EntryState.SIGN_UP
    html = response.content.decode()
    assert _buttons(html) == [f"GET {page_url(community, 'signup')} Join this community"]
    assert f'href="/c/login/?next={page_url(community)}">Sign in</a>' in _cta(html)


def test_member_is_in_and_leaving_is_set_apart(client_as, community, member):
    response = client_as("member").get(page_url(community))
    assert response.context["state"] == EntryState.MEMBER
    html = response.content.decode()
    assert _buttons(html) == [f"GET {page_url(community, 'invite')} Invite friends"]
    assert "You're in: you are a member of this community." in html
    leave = re.findall(r'<a class="([^"]*m-leave-link[^"]*)" href="([^"]*)">([^<]*)</a>', html)
    assert len(leave) == 1
    assert leave[0][2] == "Leave community"
    assert "/leave/?next=" in leave[0][1]
    assert "Leave community" not in _cta(html)  # apart from the main buttons
    header = html.split("</header>")[0]
    assert "Sign out" in header
    assert "Leave community" not in header


def test_member_joins_other_open_community_in_one_tap(client_as, member, other_community):
    response = client_as("member").get(page_url(other_community))
    assert response.context["state"] == EntryState.JOIN
    assert _buttons(response.content.decode()) == [
        f"POST {page_url(other_community, 'join')} Join this community"
    ]


@pytest.mark.parametrize("persona", ["outsider", "org_admin", "chapter_head", "assistant"])
def test_accounts_without_member_profile(client_as, community, member, persona):
    response = client_as(persona).get(page_url(community))
    assert response.context["state"] == EntryState.NO_MEMBER
    html = response.content.decode()
    assert _buttons(html) == []
    assert "This account has no member profile." in html
    assert page_url(community, "signup") in _cta(html)


def test_member_of_another_organisation_is_told(client_as, foreign_member, community):
    client = client_as("outsider")
    client.force_login(foreign_member.user)
    response = client.get(page_url(community))
    assert response.context["state"] == EntryState.OTHER_ORG
    assert escape("Your account is a member of 别的组织") in response.content.decode()
    assert _buttons(response.content.decode()) == []


def test_full_without_waitlist(client_as, full_community, member):
    for persona in ("member", "anonymous"):
        response = client_as(persona).get(page_url(full_community))
        assert response.status_code == 200
        assert response.context["state"] == EntryState.FULL
        html = response.content.decode()
        assert _buttons(html) == []
        assert "This community is full." in html
        assert '<dd class="m-seats m-seats-none">None</dd>' in html


def test_full_with_waitlist(client_as, full_community, member):
    JoinPolicy.objects.create(community=full_community, waitlist_enabled=True)
    response = client_as("member").get(page_url(full_community))
    assert response.context["state"] == EntryState.WAITLIST_JOIN
    assert _buttons(response.content.decode()) == [
        f"POST {page_url(full_community, 'join')} Join the waitlist"
    ]


def test_on_the_waitlist(client_as, full_community, member):
    WaitlistEntry.objects.create(
        organization=full_community.organization, community=full_community, member=member
    )
    response = client_as("member").get(page_url(full_community))
    assert response.context["state"] == EntryState.WAITLISTED
    assert "You are on the waitlist." in response.content.decode()
    assert len(_buttons(response.content.decode())) == 1


def test_seat_offered(client_as, full_community, member):
    WaitlistEntry.objects.create(
        organization=full_community.organization,
        community=full_community,
        member=member,
        status="offered",
        offer_expires_at=timezone.now() + timedelta(hours=2),
    )
    response = client_as("member").get(page_url(full_community))
    assert response.context["state"] == EntryState.SEAT_OFFERED
    assert _buttons(response.content.decode())[0].endswith("Take your seat")


def test_blacklisted_member_is_told_not_an_error(client_as, member, other_community, org):
    BlacklistEntry.objects.create(organization=org, member=member, reason="广告")
    response = client_as("member").get(page_url(other_community))
    assert response.status_code == 200
    assert response.context["state"] == EntryState.BLACKLISTED
    html = response.content.decode()
    assert "This organisation does not admit you to its communities." in html
    assert _buttons(html) == []
    assert "广告" not in html  # the reason is for operators


def test_rejoin_blocked_is_told(client_as, member, community):
    member.memberships.update(status=MembershipStatus.REMOVED)
    recount_members()
    response = client_as("member").get(page_url(community))
    assert response.status_code == 200
    assert response.context["state"] == EntryState.REJOIN_BLOCKED
    assert "an operator must allow you back" in response.content.decode()
    assert _buttons(response.content.decode()) == []


@pytest.mark.parametrize(
    ("status", "state", "action", "label"),
    [
        (None, EntryState.APPLY, "apply", "Apply to join"),
        (
            ApplicationStatus.PENDING,
            EntryState.APPLICATION_PENDING,
            "application",
            "See your application",
        ),
        (ApplicationStatus.INTERVIEW, EntryState.INTERVIEW, "application", "See the interview"),
        (ApplicationStatus.REJECTED, EntryState.REJECTED, "apply", "Apply again"),
        (ApplicationStatus.APPROVED, EntryState.APPROVED, "application", "See your application"),
    ],
)
def test_private_community_per_application_state(
    client_as, private_community, member, status, state, action, label
):
    if status is not None:
        make_application(private_community, member, status=status)
    response = client_as("member").get(page_url(private_community))
    assert response.status_code == 200
    assert response.context["state"] == state
    assert _buttons(response.content.decode()) == [
        f"GET {page_url(private_community, action)} {label}"
    ]


@pytest.mark.parametrize("fixture", ["private_community", "paid_community"])
def test_anonymous_on_private_or_paid_signs_in(client, request, fixture):
    community = request.getfixturevalue(fixture)
    response = client.get(page_url(community))
    assert response.context["state"] == EntryState.SIGN_IN
    assert _buttons(response.content.decode()) == [
        f"GET {page_url(community, 'signup')} Create an account to continue"
    ]
    assert f'href="/c/login/?next={page_url(community)}"' in response.content.decode()


def test_sections_are_escaped_with_line_breaks(client, community):
    community.intro = "每周四晚线下沙龙"
    community.rules = "1. 禁止广告\n2. 实名入群"
    community.save()
    JoinPolicy.objects.create(
        community=community,
        rights_duties="每月参加一次活动\n<b>守规</b>",
        perks="免费听课",
        next_steps="加群后请改群名片",
    )
    html = client.get(page_url(community)).content.decode()
    assert "<h2>About this community</h2>" in html
    assert "每周四晚线下沙龙" in html
    assert "<h2>Group rules</h2>" in html
    assert "1. 禁止广告<br>2. 实名入群" in html
    assert "<h2>Rights and duties of members</h2>" in html
    assert "每月参加一次活动<br>&lt;b&gt;守规&lt;/b&gt;" in html
    assert "<h2>Member perks</h2>" in html
    assert "免费听课" in html
    assert "<h2>What happens next</h2>" in html
    assert "加群后请改群名片" in html
    assert "<b>守规" not in html


@pytest.mark.parametrize(
    ("fixture", "text"),
    [
        ("community", "One tap and you are in."),
        ("private_community", "You fill in the application form."),
        ("paid_community", "You pay the price shown above."),
    ],
)
def test_default_next_steps_per_access_mode(client, request, fixture, text):
    community = request.getfixturevalue(fixture)
    assert text in client.get(page_url(community)).content.decode()


def test_seats_left_count_members_and_held_offers(client, community, other_member):
    community.capacity = 5
    community.save()
    MembershipFactory.create_batch(2, community=community)
    WaitlistEntry.objects.create(
        organization=community.organization,
        community=community,
        member=other_member,
        status="offered",
        offer_expires_at=timezone.now() + timedelta(hours=1),
    )
    html = client.get(page_url(community)).content.decode()
    assert "<dd>2 / 5</dd>" in html
    assert '<dd class="m-seats">2</dd>' in html  # 5 − 2 members − 1 held seat


def test_expired_session_invite_link_is_explained(client_as, member, other_community):
    link = InviteLinkFactory(community=other_community, expires_at=timezone.now())
    client = client_as("member")
    session = client.session
    session[SESSION_KEY] = {str(other_community.pk): link.pk}
    session.save()
    response = client.get(page_url(other_community))
    assert response.status_code == 200
    html = response.content.decode()
    assert "The invite link you came through no longer works: This invite link has expired." in html
    assert response.context["state"] == EntryState.JOIN


@pytest.mark.parametrize("persona", ["member", "anonymous", "org_admin"])
def test_unknown_is_404_archived_and_dissolved_say_closed(
    client_as, community, archived_community, persona
):
    client = client_as(persona)
    response = client.get(page_url(archived_community))
    assert response.status_code == 410  # shequn/portal/tests/test_closed_page.py
    assert response.templates[0].name == "portal/closed.html"
    assert client.get("/c/pj/no-such-group/").status_code == 404
    assert client.get(f"/c/nope/{community.slug}/").status_code == 404
    archived_community.status = "dissolved"
    archived_community.save()
    assert client.get(page_url(archived_community)).status_code == 410


def test_page_is_mobile_ready(client, community):
    html = client.get(page_url(community)).content.decode()
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert "css/member.css" in html


def test_post_is_not_allowed(client, community):
    assert client.post(page_url(community)).status_code == 405


def test_zh_hans_page(client, community, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    html = client.get(page_url(community), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "加入社群" in html or "加入" in html


@pytest.mark.parametrize("rows", [3, 10])
def test_query_count_is_constant_anonymous(client, community, rows, django_assert_num_queries):
    MembershipFactory.create_batch(rows, community=community)
    # the community, its joining rules, the seats held for offers
    with django_assert_num_queries(3):
        response = client.get(page_url(community))
    assert response.context["community"].member_count == rows


@pytest.mark.parametrize("rows", [3, 10])
def test_query_count_is_constant_for_member(
    client_as, other_community, member, org, rows, django_assert_num_queries
):
    MembershipFactory.create_batch(rows, community=other_community)
    BlacklistEntry.objects.bulk_create(
        [
            BlacklistEntry(organization=org, phone=f"+86139000000{i:02d}", reason="x")
            for i in range(rows)
        ]
    )
    client = client_as("member")
    # session, user, community, member, rules, held seats ×2, membership, blacklist (identities,
    # entries), waitlist entry, and the console's context processor (is this an operator?)
    with django_assert_num_queries(12):
        response = client.get(page_url(other_community))
    assert response.context["state"] == EntryState.JOIN


def test_paid_community_shows_early_bird_price_and_checkout(client_as, paid_community, member):
    CommunityPrice.objects.create(
        community=paid_community,
        price_fen=19900,
        early_bird_price_fen=9950,
        early_bird_seats=50,
        term_days=365,
    )
    response = client_as("member").get(page_url(paid_community))
    assert response.context["state"] == EntryState.PAY
    html = response.content.decode()
    assert '<strong class="m-price-amount">¥99.50</strong>' in html
    assert '<s class="m-price-regular">¥199</s>' in html
    assert "50 early-bird seats left" in html
    assert "Membership for 365 days" in html
    assert _buttons(html) == [f"GET {page_url(paid_community, 'pay')} Pay and join"]
    anonymous = client_as("anonymous").get(page_url(paid_community)).content.decode()
    assert '<strong class="m-price-amount">¥99.50</strong>' in anonymous


def test_paid_community_with_pending_order_continues_paying(client_as, paid_community, member):
    CommunityPrice.objects.create(community=paid_community, price_fen=19900)
    order = Order.objects.create(
        organization=paid_community.organization,
        community=paid_community,
        member=member,
        number="SQ20261202000009",
        amount_fen=19900,
        price_label=PriceLabel.REGULAR,
        expires_at=timezone.now() + timedelta(hours=1),
    )
    response = client_as("member").get(page_url(paid_community))
    assert response.context["state"] == EntryState.PAYMENT_PENDING
    html = response.content.decode()
    assert "Your order of ¥199 is waiting for payment." in html
    assert _buttons(html) == [f"GET /c/orders/{order.number}/ Continue paying"]
