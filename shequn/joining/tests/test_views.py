"""Console pages, member pages and API of joining: what they do, bad input, 429, queries."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.urls import reverse

from shequn.audit.models import AuditEntry
from shequn.joining.models import (
    BlacklistEntry,
    JoinPolicy,
    LeaveRequest,
    LeaveRequestStatus,
    RejoinPolicy,
    WaitlistEntry,
    WaitlistStatus,
)
from shequn.members.models import Membership, MembershipStatus
from shequn.members.tests.factories import MemberFactory, MembershipFactory

pytestmark = pytest.mark.django_db


def _leave_url(community):
    return reverse("joining_portal:leave", args=[community.organization.slug, community.slug])


def _waitlist_url(community):
    return reverse("joining_portal:waitlist", args=[community.organization.slug, community.slug])


def test_leave_page_asks_with_reason_and_rule(client_as, member, community):
    JoinPolicy.objects.create(community=community, rejoin_policy=RejoinPolicy.NOBODY)
    response = client_as("member").get(_leave_url(community), HTTP_ACCEPT_LANGUAGE="zh-hans")
    body = response.content.decode()
    assert response.status_code == 200
    assert "退出社群" in body
    assert "退出登录</button>" not in body.split("m-page")[1]
    assert 'name="reason"' in body
    assert 'maxlength="500"' in body
    assert Membership.objects.get(member=member).status == MembershipStatus.ACTIVE


def test_leave_post_with_reason_leaves_by_request(client_as, member, community):
    response = client_as("member").post(_leave_url(community), {"reason": "太忙了"})
    assert response.status_code == 302
    membership = Membership.objects.get(member=member)
    assert (membership.status, membership.left_by_request, membership.end_reason) == (
        MembershipStatus.LEFT,
        True,
        "太忙了",
    )
    assert LeaveRequest.objects.get().status == LeaveRequestStatus.DONE


def test_leave_under_review_waits_and_can_be_withdrawn(client_as, member, community):
    JoinPolicy.objects.create(community=community, leave_review=True)
    client = client_as("member")
    client.post(_leave_url(community), {"reason": ""})
    assert LeaveRequest.objects.get().status == LeaveRequestStatus.PENDING
    page = client.get(_leave_url(community)).content.decode()
    assert "正等待管理员确认" in page
    client.post(_leave_url(community), {"action": "withdraw"})
    assert LeaveRequest.objects.get().status == LeaveRequestStatus.WITHDRAWN
    assert Membership.objects.get(member=member).status == MembershipStatus.ACTIVE


def test_leave_reason_too_long_changes_nothing(client_as, member, community):
    response = client_as("member").post(_leave_url(community), {"reason": "长" * 501})
    assert response.status_code == 302
    assert LeaveRequest.objects.count() == 0
    assert Membership.objects.get(member=member).status == MembershipStatus.ACTIVE


def test_leave_over_the_limit_is_the_styled_429(client_as, member, community, settings):
    settings.SHEQUN_RATE_LIMITS = settings.SHEQUN_RATE_LIMITS | {"leave": "1/3600"}
    JoinPolicy.objects.create(community=community, leave_review=True)
    client = client_as("member")
    client.post(_leave_url(community), {"action": "withdraw"})
    response = client.post(_leave_url(community), {"reason": "x"})
    assert response.status_code == 429
    assert "m-page" in response.content.decode()
    assert LeaveRequest.objects.count() == 0


def test_waitlist_page_take_the_offered_seat(client_as, member, community):
    from django.utils import timezone

    membership = Membership.objects.get(member=member)
    from shequn.members.services import end_membership

    end_membership(actor=None, membership=membership, status=MembershipStatus.LEFT)
    Membership.objects.filter(pk=membership.pk).update(rejoin_allowed=True)
    entry = WaitlistEntry.objects.create(
        organization=community.organization,
        community=community,
        member=member,
        status=WaitlistStatus.OFFERED,
        offered_at=timezone.now(),
        offer_expires_at=timezone.now() + timedelta(hours=2),
    )
    client = client_as("member")
    assert "确认入群" in client.get(_waitlist_url(community)).content.decode()
    response = client.post(_waitlist_url(community), {"action": "take"})
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.JOINED
    assert Membership.objects.get(member=member).status == MembershipStatus.ACTIVE


def test_waitlist_page_leave(client_as, member, community):
    entry = WaitlistEntry.objects.create(
        organization=community.organization, community=community, member=member
    )
    client = client_as("member")
    assert "候补第 1 位" in client.get(_waitlist_url(community)).content.decode()
    client.post(_waitlist_url(community), {"action": "leave"})
    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.CANCELLED


def test_policy_page_saves_and_audits(client_as, community):
    url = reverse("joining:policy", args=[community.pk])
    data = {
        "waitlist_enabled": "on",
        "offer_hours": "12",
        "rejoin_policy": "anyone",
        "rights_duties": "遵守群规",
        "perks": "线下沙龙",
        "next_steps": "加入后请自我介绍",
    }
    response = client_as("chapter_head").post(url, data)
    assert response.status_code == 302
    policy = JoinPolicy.objects.get(community=community)
    assert (policy.waitlist_enabled, policy.offer_hours, policy.rejoin_policy) == (
        True,
        12,
        "anyone",
    )
    assert AuditEntry.objects.filter(object_type="joinpolicy").count() == 1


@pytest.mark.parametrize("hours", ["0", "721", "99999999999999999999", "x"])
def test_policy_page_bad_hours_change_nothing(client_as, community, hours):
    url = reverse("joining:policy", args=[community.pk])
    response = client_as("org_admin").post(url, {"offer_hours": hours, "rejoin_policy": "anyone"})
    assert response.status_code == 200
    assert response.context["form"].has_error("offer_hours")
    assert JoinPolicy.objects.count() == 0


def test_console_removal_asks_for_a_reason(client_as, member, community):
    membership = Membership.objects.get(member=member)
    url = reverse("organizations:community_member_remove", args=[community.pk, membership.pk])
    client_as("org_admin").post(url, {"reason": ""})
    membership.refresh_from_db()
    assert membership.status == MembershipStatus.ACTIVE
    client_as("org_admin").post(url, {"reason": "发广告"})
    membership.refresh_from_db()
    assert (membership.status, membership.end_reason) == (MembershipStatus.REMOVED, "发广告")


def test_blacklist_from_member_page(client_as, member, community):
    url = reverse("joining:blacklist_add") + f"?member={member.pk}"
    response = client_as("org_admin").post(url, {"reason": "骚扰群友"})
    assert response.status_code == 302
    entry = BlacklistEntry.objects.get()
    assert entry.member_id == member.pk
    assert Membership.objects.get(member=member).status == MembershipStatus.REMOVED
    detail = client_as("org_admin").get(reverse("members:detail", args=[member.pk]))
    assert "骚扰群友" in detail.content.decode()


def test_waitlist_list_queries_do_not_grow(
    client_as, community, django_assert_num_queries, org_admin
):
    client = client_as("org_admin")
    url = reverse("joining:waitlist", args=[community.pk])
    for _ in range(3):
        WaitlistEntry.objects.create(
            organization=community.organization,
            community=community,
            member=MemberFactory(organization=community.organization),
        )
    client.get(url)
    with django_assert_num_queries(5):
        client.get(url)
    for _ in range(10):
        WaitlistEntry.objects.create(
            organization=community.organization,
            community=community,
            member=MemberFactory(organization=community.organization),
        )
    with django_assert_num_queries(5):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize("name", ["leave_requests", "blacklist"])
def test_other_lists_queries_do_not_grow(client_as, community, django_assert_num_queries, name):
    client = client_as("org_admin")
    url = reverse(f"joining:{name}")

    def add(n):
        for _ in range(n):
            m = MembershipFactory(community=community)
            LeaveRequest.objects.create(
                organization=community.organization,
                community=community,
                member=m.member,
                membership=m,
            )
            BlacklistEntry.objects.create(
                organization=community.organization, member=m.member, reason="x"
            )

    add(2)
    client.get(url)
    with django_assert_num_queries(4):
        client.get(url)
    add(8)
    with django_assert_num_queries(4):
        assert client.get(url).status_code == 200


def test_api_leave_request_and_429(api_client_as, member, settings):
    settings.SHEQUN_RATE_LIMITS = settings.SHEQUN_RATE_LIMITS | {"leave": "1/3600"}
    client = api_client_as("org_admin")
    membership = Membership.objects.get(member=member)
    body = json.dumps({"membership_id": membership.pk, "reason": "x"})
    first = client.post("/api/v1/leave-requests", body, content_type="application/json")
    assert first.status_code == 201
    assert first.json()["status"] == "done"
    second = client.post("/api/v1/leave-requests", body, content_type="application/json")
    assert second.status_code == 429
    assert second["Content-Type"].startswith("application/problem+json")
    assert LeaveRequest.objects.count() == 1


@pytest.mark.parametrize(
    "body",
    [{"reason": ""}, {"reason": "x" * 501}, {}, {"reason": "x", "extra": 1}],
)
def test_api_remove_bad_input_changes_nothing(api_client_as, member, body):
    membership = Membership.objects.get(member=member)
    response = api_client_as("org_admin").post(
        f"/api/v1/memberships/{membership.pk}/remove",
        json.dumps(body),
        content_type="application/json",
    )
    assert response.status_code == 422
    membership.refresh_from_db()
    assert membership.status == MembershipStatus.ACTIVE


def test_api_huge_ids_and_offsets_are_clean(api_client_as, community):
    client = api_client_as("org_admin")
    assert client.get("/api/v1/blacklist/99999999999999999999").status_code == 422
    assert client.get("/api/v1/leave-requests?offset=99999999999999").status_code == 422
    assert client.get("/api/v1/blacklist?limit=100000").status_code == 422


def test_api_list_queries_do_not_grow(api_client_as, community, django_assert_num_queries):
    client = api_client_as("org_admin")
    url = f"/api/v1/communities/{community.pk}/waitlist"

    def add(n):
        for _ in range(n):
            WaitlistEntry.objects.create(
                organization=community.organization,
                community=community,
                member=MemberFactory(organization=community.organization),
            )

    add(2)
    client.get(url)  # the token's first use is recorded once
    with django_assert_num_queries(API_QUERIES):
        assert len(client.get(url).json()["items"]) == 2
    add(5)
    with django_assert_num_queries(API_QUERIES):
        assert len(client.get(url).json()["items"]) == 7


API_QUERIES = 3
