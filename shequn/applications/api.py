"""API v1 of applications (入群申请): a community's form, applications and their decisions.

Reviewers as on the console: organisation admins every community, chapter heads their
chapters' communities, assistants their communities whose form lets assistants review (other
applications are 404). Editing a form: organisation admins and chapter heads (their chapter).
`POST /applications` takes an `Idempotency-Key` header: the same key again returns the first
application (200) instead of making a second one (201).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from shequn.accounts.api import actor_of
from shequn.applications import selectors, services
from shequn.applications.models import (
    Application,
    ApplicationDecision,
    ApplicationForm,
    ApplicationStatus,
    DecisionKind,
    QuestionKind,
)
from shequn.applications.questions import (
    CHOICE_MAX_LENGTH,
    HELP_MAX_LENGTH,
    IDENTITY_MAX_LENGTH,
    INTRO_MAX_LENGTH,
    LABEL_MAX_LENGTH,
    LONG_TEXT_MAX_LENGTH,
    MAX_CHOICES,
    MAX_QUESTIONS,
)
from shequn.core.idempotency import idempotency_key, idempotency_openapi
from shequn.core.problems import problem_response, problem_responses
from shequn.core.schemas import (
    ApiDatetime,
    InputSchema,
    ObjectId,
    PageMeta,
    PageParams,
    PathId,
    SearchText,
    paginate,
)
from shequn.members.models import Member
from shequn.organizations.selectors import get_community_for_user

router = Router(tags=["applications"])

CONFLICTS = frozenset({"already_decided"})


class QuestionSchema(InputSchema):
    key: str = Field("", max_length=8, description="q1, q2, …; empty for a new question.")
    kind: QuestionKind
    label: str = Field(max_length=LABEL_MAX_LENGTH)
    help: str = Field("", max_length=HELP_MAX_LENGTH)
    required: bool = False
    choices: list[str] = Field(
        default_factory=list,
        max_length=MAX_CHOICES,
        description=f"Choice questions: 2–{MAX_CHOICES}, each ≤{CHOICE_MAX_LENGTH} characters.",
    )


class FormOut(Schema):
    community_id: int
    intro: str
    identity_statement: str
    questions: list[dict[str, Any]]
    version: int
    assistants_may_review: bool
    updated_at: datetime


class FormIn(InputSchema):
    intro: str = Field("", max_length=INTRO_MAX_LENGTH)
    identity_statement: str = Field("", max_length=IDENTITY_MAX_LENGTH)
    questions: list[QuestionSchema] = Field(default_factory=list, max_length=MAX_QUESTIONS)
    assistants_may_review: bool = False


class DecisionOut(Schema):
    id: int
    decision: DecisionKind
    reason: str
    note: str
    interview_at: datetime | None
    answers: list[dict[str, Any]]
    decided_by: str | None
    decided_at: datetime

    @staticmethod
    def resolve_decided_by(obj: ApplicationDecision) -> str | None:
        return obj.decided_by.get_username() if obj.decided_by else None


class ApplicationOut(Schema):
    id: int
    community_id: int
    member_id: int
    member_name: str
    status: ApplicationStatus
    answers: list[dict[str, Any]] = Field(
        description="The questions as asked and the answers as given: {key, label, kind, value}."
    )
    form_version: int
    identity_statement: str
    identity_confirmed: bool
    invite_link_id: int | None
    submitted_at: datetime
    decided_at: datetime | None
    reject_reason: str
    interview_note: str
    interview_at: datetime | None

    @staticmethod
    def resolve_member_name(obj: Application) -> str:
        return obj.member.display_name


class ApplicationDetailOut(ApplicationOut):
    decisions: list[DecisionOut]

    @staticmethod
    def resolve_decisions(obj: Application) -> list[ApplicationDecision]:
        return list(selectors.list_decisions(obj))


class ApplicationPage(PageMeta):
    items: list[ApplicationOut]


class ApplicationFilters(Schema):
    community_id: ObjectId | None = None
    status: ApplicationStatus | None = Field(
        None, description="Default: the open ones (pending and interview)."
    )
    waiting_days: int | None = Field(None, ge=0, le=3650)
    member_id: ObjectId | None = None
    q: SearchText = Field(
        "", description="Part of the applicant's name, phone or email (the members' search)."
    )


AnswerValue = str | list[str]


class ApplicationIn(InputSchema):
    member_id: ObjectId
    community_id: ObjectId
    answers: dict[str, AnswerValue] = Field(default_factory=dict, max_length=MAX_QUESTIONS + 10)
    identity_confirmed: bool = False

    @classmethod
    def check_answer_sizes(cls, answers: dict[str, AnswerValue]) -> None:
        for value in answers.values():
            values = value if isinstance(value, list) else [value]
            if len(values) > MAX_CHOICES or any(len(v) > LONG_TEXT_MAX_LENGTH for v in values):
                raise ValidationError({"answers": _("An answer is too long.")})


class RejectIn(InputSchema):
    reason: str = Field(min_length=1, max_length=services.REASON_MAX_LENGTH)


class InterviewIn(InputSchema):
    note: str = Field(min_length=1, max_length=services.NOTE_MAX_LENGTH)
    at: ApiDatetime


class BulkApproveIn(InputSchema):
    ids: list[ObjectId] = Field(min_length=1, max_length=services.MAX_BULK)


class BulkFailure(Schema):
    id: int
    detail: str


class BulkApproveOut(Schema):
    approved: list[int]
    failed: list[BulkFailure]


def _form_out(form: ApplicationForm) -> dict[str, Any]:
    return {
        "community_id": form.community_id,
        "intro": form.intro,
        "identity_statement": form.identity_statement,
        "questions": form.questions,
        "version": form.version,
        "assistants_may_review": form.assistants_may_review,
        "updated_at": form.updated_at,
    }


def _conflict(exc: ValidationError) -> HttpResponse:
    if getattr(exc, "code", None) in CONFLICTS:
        return problem_response(status=409, title=_("Conflict"), detail=" ".join(exc.messages))
    raise exc


@router.get(
    "/communities/{community_id}/application-form",
    response=FormOut,
    openapi_extra=problem_responses(404, 422),
)
def get_application_form(request: HttpRequest, community_id: PathId) -> dict[str, Any]:
    """The community's application form (404 when it has none yet)."""
    community = get_community_for_user(actor=actor_of(request), community_id=community_id)
    form = selectors.get_application_form(community)
    if form is None:
        raise Http404(_("This community has no application form yet."))
    return _form_out(form)


