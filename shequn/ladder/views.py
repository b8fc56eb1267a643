"""Console pages of the ladder (docs/ladder.md): the funnel with movement between two dates,
who moved, the rules, pinning a member's stage."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shequn.accounts.decorators import OperatorRequest, operator_required
from shequn.core.forms import add_service_errors
from shequn.core.pagination import get_window
from shequn.ladder import selectors, services
from shequn.ladder.compute import rules_for
from shequn.ladder.forms import LadderRulesForm, PeriodForm, PinForm
from shequn.ladder.models import Stage
from shequn.members.selectors import get_member_for_user
from shequn.organizations.selectors import list_chapters, list_communities

PER_PAGE = 25


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _scope(request: OperatorRequest) -> selectors.LadderScope:
    return selectors.get_ladder_scope(
        actor=request.operator_scope,
        chapter_id=_int(request.GET.get("chapter")),
        community_id=_int(request.GET.get("community")),
    )


@operator_required
@require_GET
def funnel(request: OperatorRequest) -> HttpResponse:
    actor = request.operator_scope
    scope = _scope(request)
    period = PeriodForm(request.GET or None)
    start, end = period.period(actor.organization.time_zone)
    movement: list[selectors.Movement] = []
    error = ""
    try:
        movement = selectors.stage_movement(actor=actor, scope=scope, start=start, end=end)
    except ValidationError as exc:
        error = " ".join(exc.messages)
    labels = dict(Stage.choices)
    context = {
        "scope": actor,
        "ladder_scope": scope,
        "steps": selectors.stage_funnel(actor=actor, scope=scope),
        "movement": [
            (m, labels.get(m.from_stage) if m.from_stage is not None else None, labels[m.to_stage])
            for m in movement
        ],
        "period": period,
        "start": start,
        "end": end,
        "error": error,
        "chapters": list_chapters(actor=actor)[:200],
        "communities": list_communities(actor=actor)[:200],
        "can_edit_rules": actor.is_org_admin,
    }
    return render(request, "ladder/funnel.html", context)


@operator_required
@require_GET
def movers(request: OperatorRequest) -> HttpResponse:
    actor = request.operator_scope
    scope = _scope(request)
    start, end = PeriodForm(request.GET or None).period(actor.organization.time_zone)
    first = request.GET.get("from") == "new"
    from_stage = None if first else _int(request.GET.get("from"))
    to_stage = _int(request.GET.get("to"))
    try:
        rows = selectors.list_movers(
            actor=actor,
            scope=scope,
            start=start,
            end=end,
            from_stage=from_stage,
            to_stage=to_stage,
            first_placement=first,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("ladder:funnel")
    page = get_window(rows, page=request.GET.get("page"), per_page=PER_PAGE)
    labels = dict(Stage.choices)
    context = {
        "ladder_scope": scope,
        "page": page,
        "start": start,
        "end": end,
        "from_label": _("First placed") if first else labels.get(from_stage or -1, ""),
        "to_label": labels.get(to_stage if to_stage is not None else -1, ""),
    }
    return render(request, "ladder/movers.html", context)


@operator_required
@require_http_methods(["GET", "POST"])
def rules(request: OperatorRequest) -> HttpResponse:
    actor = request.operator_scope
    actor.require(actor.is_org_admin)
    data = request.POST if request.method == "POST" else None
    form = LadderRulesForm(data, instance=rules_for(actor.organization))
    if request.method == "POST":
        try:
            services.save_ladder_rules(actor=actor, data=request.POST)
        except ValidationError as exc:
            form.is_valid()
            add_service_errors(form, exc)
        else:
            messages.success(
                request, _("The ladder rules were saved. Stages follow at the next recompute.")
            )
            return redirect("ladder:funnel")
        return render(request, "ladder/rules.html", {"form": form}, status=422)
    return render(request, "ladder/rules.html", {"form": form})


@operator_required
@require_POST
def pin(request: OperatorRequest, member_id: int) -> HttpResponse:
    actor = request.operator_scope
    member = get_member_for_user(actor=actor, member_id=member_id)
    actor.require(services.can_pin(actor))
    form = PinForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a stage and say why."))
        return redirect("members:detail", member_id=member.pk)
    try:
        services.pin_stage(
            actor=actor,
            member=member,
            stage=form.cleaned_data["stage"],
            reason=form.cleaned_data["reason"],
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The stage was pinned."))
    return redirect("members:detail", member_id=member.pk)


@operator_required
@require_POST
def unpin(request: OperatorRequest, member_id: int) -> HttpResponse:
    actor = request.operator_scope
    member = get_member_for_user(actor=actor, member_id=member_id)
    actor.require(services.can_pin(actor))
    try:
        services.unpin_stage(actor=actor, member=member)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The pin was removed; the computed stage applies."))
    return redirect("members:detail", member_id=member.pk)
