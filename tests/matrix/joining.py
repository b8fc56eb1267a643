"""Permission-matrix rows of joining (see tests/matrix/common.py).

Joining settings: chapter heads of the community's chapter and admins. Waitlist and leave
requests: whoever manages the community's members (assistants too). Allowing a rejoin: chapter
heads and admins. The blacklist: admins; chapter heads see it and blacklist members of their
own chapter only (so not a non-member by phone or email).
"""

from __future__ import annotations

from tests.matrix.common import OC, OTHER, C, Fixtures, Row

HEAD = (200, 200, 403, 403, 403, 302)
ACT = (302, 302, 302, 403, 403, 302)
ACT_OTHER = (302, 404, 404, 403, 403, 302)
W, FW = {"entry_id": "waitlist_entry"}, {"entry_id": "far_waitlist_entry"}
L, FL = {"leave_id": "leave_request"}, {"leave_id": "far_leave_request"}
E, FE = {"membership_id": "ended_membership"}, {"membership_id": "far_ended_membership"}
B = {"entry_id": "blacklist_entry"}
PC = {"community": "community"}
API_ALL = (200, 200, 200, 401, 401, 401)
API_ALL_OTHER = (200, 404, 404, 401, 401, 401)

CONSOLE: list[Row] = [
    Row("joining:policy", C, "get", HEAD),
    Row("joining:policy", C, "post", HEAD),  # empty: the form again
    Row("joining:policy", OC, "get", OTHER),
    Row("joining:waitlist", C, "get", (200, 200, 200, 403, 403, 302)),
    Row("joining:waitlist", OC, "get", OTHER),
    Row("joining:waitlist_offer", W, "post", ACT),
    Row("joining:waitlist_offer", FW, "post", ACT_OTHER),
    Row("joining:waitlist_remove", W, "post", ACT),
    Row("joining:waitlist_remove", FW, "post", ACT_OTHER),
    Row("joining:leave_requests", {}, "get", (200, 200, 200, 403, 403, 302)),
    Row("joining:leave_confirm", L, "post", ACT),
    Row("joining:leave_confirm", FL, "post", ACT_OTHER),
    Row("joining:allow_rejoin", E, "post", (302, 302, 403, 403, 403, 302)),
    Row("joining:allow_rejoin", FE, "post", ACT_OTHER),
    Row("joining:blacklist", {}, "get", HEAD),
    Row("joining:blacklist_add", {}, "get", HEAD),
    Row("joining:blacklist_add", {}, "post", HEAD),  # empty: the form again
    Row("joining:blacklist_lift", B, "post", (302, 302, 403, 403, 403, 302)),
]
PORTAL: list[Row] = [
    Row("joining_portal:leave", PC, "get", (302, 302, 302, 200, 302, 302)),
    Row("joining_portal:leave", PC, "post", (302,) * 6),
    Row("joining_portal:waitlist", PC, "get", (302, 302, 302, 200, 302, 302)),
    Row("joining_portal:waitlist", PC, "post", (302,) * 6),
]
API: list[Row] = [
    Row("/communities/{community_id}/join-policy", C, "get", API_ALL),
    Row("/communities/{community_id}/join-policy", OC, "get", API_ALL_OTHER),
    Row("/communities/{community_id}/join-policy", C, "put", (200, 200, 403, 401, 401, 401), {}),
    Row("/communities/{community_id}/join-policy", OC, "put", (200, 404, 404, 401, 401, 401), {}),
    Row("/communities/{community_id}/waitlist", C, "get", API_ALL),
    Row("/communities/{community_id}/waitlist", OC, "get", API_ALL_OTHER),
    Row("/waitlist/{entry_id}/offer", W, "post", API_ALL),
    Row("/waitlist/{entry_id}/offer", FW, "post", API_ALL_OTHER),
    Row("/waitlist/{entry_id}", W, "delete", (204, 204, 204, 401, 401, 401)),
    Row("/waitlist/{entry_id}", FW, "delete", (204, 404, 404, 401, 401, 401)),
    Row("/leave-requests", {}, "get", API_ALL),
    Row(
        "/leave-requests",
        {},
        "post",
        (201, 201, 201, 401, 401, 401),
        {"membership_id": "@membership", "reason": "工作忙"},
    ),
    Row("/leave-requests/{leave_id}/confirm", L, "post", API_ALL),
    Row("/leave-requests/{leave_id}/confirm", FL, "post", API_ALL_OTHER),
    Row(
        "/memberships/{membership_id}/remove",
        {"membership_id": "membership"},
        "post",
        API_ALL,
        {"reason": "发广告"},
    ),
    Row(
        "/memberships/{membership_id}/remove",
        {"membership_id": "other_membership"},
        "post",
        API_ALL_OTHER,
        {"reason": "发广告"},
    ),
    Row("/memberships/{membership_id}/allow-rejoin", E, "post", (200, 200, 403, 401, 401, 401)),
    Row("/memberships/{membership_id}/allow-rejoin", FE, "post", API_ALL_OTHER),
    Row("/blacklist", {}, "get", (200, 200, 403, 401, 401, 401)),
    Row(
        "/blacklist",
        {},
        "post",
        (201, 403, 403, 401, 401, 401),
        {"reason": "骚扰", "email": "spam@example.com"},
    ),
    Row("/blacklist/{entry_id}", B, "get", (200, 200, 403, 401, 401, 401)),
    Row("/blacklist/{entry_id}/lift", B, "post", (200, 403, 403, 401, 401, 401), {"reason": "x"}),
]


def objects(fixtures: Fixtures) -> dict[str, int]:
    """An open waitlist entry, a pending leave request and an ended membership (removed) in
    each of `community` and `other_community`; one standing blacklist entry (no member)."""
    from shequn.joining.models import BlacklistEntry, JoinPolicy, LeaveRequest, WaitlistEntry
    from shequn.members.models import MembershipStatus
    from shequn.members.tests.factories import MemberFactory, MembershipFactory

    made: dict[str, int] = {}
    for prefix, community in (("", fixtures.community), ("far_", fixtures.other_community)):
        JoinPolicy.objects.create(community=community, leave_review=False)
        waiting = MemberFactory(organization=fixtures.org)
        made[f"{prefix}waitlist_entry"] = WaitlistEntry.objects.create(
            organization=fixtures.org, community=community, member=waiting
        ).pk
        leaving = MembershipFactory(community=community)
        made[f"{prefix}leave_request"] = LeaveRequest.objects.create(
            organization=fixtures.org,
            community=community,
            member=leaving.member,
            membership=leaving,
            reason="搬家",
        ).pk
        ended = MembershipFactory(community=community, status=MembershipStatus.REMOVED)
        made[f"{prefix}ended_membership"] = ended.pk
    made["blacklist_entry"] = BlacklistEntry.objects.create(
        organization=fixtures.org, email="bad@example.com", reason="发广告"
    ).pk
    return made
