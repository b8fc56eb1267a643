"""Console pages of points (docs/points.md): the rules (the organisation's and communities'
overrides), the settings, the levels, and a member's points (balance, level, ledger, the
adjustment form and reversals). Rules, settings and levels: organisation admins; adjustments
and reversals: organisation admins and chapter heads (their members); every operator sees the
rules and the points of the members in their scope."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shequn.accounts.decorators import OperatorRequest, operator_required
from shequn.core.forms import add_service_errors
from shequn.core.pagination import get_window
from shequn.members.models import Member
from shequn.points import selectors, services
from shequn.points.forms import (
    AdjustForm,
    ReverseForm,
    RuleForm,
    SettingsForm,
    rule_initial,
    settings_initial,
)
from shequn.points.models import PointRule

PER_PAGE = 25  # as every console list
EMPTY_LEVEL_ROWS = 3


def _admin(request: OperatorRequest) -> None:
    request.operator_scope.require(selectors.can_manage_points(request.operator_scope))


# --- rules ----------------------------------------------------------------------------------


@operator_required
@require_GET
def rule_list(request: OperatorRequest) -> HttpResponse:
    actor = request.operator_scope
    rules = list(selectors.list_rules(actor=actor))
    context = {
        "org_rules": [r for r in rules if r.community_id is None],
        "community_rules": [r for r in rules if r.community_id is not None],
        "has_rules": bool(rules),
        "can_manage": selectors.can_manage_points(actor),
    }
    return render(request, "points/rules.html", context)


def _rule_page(
    request: OperatorRequest, form: RuleForm, rule: PointRule | None, status: int = 200
) -> HttpResponse:
    return render(request, "points/rule_form.html", {"form": form, "rule": rule}, status=status)


@operator_required
@require_http_methods(["GET", "POST"])
def rule_create(request: OperatorRequest) -> HttpResponse:
    _admin(request)
    actor = request.operator_scope
    form = RuleForm(request.POST or None, actor=actor)
    if request.method == "POST":
        if form.is_valid():
            try:
                rule = services.save_rule(actor=actor, data=form.data_for_service())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The rule %(rule)s was created.") % {"rule": rule})
                return redirect("points:rules")
        return _rule_page(request, form, None, status=422)
    return _rule_page(request, form, None)


@operator_required
@require_http_methods(["GET", "POST"])
def rule_edit(request: OperatorRequest, rule_id: int) -> HttpResponse:
    _admin(request)
    actor = request.operator_scope
    rule = selectors.get_rule(actor=actor, rule_id=rule_id)
    form = RuleForm(request.POST or None, actor=actor, initial=rule_initial(rule))
    if request.method == "POST":
        if form.is_valid():
            try:
                services.save_rule(actor=actor, data=form.data_for_service(), rule=rule)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The rule was saved."))
                return redirect("points:rules")
        rule.refresh_from_db()
        return _rule_page(request, form, rule, status=422)
    return _rule_page(request, form, rule)


@operator_required
@require_POST
def rule_delete(request: OperatorRequest, rule_id: int) -> HttpResponse:
    _admin(request)
    actor = request.operator_scope
    rule = selectors.get_rule(actor=actor, rule_id=rule_id)
    services.delete_rule(actor=actor, rule=rule)
    messages.success(request, _("The rule was deleted; points already given stay in the ledger."))
    return redirect("points:rules")


@operator_required
@require_POST
def rule_switch(request: OperatorRequest, rule_id: int) -> HttpResponse:
    """Switch a rule off (or on again)."""
    _admin(request)
    actor = request.operator_scope
    rule = selectors.get_rule(actor=actor, rule_id=rule_id)
    data = rule_initial(rule) | {"is_active": not rule.is_active}
    try:
        services.save_rule(actor=actor, data=data, rule=rule)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("The rule is switched on.") if rule.is_active else _("The rule is switched off."),
        )
    return redirect("points:rules")


@operator_required
@require_POST
def install_defaults(request: OperatorRequest) -> HttpResponse:
    _admin(request)
    actor = request.operator_scope
    made = services.install_default_rules(actor.organization.pk, actor=actor)
    if made:
        messages.success(request, _("The default rules were installed."))
    else:
        messages.info(request, _("There are rules already: nothing was installed."))
    return redirect("points:rules")


# --- settings and levels --------------------------------------------------------------------


@operator_required
@require_http_methods(["GET", "POST"])
def settings_edit(request: OperatorRequest) -> HttpResponse:
    _admin(request)
    actor = request.operator_scope
    row = selectors.get_settings(actor.organization)
    form = SettingsForm(request.POST or None, initial=settings_initial(row))
    if request.method == "POST":
        if form.is_valid():
            try:
                services.save_settings(actor=actor, data=form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The points settings were saved."))
                return redirect("points:settings")
        return render(request, "points/settings.html", {"form": form}, status=422)
    return render(request, "points/settings.html", {"form": form})


def _posted_levels(data: Any) -> list[dict[str, str]]:
    """The rows of the levels form (name_N, threshold_N, badge_N), without blank rows."""
    rows: list[dict[str, str]] = []
    for i in range(1, services.MAX_LEVELS + EMPTY_LEVEL_ROWS + 1):
        row = {
            key: str(data.get(f"{key}_{i}", "")).strip() for key in ("name", "threshold", "badge")
        }
        if any(row.values()):
            rows.append(row)
    return rows


@operator_required
@require_http_methods(["GET", "POST"])
def levels_edit(request: OperatorRequest) -> HttpResponse:
    _admin(request)
    actor = request.operator_scope
    errors: list[str] = []
    if request.method == "POST":
        rows = _posted_levels(request.POST)
        try:
            services.save_levels(actor=actor, levels=rows)
        except ValidationError as exc:
            errors = exc.messages
        else:
            messages.success(request, _("The levels were saved."))
            return redirect("points:levels")
    else:
        rows = [
            {"name": lv.name, "threshold": str(lv.threshold), "badge": lv.badge}
            for lv in selectors.list_levels(actor.organization)
        ]
    rows = rows + [{"name": "", "threshold": "", "badge": ""}] * EMPTY_LEVEL_ROWS
    numbered = list(enumerate(rows[: services.MAX_LEVELS + EMPTY_LEVEL_ROWS], start=1))
    context = {"rows": numbered, "errors": errors}
    return render(request, "points/levels.html", context, status=422 if errors else 200)


# --- a member's points ----------------------------------------------------------------------


def _member_page(
    request: OperatorRequest,
    member: Member,
    *,
    form: AdjustForm | None = None,
    reverse_errors: dict[int, list[str]] | None = None,
    status: int = 200,
) -> HttpResponse:
    actor = request.operator_scope
    entries = selectors.member_ledger(member).select_related("actor", "reverses")
    page = get_window(entries, page=request.GET.get("page"), per_page=PER_PAGE)
    reversed_ids = set(
        selectors.member_ledger(member)
        .filter(reverses_id__in=[e.pk for e in page])
        .values_list("reverses_id", flat=True)
    )
    current, nxt, percent = selectors.progress(member)
    context = {
        "member": member,
        "points": selectors.points_of(member),
        "level": current,
        "next_level": nxt,
        "percent": percent,
        "page": page,
        "reversed_ids": reversed_ids,
        "can_adjust": selectors.can_adjust_points(actor),
        "form": form or AdjustForm(),
        "reverse_errors": reverse_errors or {},
    }
    return render(request, "points/member.html", context, status=status)


@operator_required
@require_GET
def member_points(request: OperatorRequest, member_id: int) -> HttpResponse:
    member = selectors.get_member(actor=request.operator_scope, member_id=member_id)
    return _member_page(request, member)


@operator_required
@require_POST
def member_adjust(request: OperatorRequest, member_id: int) -> HttpResponse:
    actor = request.operator_scope
    member = selectors.get_member(actor=actor, member_id=member_id)
    actor.require(selectors.can_adjust_points(actor))
    form = AdjustForm(request.POST)
    if form.is_valid():
        try:
            entry = services.adjust_points(
                actor=actor,
                member=member,
                points=form.cleaned_data["points"],
                note=form.cleaned_data["note"],
                penalty=form.cleaned_data["penalty"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("%(points)+d points written.") % {"points": entry.delta})
            return redirect("points:member", member_id=member.pk)
    return _member_page(request, member, form=form, status=422)


@operator_required
@require_POST
def entry_reverse(request: OperatorRequest, entry_id: int) -> HttpResponse:
    actor = request.operator_scope
    entry = selectors.get_entry(actor=actor, entry_id=entry_id)
    member = selectors.get_member(actor=actor, member_id=entry.member_id)
    actor.require(selectors.can_adjust_points(actor))
    form = ReverseForm(request.POST)
    problems: list[str] = []
    if form.is_valid():
        try:
            services.reverse(actor=actor, entry=entry, note=form.cleaned_data["note"])
        except ValidationError as exc:
            problems = exc.messages
        else:
            messages.success(request, _("The entry was reversed."))
            return redirect("points:member", member_id=member.pk)
    else:
        problems = [str(m) for errors in form.errors.values() for m in errors]
    return _member_page(request, member, reverse_errors={entry.pk: problems}, status=422)
