"""Pages of leaderboards (排行榜, docs/leaderboards.md): the console board by scope and
period (the first 100, with their movement against the previous period) and the member page
of a community's board (the first 20 and the visitor's own place)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from shequn.accounts.decorators import OperatorRequest, operator_required
from shequn.members.selectors import get_member_for_account
from shequn.organizations.selectors import get_public_community
from shequn.points import leaderboards as lb


def _int(raw: str | None) -> int | None:
    try:
        return int(raw) if raw else None
    except ValueError:
        raise Http404 from None


@operator_required
@require_GET
def board(request: OperatorRequest) -> HttpResponse:
    actor = request.operator_scope
    choices = lb.visible_boards(actor)
    picked = request.GET.get("board", "")
    if picked:  # the picker: "scope:id"
        scope, _sep, raw_id = picked.partition(":")
        scope_id = _int(raw_id)
    else:
        scope = request.GET.get("scope") or (choices[0][0] if choices else "organization")
        scope_id = _int(request.GET.get("scope_id"))
        if scope_id is None and not request.GET.get("scope") and choices:
            scope_id = choices[0][1]
    period = request.GET.get("period") or "7d"
    chosen = lb.get_board(actor, scope, scope_id, period)
    org = actor.organization
    places = lb.top(org, chosen)
    before = lb.previous_ranks(org, chosen)
    shown = lb.names(p.member_id for p in places)
    rows = []
    for place in places:
        movement: int | None = None
        is_new = False
        if before is not None:
            if place.member_id in before:
                movement = before[place.member_id] - place.rank
            else:
                is_new = True
        rows.append(
            {
                "place": place,
                "name": shown.get(place.member_id, ""),
                "movement": movement,
                "is_new": is_new,
            }
        )
    context = {
        "choices": [(f"{s}:{i}", label) for s, i, label in choices],
        "chosen": f"{chosen.scope}:{chosen.scope_id}",
        "board": chosen,
        "period": chosen.period,
        "periods": lb.period_choices(),
        "rows": rows,
        "backend": "redis" if lb.is_built(org) else "db",
    }
    return render(request, "points/leaderboard.html", context)


PORTAL_TOP = 20


@require_GET
def portal_board(request: HttpRequest, org_slug: str, slug: str) -> HttpResponse:
    """The community's board for its members: the first 20 and the visitor's own place."""
    community = get_public_community(org_slug=org_slug, slug=slug)
    page = reverse("portal:community", args=[community.organization.slug, community.slug])
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), login_url=reverse("portal:login"))
    member = get_member_for_account(request.user)
    if member is None or member.organization_id != community.organization_id:
        messages.error(request, _("You are not a member of this community."))
        return redirect(page)
    period = request.GET.get("period", "7d")
    if period not in lb.PERIODS:
        period = "7d"
    org = community.organization
    chosen = lb.Board(org.pk, "community", community.pk, period)  # type: ignore[arg-type]
    places = lb.top(org, chosen, PORTAL_TOP)
    shown = lb.names(p.member_id for p in places)
    context = {
        "community": community,
        "rows": [{"place": p, "name": shown.get(p.member_id, "")} for p in places],
        "mine": lb.rank(org, chosen, member.pk),
        "member": member,
        "period": period,
        "periods": lb.period_choices(),
    }
    return render(request, "points/leaderboard_portal.html", context)
