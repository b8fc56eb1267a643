"""Console pages of applications (docs/applications.md): the review queue with bulk approve,
an application with its decisions, and the form builder of a community."""

from __future__ import annotations

import zoneinfo
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shequn.accounts.decorators import OperatorRequest, operator_required
from shequn.accounts.selectors import OperatorScope
from shequn.applications import selectors, services
from shequn.applications.forms import (
    FormSettingsForm,
    InterviewForm,
    MoveForm,
    QuestionForm,
    QueueFilterForm,
    RejectForm,
)
from shequn.applications.models import Application
from shequn.applications.questions import KEY_PATTERN, MAX_QUESTIONS
from shequn.core.forms import add_service_errors
from shequn.core.pagination import get_window
from shequn.organizations.models import Community
from shequn.organizations.selectors import get_community_for_user, list_communities

PER_PAGE = 25
MAX_FILTER_COMMUNITIES = 200


def _reviewer(request: OperatorRequest) -> OperatorScope:
    """Every operator sees the queue: what they review (assistants: where the form allows)."""
    return request.operator_scope


def _filter_form(request: OperatorRequest, actor: OperatorScope) -> QueueFilterForm:
    communities = list_communities(actor=actor).filter(
        selectors.reviewable_communities(actor), access__in=["private", "paid"]
    )
    choices = [(c.pk, c.name) for c in communities[:MAX_FILTER_COMMUNITIES]]
    return QueueFilterForm(request.GET or None, communities=choices)


@operator_required
@require_GET
def queue(request: OperatorRequest) -> HttpResponse:
    actor = _reviewer(request)
    form = _filter_form(request, actor)
    applications = selectors.list_applications(actor=actor, **form.filters())
    page = get_window(applications, page=request.GET.get("page"), per_page=PER_PAGE)
    context = {"form": form, "page": page, "now": timezone.now()}
    template = "applications/queue_table.html" if request.htmx else "applications/queue.html"
    return render(request, template, context)


def _ids(request: OperatorRequest) -> list[int]:
    ids = [int(v) for v in request.POST.getlist("ids") if v.isdigit() and len(v) < 19]
    return list(dict.fromkeys(ids))[: services.MAX_BULK]


@operator_required
@require_POST
def bulk_approve(request: OperatorRequest) -> HttpResponse:
    actor = _reviewer(request)
    chosen = selectors.list_applications(actor=actor).filter(pk__in=_ids(request))
    applications = list(chosen)
    if not applications:
        messages.error(request, _("Select the applications to approve."))
        return redirect("applications:queue")
    result = services.bulk_approve(actor=actor, applications=applications)
    if result.approved:
        count = len(result.approved)
        messages.success(
            request,
            ngettext("%(count)d application approved.", "%(count)d applications approved.", count)
            % {"count": count},
        )
    for application_id, message in result.failed:
        messages.error(
            request, _("#%(id)d: %(message)s") % {"id": application_id, "message": message}
        )
    return redirect("applications:queue")


def _detail(request: OperatorRequest, application: Application, **forms: Any) -> HttpResponse:
    context = {
        "application": application,
        "decisions": list(selectors.list_decisions(application)),
        "memberships": list(selectors.list_other_memberships(application)),
        "reject_form": forms.get("reject_form") or RejectForm(),
        "interview_form": forms.get("interview_form") or InterviewForm(),
        "is_open": application.status in ("pending", "interview"),
        "now": timezone.now(),
    }
    return render(request, "applications/detail.html", context)


@operator_required
@require_GET
def detail(request: OperatorRequest, application_id: int) -> HttpResponse:
    actor = _reviewer(request)
    application = selectors.get_application_for_user(actor=actor, application_id=application_id)
    return _detail(request, application)


@operator_required
@require_POST
def approve(request: OperatorRequest, application_id: int) -> HttpResponse:
    actor = _reviewer(request)
    application = selectors.get_application_for_user(actor=actor, application_id=application_id)
    try:
        approval = services.approve_application(actor=actor, application=application)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("applications:detail", application_id=application.pk)
    if approval.admission is not None and not approval.admission.joined:
        messages.success(
            request, _("Approved. The community is full: the applicant is on its waitlist.")
        )
    else:
        messages.success(request, _("Approved."))
    return redirect("applications:queue")


