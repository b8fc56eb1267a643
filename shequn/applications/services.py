"""Writes of applications (入群申请): the form, submitting, withdrawing, the review decisions.

Every decision (approve, reject with a reason, ask for an interview) creates an
ApplicationDecision that copies the answers as they were, the reviewer and the time; it is
audit-logged, recorded as an activity, and mailed to the applicant when an email is known
(`shequn.applications.tasks`, after the commit). Approving an application to a private
community admits the member in the same transaction (`shequn.joining.admission.admit_member`);
for a paid community it only lets the applicant pay (`has_approved_application`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shequn.accounts.selectors import OperatorScope
from shequn.activity.models import ActivityKind
from shequn.activity.services import record_app_activity
from shequn.applications.models import (
    OPEN_APPLICATION_STATUSES,
    Application,
    ApplicationDecision,
    ApplicationForm,
    ApplicationStatus,
    DecisionKind,
)
from shequn.applications.questions import (
    IDENTITY_MAX_LENGTH,
    INTRO_MAX_LENGTH,
    clean_answers,
    clean_questions,
    key_number,
)
from shequn.applications.selectors import (
    application_required,
    can_edit_form,
    can_review,
    get_application_form,
    get_approved_awaiting,
)
from shequn.audit.models import AuditAction
from shequn.audit.services import diff, record_audit
from shequn.joining.admission import Admission, admit_member, check_can_enter
from shequn.members.models import Member, MembershipSource
from shequn.organizations.models import Community, CommunityAccess

if TYPE_CHECKING:
    from shequn.invitations.models import InviteLink

REASON_MAX_LENGTH = 2000
NOTE_MAX_LENGTH = 2000
IDEMPOTENCY_KEY_MAX_LENGTH = 64
MAX_BULK = 100
FORM_FIELDS = ("intro", "identity_statement", "questions", "assistants_may_review")


# The form ------------------------------------------------------------------------------------


def _check_form_text(intro: str, identity_statement: str) -> None:
    errors: dict[str, str] = {}
    if len(intro) > INTRO_MAX_LENGTH:
        errors["intro"] = _("Write at most %(max)d characters.") % {"max": INTRO_MAX_LENGTH}
    if len(identity_statement) > IDENTITY_MAX_LENGTH:
        errors["identity_statement"] = _("Write at most %(max)d characters.") % {
            "max": IDENTITY_MAX_LENGTH
        }
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def save_application_form(
    *,
    actor: OperatorScope,
    community: Community,
    intro: str | None = None,
    identity_statement: str | None = None,
    questions: list[dict[str, Any]] | None = None,
    assistants_may_review: bool | None = None,
) -> ApplicationForm:
    """Create or change a community's form; only what is given changes. `version` goes up at
    every change (nothing changed: nothing saved). Questions are checked (clean_questions)."""
    actor.require(can_edit_form(actor, community))
    form = ApplicationForm.objects.select_for_update().filter(community_id=community.pk).first()
    creating = form is None
    if form is None:
        form = ApplicationForm(community=community)
    before = {name: getattr(form, name) for name in FORM_FIELDS}
    if intro is not None:
        form.intro = intro.strip()
    if identity_statement is not None:
        form.identity_statement = identity_statement.strip()
    _check_form_text(form.intro, form.identity_statement)
    if questions is not None:
        last = max([0, *(key_number(str(q.get("key", ""))) for q in form.questions)])
        form.questions = clean_questions(questions, last_number=last)
    if assistants_may_review is not None:
        form.assistants_may_review = assistants_may_review
    after = {name: getattr(form, name) for name in FORM_FIELDS}
    changes = diff(before, after)
    if not changes and not creating:
        return form
    if not creating:
        form.version += 1
    form.save()
    record_audit(
        actor=actor,
        action=AuditAction.CREATE if creating else AuditAction.UPDATE,
        target=form,
        changes={**changes, "version": form.version},
        chapter_id=community.chapter_id,
        community_id=community.pk,
    )
    return form


def _locked_questions(community: Community) -> list[dict[str, Any]]:
    """The form's questions, its row locked until the change is saved (no lost edits)."""
    form = ApplicationForm.objects.select_for_update().filter(community_id=community.pk).first()
    return [dict(q) for q in (form.questions if form else [])]


