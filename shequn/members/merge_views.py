"""Console pages of identity merge: the review queue, a suggestion side by side, bulk accept,
the merge history with unmerge, and a manual merge from a member's page (docs/merges.md)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from shequn.accounts.decorators import OperatorRequest, operator_required
from shequn.accounts.selectors import OperatorScope
from shequn.core.pagination import get_window
from shequn.members.merge_forms import (
    DEFAULT_PERCENT,
    AutoMergeForm,
    BulkAcceptForm,
    KeepForm,
    MergeQueueFilterForm,
    MergeSearchForm,
)
from shequn.members.merge_suggestions import (
    accept_suggestion,
    accept_suggestions_above,
    describe_evidence,
    reject_suggestion,
    set_auto_merge_exact,
)
from shequn.members.merging import merge_members, unmerge
from shequn.members.models import Member, MergeSuggestion
from shequn.members.selectors import (
    can_review_merges,
    compare_members,
    get_member_for_user,
    get_merge_for_user,
    get_merge_suggestion_for_user,
    list_members,
    list_merge_suggestions,
    list_merges,
)

PER_PAGE = 25
MAX_CANDIDATES = 10
MAX_BULK_PREVIEW = 1000


def _reviewer(request: OperatorRequest) -> OperatorScope:
    actor = request.operator_scope
    actor.require(can_review_merges(actor))
    return actor


def _with_reasons(suggestions: list[MergeSuggestion]) -> list[MergeSuggestion]:
    for s in suggestions:
        s.reasons = [describe_evidence(e) for e in s.evidence]  # type: ignore[attr-defined]
    return suggestions


@operator_required
@require_GET
def merge_queue(request: OperatorRequest) -> HttpResponse:
    actor = _reviewer(request)
    form = MergeQueueFilterForm(request.GET or None)
    suggestions = list_merge_suggestions(actor=actor, **form.filters())
    page = get_window(suggestions, page=request.GET.get("page"), per_page=PER_PAGE)
    _with_reasons(page.object_list)
    context = {
        "form": form,
        "page": page,
        "threshold": DEFAULT_PERCENT,
        "auto_form": AutoMergeForm(initial={"enabled": actor.organization.auto_merge_exact}),
    }
    template = "members/merge_queue_table.html" if request.htmx else "members/merge_queue.html"
    return render(request, template, context)


@operator_required
@require_GET
def merge_suggestion(request: OperatorRequest, suggestion_id: int) -> HttpResponse:
    actor = _reviewer(request)
    suggestion = get_merge_suggestion_for_user(actor=actor, suggestion_id=suggestion_id)
    _with_reasons([suggestion])
    sides = compare_members(actor=actor, members=[suggestion.member_a, suggestion.member_b])
    return render(request, "members/merge_suggestion.html", {"s": suggestion, "sides": sides})


@operator_required
@require_POST
def merge_suggestion_accept(request: OperatorRequest, suggestion_id: int) -> HttpResponse:
    actor = _reviewer(request)
    suggestion = get_merge_suggestion_for_user(actor=actor, suggestion_id=suggestion_id)
    form = KeepForm(request.POST)
    keep = form.cleaned_data.get("keep") if form.is_valid() else None
    try:
        merge = accept_suggestion(actor=actor, suggestion=suggestion, keep=keep)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("merges:suggestion", suggestion_id=suggestion.pk)
    messages.success(
        request,
        _("%(source)s was merged into %(target)s.")
        % {"source": merge.source, "target": merge.target},
    )
    return redirect("merges:queue")


@operator_required
@require_POST
def merge_suggestion_reject(request: OperatorRequest, suggestion_id: int) -> HttpResponse:
    actor = _reviewer(request)
    suggestion = get_merge_suggestion_for_user(actor=actor, suggestion_id=suggestion_id)
    try:
        reject_suggestion(actor=actor, suggestion=suggestion)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("merges:suggestion", suggestion_id=suggestion.pk)
    messages.success(
        request, _("Marked as different people: this pair will not be suggested again.")
    )
    return redirect("merges:queue")


@operator_required
def merge_bulk_accept(request: OperatorRequest) -> HttpResponse:
    """GET: how many would merge (asks to confirm); POST with `confirm`: merge them."""
    actor = _reviewer(request)
    form = BulkAcceptForm(
        request.POST or request.GET or None, initial={"min_percent": DEFAULT_PERCENT}
    )
    context: dict[str, Any] = {"form": form, "threshold": DEFAULT_PERCENT}
    if form.is_bound and form.is_valid():
        minimum = form.cleaned_data["min_percent"] / 100
        suggestions = list_merge_suggestions(actor=actor, min_confidence=minimum)
        if request.method == "POST" and form.cleaned_data["confirm"]:
            result = accept_suggestions_above(
                actor=actor, suggestions=suggestions, min_confidence=minimum
            )
            messages.success(
                request,
                _("%(merged)s suggestions merged, %(skipped)s skipped.")
                % {"merged": result.merged, "skipped": result.skipped},
            )
            return redirect("merges:queue")
        counted = suggestions.order_by()[: MAX_BULK_PREVIEW + 1].count()
        context.update(
            count=min(counted, MAX_BULK_PREVIEW),
            capped=counted > MAX_BULK_PREVIEW,
            percent=form.cleaned_data["min_percent"],
        )
    return render(request, "members/merge_bulk_confirm.html", context)


@operator_required
@require_GET
def merge_history(request: OperatorRequest) -> HttpResponse:
    actor = _reviewer(request)
    page = get_window(list_merges(actor=actor), page=request.GET.get("page"), per_page=PER_PAGE)
    template = "members/merge_history_table.html" if request.htmx else "members/merge_history.html"
    return render(request, template, {"page": page})


@operator_required
@require_POST
def merge_unmerge(request: OperatorRequest, merge_id: int) -> HttpResponse:
    actor = _reviewer(request)
    merge = get_merge_for_user(actor=actor, merge_id=merge_id)
    try:
        unmerge(actor=actor, merge=merge)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("%(source)s is a separate member again.") % {"source": merge.source},
        )
    return redirect("merges:history")


def _source_from(request: OperatorRequest, actor: OperatorScope) -> Member:
    return get_member_for_user(actor=actor, member_id=_int(request.GET.get("source")))


def _int(raw: Any) -> int:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return 0


@operator_required
def merge_create(request: OperatorRequest) -> HttpResponse:
    """Merge `source` into a member found by a search (GET ?source=&q=), after a side-by-side
    look (GET ?source=&target=) and a confirmation (POST)."""
    actor = _reviewer(request)
    source = _source_from(request, actor)
    search = MergeSearchForm(request.GET or None)
    context: dict[str, Any] = {"source": source, "search": search}
    target_id = request.GET.get("target")
    if target_id:
        target = get_member_for_user(actor=actor, member_id=_int(target_id))
        if request.method == "POST":
            try:
                merge_members(actor=actor, source=source, target=target)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(
                    request,
                    _("%(source)s was merged into %(target)s.")
                    % {"source": source, "target": target},
                )
                return redirect("members:detail", member_id=target.pk)
        context.update(target=target, sides=compare_members(actor=actor, members=[source, target]))
    elif search.is_valid() and search.cleaned_data["q"].strip():
        found = list_members(actor=actor, q=search.cleaned_data["q"].strip())
        context["candidates"] = [m for m in found[: MAX_CANDIDATES + 1] if m.pk != source.pk][
            :MAX_CANDIDATES
        ]
    return render(request, "members/merge_create.html", context)


@operator_required
@require_GET
def merge_member_panel(request: OperatorRequest, member_id: int) -> HttpResponse:
    """The merge panel of a member's page (loaded by htmx): merges and "merge into…"."""
    actor = request.operator_scope
    member = get_member_for_user(actor=actor, member_id=member_id)
    context: dict[str, Any] = {"member": member, "can_merge": can_review_merges(actor)}
    if context["can_merge"]:
        context["merges"] = list(list_merges(actor=actor, member_id=member.pk)[:10])
        context["search"] = MergeSearchForm()
    return render(request, "members/merge_member_panel.html", context)


@operator_required
@require_POST
def merge_auto_setting(request: OperatorRequest) -> HttpResponse:
    actor = request.operator_scope
    form = AutoMergeForm(request.POST)
    enabled = form.is_valid() and form.cleaned_data["enabled"]
    organization = set_auto_merge_exact(actor=actor, enabled=enabled)
    if organization.auto_merge_exact:
        _find_soon(organization.pk)
        messages.success(request, _("Exact matches will be merged automatically."))
    else:
        messages.success(request, _("Exact matches wait for review."))
    return redirect("merges:queue")


def _find_soon(org_id: int) -> None:
    from shequn.members.tasks import find_merge_suggestions

    transaction.on_commit(lambda: find_merge_suggestions(org_id))


@operator_required
@require_POST
def merge_refresh(request: OperatorRequest) -> HttpResponse:
    actor = _reviewer(request)
    _find_soon(actor.organization.pk)
    messages.success(request, _("Looking for duplicates now; new suggestions appear here shortly."))
    return redirect("merges:queue")
