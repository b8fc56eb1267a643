"""Console pages of joining (docs/joining.md): a community's joining settings, its waitlist,
leave requests, the rejoin permission and the organisation-wide blacklist."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shequn.accounts.decorators import OperatorRequest, operator_required
from shequn.core.pagination import get_window
from shequn.joining import selectors, services
from shequn.joining.forms import BlacklistAddForm, BlacklistFilterForm, JoinPolicyForm, ReasonForm
from shequn.joining.models import LeaveRequestStatus, WaitlistStatus
from shequn.joining.rules import get_join_policy
from shequn.members.selectors import get_member_for_user, get_membership_for_user
from shequn.organizations.selectors import get_community_for_user

PER_PAGE = 25  # as every console list


def _error(request: OperatorRequest, exc: ValidationError) -> None:
    messages.error(request, " ".join(exc.messages))


@operator_required
@require_http_methods(["GET", "POST"])
def policy_edit(request: OperatorRequest, community_id: int) -> HttpResponse:
    actor = request.operator_scope
    community = get_community_for_user(actor=actor, community_id=community_id)
    actor.require(actor.can_manage_chapter(community.chapter_id))
    policy = get_join_policy(community)
    form = JoinPolicyForm(request.POST or None, instance=policy)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_join_policy(actor=actor, community=community, data=form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The joining rules were saved."))
            return redirect("organizations:community_detail", community_id=community.pk)
    return render(request, "joining/console/policy.html", {"community": community, "form": form})


@operator_required
@require_GET
def waitlist(request: OperatorRequest, community_id: int) -> HttpResponse:
    actor = request.operator_scope
    community = get_community_for_user(actor=actor, community_id=community_id)
    status = request.GET.get("status", "")
    status = status if status in WaitlistStatus.values else ""
    entries = selectors.list_waitlist(community=community, status=status)
    page = get_window(entries, page=request.GET.get("page"), per_page=PER_PAGE)
    context = {
        "community": community,
        "page": page,
        "status": status,
        "statuses": WaitlistStatus.choices,
        "can_manage": actor.can_manage_members_of(community.pk, community.chapter_id),
    }
    return render(request, "joining/console/waitlist.html", context)


@operator_required
@require_POST
def waitlist_offer(request: OperatorRequest, entry_id: int) -> HttpResponse:
    actor = request.operator_scope
    entry = selectors.get_waitlist_entry_for_user(actor=actor, entry_id=entry_id)
    try:
        services.offer_seat_now(actor=actor, entry=entry)
    except ValidationError as exc:
        _error(request, exc)
    else:
        messages.success(request, _("A seat was offered to %(name)s.") % {"name": entry.member})
    return redirect("joining:waitlist", community_id=entry.community_id)


@operator_required
@require_POST
def waitlist_remove(request: OperatorRequest, entry_id: int) -> HttpResponse:
    actor = request.operator_scope
    entry = selectors.get_waitlist_entry_for_user(actor=actor, entry_id=entry_id)
    try:
        services.remove_waitlist_entry(actor=actor, entry=entry)
    except ValidationError as exc:
        _error(request, exc)
    else:
        messages.success(request, _("%(name)s is off the waitlist.") % {"name": entry.member})
    return redirect("joining:waitlist", community_id=entry.community_id)


@operator_required
@require_GET
def leave_requests(request: OperatorRequest) -> HttpResponse:
    actor = request.operator_scope
    status = request.GET.get("status", "")
    status = status if status in LeaveRequestStatus.values else LeaveRequestStatus.PENDING
    leaves = selectors.list_leave_requests(actor=actor, status=status)
    page = get_window(leaves, page=request.GET.get("page"), per_page=PER_PAGE)
    context = {"page": page, "status": status, "statuses": LeaveRequestStatus.choices}
    return render(request, "joining/console/leave_requests.html", context)


@operator_required
@require_POST
def leave_confirm(request: OperatorRequest, leave_id: int) -> HttpResponse:
    actor = request.operator_scope
    leave = selectors.get_leave_request_for_user(actor=actor, leave_id=leave_id)
    try:
        services.confirm_leave_request(actor=actor, leave=leave)
    except ValidationError as exc:
        _error(request, exc)
    else:
        messages.success(request, _("%(name)s has left the community.") % {"name": leave.member})
    return redirect("joining:leave_requests")


@operator_required
@require_POST
def allow_rejoin(request: OperatorRequest, membership_id: int) -> HttpResponse:
    actor = request.operator_scope
    membership = get_membership_for_user(actor=actor, membership_id=membership_id)
    try:
        services.allow_rejoin(
            actor=actor, membership=membership, reason=request.POST.get("reason", "")[:500]
        )
    except ValidationError as exc:
        _error(request, exc)
    else:
        messages.success(request, _("%(name)s may join again.") % {"name": membership.member})
    return redirect("members:detail", member_id=membership.member_id)


@operator_required
@require_GET
def blacklist(request: OperatorRequest) -> HttpResponse:
    actor = request.operator_scope
    actor.require(selectors.can_see_blacklist(actor))
    form = BlacklistFilterForm(request.GET or None)
    q, lifted = "", False
    if form.is_valid():
        q, lifted = form.cleaned_data["q"] or "", form.cleaned_data["lifted"]
    entries = selectors.list_blacklist(actor=actor, lifted=lifted, q=q)
    page = get_window(entries, page=request.GET.get("page"), per_page=PER_PAGE)
    context = {"form": form, "page": page, "lifted": lifted, "lift_form": ReasonForm()}
    return render(request, "joining/console/blacklist.html", context)


@operator_required
@require_http_methods(["GET", "POST"])
def blacklist_add(request: OperatorRequest) -> HttpResponse:
    """?member=<id>: blacklist that member; otherwise a person by phone, email or account."""
    actor = request.operator_scope
    actor.require(selectors.can_see_blacklist(actor))
    member = None
    if request.GET.get("member"):
        member = get_member_for_user(actor=actor, member_id=_int(request.GET["member"]))
    form: Any = (ReasonForm if member else BlacklistAddForm)(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            entry = services.add_to_blacklist(actor=actor, member=member, **data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("%(name)s is on the blacklist.") % {"name": entry})
            if member is not None:
                return redirect("members:detail", member_id=member.pk)
            return redirect("joining:blacklist")
    context = {"form": form, "member": member}
    return render(request, "joining/console/blacklist_add.html", context)


@operator_required
@require_POST
def blacklist_lift(request: OperatorRequest, entry_id: int) -> HttpResponse:
    actor = request.operator_scope
    entry = selectors.get_blacklist_entry_for_user(actor=actor, entry_id=entry_id)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a reason for lifting the entry."))
        return redirect("joining:blacklist")
    try:
        services.lift_blacklist_entry(actor=actor, entry=entry, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        _error(request, exc)
    else:
        messages.success(request, _("The blacklist entry was lifted."))
    return redirect("joining:blacklist")


def _int(raw: Any) -> int:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return 0