@router.put(
    "/communities/{community_id}/application-form",
    response=FormOut,
    openapi_extra=problem_responses(403, 404, 422),
)
def put_application_form(
    request: HttpRequest, community_id: PathId, payload: FormIn
) -> dict[str, Any]:
    """Replace the form (questions in order; give a question's key to keep it). The version
    goes up when anything changed; past applications keep their questions."""
    actor = actor_of(request)
    community = get_community_for_user(actor=actor, community_id=community_id)
    form = services.save_application_form(
        actor=actor,
        community=community,
        intro=payload.intro,
        identity_statement=payload.identity_statement,
        questions=[q.model_dump() for q in payload.questions],
        assistants_may_review=payload.assistants_may_review,
    )
    return _form_out(form)


@router.get("/applications", response=ApplicationPage, openapi_extra=problem_responses(422))
def list_applications(
    request: HttpRequest, filters: Query[ApplicationFilters], page: Query[PageParams]
) -> dict[str, Any]:
    """Applications the token reviews, oldest first: the open ones unless `status` says."""
    applications = selectors.list_applications(
        actor=actor_of(request),
        community_id=filters.community_id,
        status=filters.status or "",
        waiting_days=filters.waiting_days,
        member_id=filters.member_id,
        q=filters.q.strip(),
    )
    return paginate(applications, page)


def _with_member(application: Application) -> Application:
    return Application.objects.select_related("member").get(pk=application.pk)