@operator_required
@require_POST
def reject(request: OperatorRequest, application_id: int) -> HttpResponse:
    actor = _reviewer(request)
    application = selectors.get_application_for_user(actor=actor, application_id=application_id)
    form = RejectForm(request.POST)
    if form.is_valid():
        try:
            services.reject_application(
                actor=actor, application=application, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Rejected; the applicant sees your reason."))
            return redirect("applications:queue")
    return _detail(request, application, reject_form=form)


@operator_required
@require_POST
def interview(request: OperatorRequest, application_id: int) -> HttpResponse:
    actor = _reviewer(request)
    application = selectors.get_application_for_user(actor=actor, application_id=application_id)
    form = InterviewForm(request.POST)
    # The time is the organisation's local time (as the applicant's page and mail show it).
    with timezone.override(zoneinfo.ZoneInfo(actor.organization.time_zone)):
        valid = form.is_valid()
    if valid:
        try:
            services.request_interview(
                actor=actor,
                application=application,
                note=form.cleaned_data["note"],
                at=form.cleaned_data["at"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Interview requested; the applicant is told."))
            return redirect("applications:detail", application_id=application.pk)
    return _detail(request, application, interview_form=form)


# The form builder ----------------------------------------------------------------------------


def _editable(request: OperatorRequest, community_id: int) -> tuple[OperatorScope, Community]:
    actor = request.operator_scope
    community = get_community_for_user(actor=actor, community_id=community_id)
    actor.require(selectors.can_edit_form(actor, community))
    return actor, community


def _builder(request: OperatorRequest, community: Community, settings_form: Any) -> HttpResponse:
    form = selectors.get_application_form(community)
    context = {
        "community": community,
        "app_form": form,
        "settings_form": settings_form,
        "questions": form.questions if form else [],
        "can_add": len(form.questions if form else []) < MAX_QUESTIONS,
        "applies": selectors.application_required(community),
    }
    return render(request, "applications/form_edit.html", context)


@operator_required
@require_http_methods(["GET", "POST"])
def form_edit(request: OperatorRequest, community_id: int) -> HttpResponse:
    actor, community = _editable(request, community_id)
    current = selectors.get_application_form(community)
    initial = (
        {k: getattr(current, k) for k in ("intro", "identity_statement", "assistants_may_review")}
        if current
        else {}
    )
    form = FormSettingsForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_application_form(actor=actor, community=community, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The application form was saved."))
            return redirect("applications:form", community_id=community.pk)
    return _builder(request, community, form)


def _question_key(number: int) -> str:
    key = f"q{number}"
    if not KEY_PATTERN.match(key):
        raise Http404(_("There is no such question."))
    return key


def _question(community: Community, key: str) -> dict[str, Any]:
    form = selectors.get_application_form(community)
    for question in form.questions if form else []:
        if question["key"] == key:
            return dict(question)
    raise Http404(_("There is no such question."))


def _question_page(
    request: OperatorRequest, community: Community, form: QuestionForm, key: str = ""
) -> HttpResponse:
    context = {"community": community, "form": form, "key": key}
    return render(request, "applications/question_form.html", context)


@operator_required
@require_http_methods(["GET", "POST"])
def question_add(request: OperatorRequest, community_id: int) -> HttpResponse:
    actor, community = _editable(request, community_id)
    form = QuestionForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.add_question(actor=actor, community=community, question=form.question())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Question added."))
            return redirect("applications:form", community_id=community.pk)
    return _question_page(request, community, form)


@operator_required
@require_http_methods(["GET", "POST"])
def question_edit(request: OperatorRequest, community_id: int, number: int) -> HttpResponse:
    actor, community = _editable(request, community_id)
    key = _question_key(number)
    current = _question(community, key)
    form = QuestionForm(
        request.POST if request.method == "POST" else None,
        initial=QuestionForm.initial_for(current),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.update_question(
                actor=actor, community=community, key=key, question=form.question()
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Question saved."))
            return redirect("applications:form", community_id=community.pk)
    return _question_page(request, community, form, key)


@operator_required
@require_POST
def question_remove(request: OperatorRequest, community_id: int, number: int) -> HttpResponse:
    actor, community = _editable(request, community_id)
    key = _question_key(number)
    _question(community, key)
    services.remove_question(actor=actor, community=community, key=key)
    messages.success(request, _("Question removed. Past applications keep their answers."))
    return redirect("applications:form", community_id=community.pk)


@operator_required
@require_POST
def question_move(request: OperatorRequest, community_id: int, number: int) -> HttpResponse:
    actor, community = _editable(request, community_id)
    key = _question_key(number)
    _question(community, key)
    form = MoveForm(request.POST)
    if form.is_valid():
        offset = -1 if form.cleaned_data["direction"] == "up" else 1
        services.move_question(actor=actor, community=community, key=key, offset=offset)
    return redirect("applications:form", community_id=community.pk)