@transaction.atomic
def add_question(
    *, actor: OperatorScope, community: Community, question: dict[str, Any]
) -> ApplicationForm:
    questions = _locked_questions(community)
    return save_application_form(
        actor=actor, community=community, questions=[*questions, {**question, "key": ""}]
    )


@transaction.atomic
def update_question(
    *, actor: OperatorScope, community: Community, key: str, question: dict[str, Any]
) -> ApplicationForm:
    questions = _locked_questions(community)
    index = _index_of(questions, key)
    questions[index] = {**question, "key": key}
    return save_application_form(actor=actor, community=community, questions=questions)


@transaction.atomic
def remove_question(*, actor: OperatorScope, community: Community, key: str) -> ApplicationForm:
    questions = _locked_questions(community)
    del questions[_index_of(questions, key)]
    return save_application_form(actor=actor, community=community, questions=questions)


@transaction.atomic
def move_question(
    *, actor: OperatorScope, community: Community, key: str, offset: int
) -> ApplicationForm:
    """Move a question up (offset -1) or down (+1); at either end nothing changes."""
    questions = _locked_questions(community)
    index = _index_of(questions, key)
    target = min(max(index + offset, 0), len(questions) - 1)
    questions.insert(target, questions.pop(index))
    return save_application_form(actor=actor, community=community, questions=questions)


def _index_of(questions: list[dict[str, Any]], key: str) -> int:
    for index, question in enumerate(questions):
        if question.get("key") == key:
            return index
    raise ValidationError(_("There is no such question."), code="no_question")


# Applying ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Submission:
    application: Application
    created: bool


def _existing_for_key(member: Member, key: str) -> Application | None:
    if not key:
        return None
    return Application.objects.filter(member_id=member.pk, idempotency_key=key).first()


def _open_application(member: Member, community: Community) -> Application | None:
    return Application.objects.filter(
        member_id=member.pk, community_id=community.pk, status__in=OPEN_APPLICATION_STATUSES
    ).first()


def check_may_apply(member: Member, community: Community) -> None:
    """ValidationError when the member cannot apply: no application taken here, or
    `check_can_enter` refuses (blacklist, rejoin rule, closed, already a member)."""
    if not application_required(community):
        raise ValidationError(
            _("This community does not take applications."), code="application_not_needed"
        )
    check_can_enter(member, community)


def submit_application(
    *,
    member: Member,
    community: Community,
    answers: dict[str, Any],
    identity_confirmed: bool = False,
    idempotency_key: str = "",
    invite_link: InviteLink | None = None,
    language: str = "",
    actor: OperatorScope | None = None,
    now: datetime | None = None,
) -> Submission:
    """Apply to a community. The same idempotency key again, or a second submit while one is
    open, returns the first (`created` False); a race between two ends in one row (the unique
    constraints). Refusals (ValidationError) store nothing."""
    if len(idempotency_key) > IDEMPOTENCY_KEY_MAX_LENGTH:
        raise ValidationError({"idempotency_key": _("At most %(max)d characters.") % {"max": 64}})
    existing = _existing_for_key(member, idempotency_key)
    if existing is not None:
        return Submission(existing, created=False)
    if existing := _open_application(member, community) or get_approved_awaiting(
        member=member, community=community
    ):
        return Submission(existing, created=False)
    check_may_apply(member, community)
    form = get_application_form(community)
    snapshot = clean_answers(form.questions if form else [], answers)
    statement = form.identity_statement if form else ""
    if statement and not identity_confirmed:
        raise ValidationError(
            {"identity_confirmed": _("Confirm the statement to apply: %(s)s") % {"s": statement}},
            code="identity_not_confirmed",
        )
    now = now or timezone.now()
    try:
        with transaction.atomic():
            application = Application.objects.create(
                organization_id=community.organization_id,
                community=community,
                member=member,
                answers=snapshot,
                form_version=form.version if form else 0,
                identity_statement=statement,
                identity_confirmed=bool(statement) and identity_confirmed,
                invite_link=invite_link,
                submitted_at=now,
                idempotency_key=idempotency_key,
                language=language[:16],
            )
            _record(application, event="submitted", at=now, decision="submitted")
            record_audit(
                actor=actor,
                action=AuditAction.CREATE,
                target=application,
                changes={"status": [None, application.status]},
                chapter_id=community.chapter_id,
                community_id=community.pk,
                organization_id=community.organization_id,
            )
    except IntegrityError:
        # A concurrent submit won: the same key or the one open application per member.
        winner = _existing_for_key(member, idempotency_key) or _open_application(member, community)
        if winner is None:
            raise
        return Submission(winner, created=False)
    return Submission(application, created=True)