@router.post(
    "/applications",
    response={200: ApplicationDetailOut, 201: ApplicationDetailOut},
    openapi_extra={**problem_responses(403, 404, 422), **idempotency_openapi("application")},
)
def create_application(request: HttpRequest, payload: ApplicationIn) -> Any:
    """Submit an application for a member (an integrator's form, a chat bot). The answers are
    checked against the form: unknown keys, missing required answers and choices the question
    does not offer are a 422, and nothing is stored."""
    actor = actor_of(request)
    key = idempotency_key(request)
    community = get_community_for_user(actor=actor, community_id=payload.community_id)
    actor.require(selectors.can_review(actor, community))
    member = Member.objects.filter(
        organization_id=actor.organization.pk, pk=payload.member_id, merged_into=None
    ).first()
    if member is None:
        raise Http404(_("No such member."))
    ApplicationIn.check_answer_sizes(payload.answers)
    submission = services.submit_application(
        member=member,
        community=community,
        answers=dict(payload.answers),
        identity_confirmed=payload.identity_confirmed,
        idempotency_key=key,
        actor=actor,
    )
    return Status(201 if submission.created else 200, _with_member(submission.application))


@router.post(
    "/applications/bulk-approve",
    response=BulkApproveOut,
    openapi_extra=problem_responses(403, 404, 422),
)
def bulk_approve_applications(request: HttpRequest, payload: BulkApproveIn) -> dict[str, Any]:
    """Approve up to 100 open applications; each refused one is listed with the reason. An id
    the token does not review (or not open) is listed as failed."""
    actor = actor_of(request)
    ids = list(dict.fromkeys(payload.ids))
    found = {a.pk: a for a in selectors.list_applications(actor=actor).filter(pk__in=ids)}
    result = services.bulk_approve(actor=actor, applications=list(found.values()))
    missing = [
        {"id": i, "detail": _("No open application with this id.")} for i in ids if i not in found
    ]
    return {
        "approved": result.approved,
        "failed": [{"id": i, "detail": d} for i, d in result.failed] + missing,
    }


@router.get(
    "/applications/{application_id}",
    response=ApplicationDetailOut,
    openapi_extra=problem_responses(404, 422),
)
def get_application(request: HttpRequest, application_id: PathId) -> Application:
    """One application with its decisions (each with the answers as they were)."""
    return selectors.get_application_for_user(
        actor=actor_of(request), application_id=application_id
    )


@router.post(
    "/applications/{application_id}/approve",
    response=ApplicationDetailOut,
    openapi_extra=problem_responses(403, 404, 409, 422),
)
def approve_application(request: HttpRequest, application_id: PathId) -> Any:
    """Approve: a private community admits the member (or waitlists them when full); a paid
    one lets them pay. Refused by admission (full, blacklisted…): 422, nothing changes."""
    actor = actor_of(request)
    application = selectors.get_application_for_user(actor=actor, application_id=application_id)
    try:
        services.approve_application(actor=actor, application=application)
    except ValidationError as exc:
        return _conflict(exc)
    return _with_member(application)


@router.post(
    "/applications/{application_id}/reject",
    response=ApplicationDetailOut,
    openapi_extra=problem_responses(403, 404, 409, 422),
)
def reject_application(request: HttpRequest, application_id: PathId, payload: RejectIn) -> Any:
    """Reject with a reason (required; the applicant sees it)."""
    actor = actor_of(request)
    application = selectors.get_application_for_user(actor=actor, application_id=application_id)
    try:
        services.reject_application(actor=actor, application=application, reason=payload.reason)
    except ValidationError as exc:
        return _conflict(exc)
    return _with_member(application)


@router.post(
    "/applications/{application_id}/interview",
    response=ApplicationDetailOut,
    openapi_extra=problem_responses(403, 404, 409, 422),
)
def interview_application(
    request: HttpRequest, application_id: PathId, payload: InterviewIn
) -> Any:
    """Ask the applicant for an interview: a note (how, where) and a time."""
    actor = actor_of(request)
    application = selectors.get_application_for_user(actor=actor, application_id=application_id)
    try:
        services.request_interview(
            actor=actor, application=application, note=payload.note, at=payload.at
        )
    except ValidationError as exc:
        return _conflict(exc)
    return _with_member(application)
