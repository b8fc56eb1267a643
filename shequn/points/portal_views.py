"""Member pages of points (docs/points.md): my points — the balance, the level and the way to
the next one, what expires when, the history, and a notice of a level reached (shown once).

Mobile-first, plain HTML (WeChat's browser). Anybody but a member of the organisation gets
the 404 page; an anonymous visitor is sent to sign in.
"""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from shequn.core.pagination import get_window
from shequn.members.selectors import get_member_for_account
from shequn.points import selectors, services
from shequn.points.expiry import upcoming_expiry

PER_PAGE = 20


@require_GET
def mine(request: HttpRequest, org_slug: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), login_url=reverse("portal:login"))
    member = get_member_for_account(request.user)
    if member is None or member.organization.slug != org_slug:
        raise Http404
    current, nxt, percent = selectors.progress(member)
    page = get_window(
        selectors.member_ledger(member), page=request.GET.get("page"), per_page=PER_PAGE
    )
    unseen = selectors.list_unseen_level_changes(member)
    if unseen:
        services.mark_level_changes_seen(member=member, change_ids=[c.pk for c in unseen])
    levels = {lv.number: lv for lv in selectors.list_levels(member.organization)}
    reached = [
        (change, levels.get(change.to_number)) for change in unseen if selectors.is_move_up(change)
    ]
    points = selectors.points_of(member)
    context = {
        "member": member,
        "organization": member.organization,
        "points": points,
        "level": current,
        "next_level": nxt,
        "percent": percent,
        "to_go": (nxt.threshold - points.earned) if nxt else 0,
        "expiring": upcoming_expiry(member),
        "page": page,
        "reached": reached,
    }
    return render(request, "points/portal/mine.html", context)