@transaction.atomic
def withdraw_application(*, member: Member, application: Application) -> Application:
    """The applicant takes back an application still waiting (pending or interview)."""
    application = Application.objects.select_for_update().get(pk=application.pk)
    if application.member_id != member.pk:
        raise ValidationError(_("This is not your application."), code="not_yours")
    if application.status not in OPEN_APPLICATION_STATUSES:
        raise ValidationError(
            _("This application has already been decided."), code="already_decided"
        )
    before = application.status
    application.status = ApplicationStatus.WITHDRAWN
    application.save(update_fields=["status", "updated_at"])
    record_audit(
        actor=None,
        action=AuditAction.UPDATE,
        target=application,
        changes={"status": [before, application.status]},
        chapter_id=application.community.chapter_id,
        community_id=application.community_id,
        organization_id=application.organization_id,
    )
    return application


# Decisions -----------------------------------------------------------------------------------


def _record(application: Application, *, event: str, at: datetime, decision: str) -> None:
    record_app_activity(
        organization=application.community.organization,
        member=application.member,
        community=application.community,
        kind=ActivityKind.APPLICATION,
        event_id=f"application:{application.pk}:{event}",
        at=at,
        properties={"application": application.pk, "decision": str(decision)},
    )


def _lock_open(actor: OperatorScope, application: Application) -> Application:
    locked = (
        Application.objects.select_for_update(of=("self",))
        .select_related("community", "community__organization", "member")
        .get(pk=application.pk)
    )
    actor.require(can_review(actor, locked.community))
    if locked.status not in OPEN_APPLICATION_STATUSES:
        raise ValidationError(
            _("This application has already been decided."), code="already_decided"
        )
    return locked


def _decide(
    *,
    actor: OperatorScope,
    application: Application,
    kind: str,
    status: str,
    now: datetime,
    reason: str = "",
    note: str = "",
    interview_at: datetime | None = None,
) -> ApplicationDecision:
    before = application.status
    # Guarded by the status read under the row lock: a concurrent decision that won (SQLite has
    # no row locks) leaves no row to update, and this one is refused.
    claimed = Application.objects.filter(
        pk=application.pk, status__in=OPEN_APPLICATION_STATUSES
    ).update(status=status, decided_at=now, decided_by_id=actor.user.pk, updated_at=now)
    if not claimed:
        raise ValidationError(
            _("This application has already been decided."), code="already_decided"
        )
    decision = ApplicationDecision.objects.create(
        application=application,
        decision=kind,
        reason=reason,
        note=note,
        interview_at=interview_at,
        answers=application.answers,
        decided_by_id=actor.user.pk,
        decided_at=now,
    )
    application.status = status
    application.decided_at = now
    application.decided_by_id = actor.user.pk
    fields = ["updated_at"]
    if kind == DecisionKind.REJECT:
        application.reject_reason = reason
        fields.append("reject_reason")
    if kind == DecisionKind.INTERVIEW:
        application.interview_note, application.interview_at = note, interview_at
        fields += ["interview_note", "interview_at"]
    application.save(update_fields=fields)
    _record(application, event=str(decision.pk), at=now, decision=kind)
    record_audit(
        actor=actor,
        action=AuditAction.UPDATE,
        target=application,
        changes={
            "status": [before, str(status)],
            "decision": str(kind),
            "decision_id": decision.pk,
        },
        chapter_id=application.community.chapter_id,
        community_id=application.community_id,
    )
    if application.member.email:
        from shequn.applications.tasks import send_decision_email

        decision_id = decision.pk
        transaction.on_commit(lambda: send_decision_email(decision_id))
    return decision


