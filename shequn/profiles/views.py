"""Console pages of member profiles (docs/profiles.md): talk notes of a member, the member's
timeline, the operator's follow-ups, and the note actions (add, edit, delete, follow-up done).

The actions answer an htmx request with the partial they change (the member panel, a note) and
a plain form post with a redirect to `next` (a page of this site) or the member's page.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shequn.accounts.decorators import OperatorRequest, operator_required
from shequn.accounts.selectors import list_operators
from shequn.core.forms import add_service_errors
from shequn.core.pagination import get_window
from shequn.members.selectors import get_member_for_user
from shequn.profiles import selectors, services
from shequn.profiles.forms import TalkNoteForm
from shequn.profiles.models import TalkNote
from shequn.profiles.panels import member_panel_context, note_context

PER_PAGE = 25  # as every console list
OPERATOR_CHOICES_MAX = 200


def _next(request: OperatorRequest, member_id: int) -> str:
    """Where a plain form post goes back to: `next` when it is a page of this site, else the
    member's page."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("members:detail", args=[member_id])


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _note_partial(request: OperatorRequest, note: TalkNote, status: int = 200) -> HttpResponse:
    context = note_context(request.operator_scope) | {
        "note": note,
        "show_member": request.POST.get("show_member") == "1",
        "next": request.POST.get("next", ""),
    }
    return render(request, "profiles/partials/note.html", context, status=status)


@operator_required
@require_POST
def note_add(request: OperatorRequest, member_id: int) -> HttpResponse:
    actor = request.operator_scope
    member = get_member_for_user(actor=actor, member_id=member_id)
    form = TalkNoteForm(request.POST, zone=selectors.organization_zone(actor.organization))
    if form.is_valid():
        try:
            services.write_talk_note(actor=actor, member=member, **form.note_data())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if request.htmx:
                context = member_panel_context(actor, member)
                return render(request, "profiles/partials/member_panel_body.html", context)
            messages.success(request, _("The talk note was saved."))
            return redirect(_next(request, member.pk))
    if request.htmx:
        context = member_panel_context(actor, member, form=form)
        return render(request, "profiles/partials/member_panel_body.html", context, status=422)
    return _render_notes(request, member_id, form=form, status=422)


def _render_notes(
    request: OperatorRequest,
    member_id: int,
    form: TalkNoteForm | None = None,
    status: int = 200,
) -> HttpResponse:
    actor = request.operator_scope
    member = get_member_for_user(actor=actor, member_id=member_id)
    notes = selectors.list_member_notes(member=member)
    page = get_window(notes, page=request.GET.get("page"), per_page=PER_PAGE)
    zone = selectors.organization_zone(actor.organization)
    context = note_context(actor) | {
        "member": member,
        "page": page,
        "form": form or TalkNoteForm(zone=zone),
        "next": reverse("profiles:notes", args=[member.pk]),
    }
    return render(request, "profiles/notes.html", context, status=status)


@operator_required
@require_GET
def notes(request: OperatorRequest, member_id: int) -> HttpResponse:
    return _render_notes(request, member_id)


@operator_required
@require_http_methods(["GET", "POST"])
def note_edit(request: OperatorRequest, note_id: int) -> HttpResponse:
    actor = request.operator_scope
    note = selectors.get_talk_note_for_user(actor=actor, note_id=note_id)
    actor.require(selectors.can_change_note(actor, note))
    zone = selectors.organization_zone(actor.organization)
    data = request.POST if request.method == "POST" else None
    form = TalkNoteForm(data, zone=zone, note=note)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_talk_note(actor=actor, note=note, data=form.note_data())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The talk note was saved."))
            return redirect(_next(request, note.member_id))
    context = {
        "note": note,
        "member": note.member,
        "form": form,
        "next": _next(request, note.member_id),
    }
    status = 422 if request.method == "POST" else 200
    return render(request, "profiles/note_edit.html", context, status=status)


@operator_required
@require_POST
def note_delete(request: OperatorRequest, note_id: int) -> HttpResponse:
    actor = request.operator_scope
    note = selectors.get_talk_note_for_user(actor=actor, note_id=note_id)
    target = _next(request, note.member_id)
    services.delete_talk_note(actor=actor, note=note)
    if request.htmx:
        return HttpResponse("")
    messages.success(request, _("The talk note was deleted."))
    return redirect(target)


@operator_required
@require_POST
def note_done(request: OperatorRequest, note_id: int) -> HttpResponse:
    actor = request.operator_scope
    note = selectors.get_talk_note_for_user(actor=actor, note_id=note_id)
    try:
        note = services.complete_follow_up(actor=actor, note=note)
    except ValidationError as exc:
        if request.htmx:
            return _note_partial(request, note, status=409)
        messages.error(request, " ".join(exc.messages))
    else:
        if request.htmx:
            return _note_partial(request, note)
        messages.success(request, _("The follow-up is done."))
    return redirect(_next(request, note.member_id))


@operator_required
@require_GET
def timeline(request: OperatorRequest, member_id: int) -> HttpResponse:
    actor = request.operator_scope
    member = get_member_for_user(actor=actor, member_id=member_id)
    before = request.GET.get("before") or None
    error = ""
    try:
        page = selectors.get_member_timeline(actor=actor, member=member, cursor=before)
    except selectors.InvalidCursorError as exc:
        error, before = str(exc), None
        page = selectors.get_member_timeline(actor=actor, member=member)
    context = note_context(actor) | {
        "member": member,
        "page": page,
        "paged": before is not None,
        "error": error,
    }
    template = "profiles/partials/timeline_page.html" if request.htmx else "profiles/timeline.html"
    return render(request, template, context)


def _follow_up_page(
    request: OperatorRequest, operator: Any, when: selectors.FollowUpWhen, param: str
) -> tuple[selectors.FollowUpPage, str]:
    actor = request.operator_scope
    try:
        page = selectors.list_follow_ups(
            actor=actor, operator=operator, when=when, cursor=request.GET.get(param) or None
        )
    except selectors.InvalidCursorError as exc:
        return selectors.list_follow_ups(actor=actor, operator=operator, when=when), str(exc)
    return page, ""


@operator_required
@require_GET
def follow_ups(request: OperatorRequest) -> HttpResponse:
    """待跟进: my open follow-ups, due and upcoming; an org admin may pick another operator."""
    actor = request.operator_scope
    operator = selectors.get_follow_up_operator(
        actor=actor, operator_id=_int(request.GET.get("operator"))
    )
    due, due_error = _follow_up_page(request, operator, "due", "due_after")
    upcoming, upcoming_error = _follow_up_page(request, operator, "upcoming", "upcoming_after")
    operators: list[Any] = []
    if actor.is_org_admin:
        operators = list(list_operators(actor=actor).prefetch_related(None)[:OPERATOR_CHOICES_MAX])
    context = note_context(actor) | {
        "operator": operator,
        "mine": operator.pk == actor.operator.pk,
        "operators": operators,
        "due": due,
        "upcoming": upcoming,
        "error": due_error or upcoming_error,
        "upcoming_days": selectors.UPCOMING_DAYS,
        "next": request.get_full_path(),
    }
    return render(request, "profiles/follow_ups.html", context)
