"""Member pages of joining: leave a community (退出社群) and the waitlist (候补).

Plain forms and redirects (WeChat's browser, no JavaScript). Expected refusals are messages on
the page, never an error page.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from shequn.core.ratelimit import (
    RateLimitedError,
    rate_limit_account,
    rate_limit_post,
    rate_limited_page,
)
from shequn.joining import selectors, services
from shequn.joining.admission import admit_member
from shequn.joining.models import LeaveRequestStatus, RejoinPolicy
from shequn.joining.rules import get_join_policy
from shequn.members.models import Member, MembershipSource, MembershipStatus
from shequn.members.selectors import get_member_for_account, get_visitor_membership
from shequn.organizations.models import Community
from shequn.organizations.selectors import get_public_community


def _page_url(community: Community) -> str:
    return reverse("portal:community", args=[community.organization.slug, community.slug])


def _member(request: HttpRequest, community: Community) -> Member | HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), login_url=reverse("portal:login"))
    member = get_member_for_account(request.user)
    if member is None or member.organization_id != community.organization_id:
        messages.error(request, _("You are not a member of this community."))
        return redirect(_page_url(community))
    return member


def _local_next(request: HttpRequest, data: QueryDict) -> str:
    """`next` when it is a page of this site, else ""."""
    next_url = str(data.get("next", ""))[:2000]
    if next_url and url_has_allowed_host_and_scheme(
        next_url, {request.get_host()}, request.is_secure()
    ):
        return next_url
    return ""


def _self_url(name: str, community: Community) -> str:
    return reverse(name, args=[community.organization.slug, community.slug])


def _rejoin_consequence(community: Community) -> str:
    rule = get_join_policy(community).rejoin_policy
    if rule == RejoinPolicy.ANYONE:
        return _("You can join again later.")
    if rule == RejoinPolicy.NOBODY:
        return _("You cannot join again unless an operator allows it.")
    return _("Because you leave by request, you may join again later.")


@require_http_methods(["GET", "POST"])
@rate_limit_post("leave")
def leave(request: HttpRequest, org_slug: str, slug: str) -> HttpResponse:
    community = get_public_community(org_slug=org_slug, slug=slug)
    member = _member(request, community)
    if isinstance(member, HttpResponse):
        return member
    membership = get_visitor_membership(member=member, community=community)
    pending = selectors.get_pending_leave(member=member, community=community)
    if membership is None or membership.status != MembershipStatus.ACTIVE:
        messages.error(request, _("You are not a member of this community."))
        return redirect("portal:my" if request.method == "POST" else _page_url(community))
    if request.method == "POST":
        try:
            rate_limit_account(request, "leave")
        except RateLimitedError as exc:
            return rate_limited_page(request, exc)
        if request.POST.get("action") == "withdraw":
            if pending is not None:
                services.withdraw_leave_request(member=member, leave=pending)
                messages.success(request, _("Your leave request was withdrawn; you stay."))
            return redirect(_page_url(community))
        try:
            leave_request = services.request_leave(
                membership=membership, reason=request.POST.get("reason", "")
            )
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
            return redirect(_self_url("joining_portal:leave", community))
        if leave_request.status == LeaveRequestStatus.DONE:
            messages.success(request, _("You have left %(name)s.") % {"name": community.name})
            return redirect(_local_next(request, request.POST) or reverse("portal:my"))
        messages.info(request, _("Your request was sent; an operator will confirm it."))
        return redirect(_self_url("joining_portal:leave", community))
    context = {
        "community": community,
        "pending": pending,
        "consequence": _rejoin_consequence(community),
        "review": get_join_policy(community).leave_review,
        "max_reason": services.REASON_MAX_LENGTH,
        "next": _local_next(request, request.GET) or _page_url(community),
    }
    return render(request, "joining/portal/leave.html", context)


@require_http_methods(["GET", "POST"])
@rate_limit_post("join")
def waitlist(request: HttpRequest, org_slug: str, slug: str) -> HttpResponse:
    community = get_public_community(org_slug=org_slug, slug=slug)
    member = _member(request, community)
    if isinstance(member, HttpResponse):
        return member
    entry = selectors.get_own_waitlist_entry(member=member, community=community)
    if request.method == "POST":
        try:
            rate_limit_account(request, "join")
        except RateLimitedError as exc:
            return rate_limited_page(request, exc)
        return _waitlist_action(request, community, member, entry)
    context = {
        "community": community,
        "entry": entry,
        "offer_open": entry is not None and selectors.offer_is_open(entry),
        "position": selectors.get_waitlist_position(entry) if entry else None,
    }
    return render(request, "joining/portal/waitlist.html", context)


def _waitlist_action(
    request: HttpRequest, community: Community, member: Member, entry: object
) -> HttpResponse:
    from shequn.joining.models import WaitlistEntry

    if not isinstance(entry, WaitlistEntry):
        messages.error(request, _("You are not on the waitlist of this community."))
        return redirect(_page_url(community))
    try:
        if request.POST.get("action") == "leave":
            services.leave_waitlist(member=member, entry=entry)
            messages.success(request, _("You left the waitlist."))
            return redirect(_page_url(community))
        if not selectors.offer_is_open(entry):
            raise ValidationError(_("No seat is offered to you yet."), code="no_offer")
        admission = admit_member(
            member=member,
            community=community,
            source=MembershipSource.SELF_SIGNUP,
            via_application=True,
            via_order=False,
            use_waitlist=False,
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect(_self_url("joining_portal:waitlist", community))
    if admission.joined:
        messages.success(request, _("Welcome to %(name)s!") % {"name": community.name})
    return redirect(_page_url(community))