@dataclass(frozen=True)
class Approval:
    decision: ApplicationDecision
    admission: Admission | None = None  # private communities: joined or waitlisted


@transaction.atomic
def approve_application(
    *, actor: OperatorScope, application: Application, now: datetime | None = None
) -> Approval:
    """Approve: a private community admits the member now (or puts them on its waitlist);
    when admit_member refuses (full, blacklisted meanwhile…), ValidationError and nothing
    changes. A paid community lets the applicant pay."""
    application = _lock_open(actor, application)
    now = now or timezone.now()
    admission = None
    if application.community.access == CommunityAccess.PRIVATE:
        admission = admit_member(
            member=application.member,
            community=application.community,
            source=MembershipSource.APPLICATION,
            invite_link=application.invite_link,
            via_application=True,
            properties={"application": application.pk},
        )
    decision = _decide(
        actor=actor,
        application=application,
        kind=DecisionKind.APPROVE,
        status=ApplicationStatus.APPROVED,
        now=now,
    )
    return Approval(decision=decision, admission=admission)


@transaction.atomic
def reject_application(
    *, actor: OperatorScope, application: Application, reason: str, now: datetime | None = None
) -> ApplicationDecision:
    """Reject with a reason the applicant sees (required); they may apply again later."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Give a reason: the applicant sees it.")})
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationError(
            {"reason": _("Write at most %(max)d characters.") % {"max": REASON_MAX_LENGTH}}
        )
    application = _lock_open(actor, application)
    return _decide(
        actor=actor,
        application=application,
        kind=DecisionKind.REJECT,
        status=ApplicationStatus.REJECTED,
        now=now or timezone.now(),
        reason=reason,
    )


@transaction.atomic
def request_interview(
    *,
    actor: OperatorScope,
    application: Application,
    note: str,
    at: datetime,
    now: datetime | None = None,
) -> ApplicationDecision:
    """Ask the applicant for an interview (a call, a meeting): a note and a time."""
    note = note.strip()
    errors: dict[str, str] = {}
    if not note:
        errors["note"] = _("Say how the interview happens (a call, a place, a link).")
    elif len(note) > NOTE_MAX_LENGTH:
        errors["note"] = _("Write at most %(max)d characters.") % {"max": NOTE_MAX_LENGTH}
    now = now or timezone.now()
    if timezone.is_naive(at):
        errors["at"] = _("Give a time with its time zone.")
    elif at <= now:
        errors["at"] = _("Choose a time in the future.")
    if errors:
        raise ValidationError(errors)
    application = _lock_open(actor, application)
    return _decide(
        actor=actor,
        application=application,
        kind=DecisionKind.INTERVIEW,
        status=ApplicationStatus.INTERVIEW,
        now=now,
        note=note,
        interview_at=at,
    )


@dataclass
class BulkResult:
    approved: list[int] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)


def bulk_approve(*, actor: OperatorScope, applications: list[Application]) -> BulkResult:
    """Approve each (in its own transaction): one refused does not stop the others."""
    if len(applications) > MAX_BULK:
        raise ValidationError({"ids": _("Approve at most %(max)d at a time.") % {"max": MAX_BULK}})
    result = BulkResult()
    for application in applications:
        try:
            approve_application(actor=actor, application=application)
        except ValidationError as exc:
            result.failed.append((application.pk, " ".join(exc.messages)))
        else:
            result.approved.append(application.pk)
    return result
