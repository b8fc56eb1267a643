"""Applications to join (入群申请): a form per community, the answers, the review decisions."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shequn.core.models import TimeStampedModel
from shequn.members.models import Member
from shequn.organizations.models import Community, Organization


class QuestionKind(models.TextChoices):
    SHORT_TEXT = "short_text", _("Short text")
    LONG_TEXT = "long_text", _("Long text")
    SINGLE_CHOICE = "single_choice", _("Single choice")
    MULTIPLE_CHOICE = "multiple_choice", _("Multiple choice")


class ApplicationForm(TimeStampedModel):
    """The questions a community asks its applicants, and who may review.

    `questions` is a list of {"key", "kind" (QuestionKind), "label", "help", "required",
    "choices": [str]}; `version` goes up at every change, and an application keeps the
    questions it was answered against, so editing the form never changes a past answer.
    """

    community = models.OneToOneField(
        Community,
        on_delete=models.CASCADE,
        related_name="application_form",
        verbose_name=_("community"),
    )
    intro = models.TextField(_("introduction"), blank=True)
    # A statement the applicant must confirm, e.g. "只招企业内训经理" (empty: none).
    identity_statement = models.CharField(_("identity statement"), max_length=200, blank=True)
    questions = models.JSONField(_("questions"), default=list, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    # Assistants of the community may review its applications (admins and heads always may).
    assistants_may_review = models.BooleanField(_("assistants may review"), default=False)

    class Meta:
        verbose_name = _("application form")
        verbose_name_plural = _("application forms")

    def __str__(self) -> str:
        return str(self.community)


class ApplicationStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("application status", "Waiting for review")
    INTERVIEW = "interview", pgettext_lazy("application status", "Interview requested")
    APPROVED = "approved", pgettext_lazy("application status", "Approved")
    REJECTED = "rejected", pgettext_lazy("application status", "Rejected")
    WITHDRAWN = "withdrawn", pgettext_lazy("application status", "Withdrawn")


OPEN_APPLICATION_STATUSES = (ApplicationStatus.PENDING, ApplicationStatus.INTERVIEW)


class Application(TimeStampedModel):
    """One person's application to one community: answers as submitted, status, last decision."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("organisation")
    )
    community = models.ForeignKey(
        Community,
        on_delete=models.CASCADE,
        related_name="applications",
        verbose_name=_("community"),
    )
    member = models.ForeignKey(
        Member,
        on_delete=models.CASCADE,
        related_name="applications",
        verbose_name=_("applicant"),
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=ApplicationStatus.choices,
        default=ApplicationStatus.PENDING,
    )
    # 1 while pending or interview (OPEN_APPLICATION_STATUSES), else 0: kept by the database
    # from `status`. An integer, not a boolean: Django renders `flag=True` as the bare column,
    # which SQLite does not use as an index key, and the queue's index needs `is_open = 1`.
    is_open = models.GeneratedField(
        expression=models.Case(
            models.When(status__in=["pending", "interview"], then=models.Value(1)),
            default=models.Value(0),
        ),
        output_field=models.PositiveSmallIntegerField(),
        db_persist=True,
        verbose_name=_("open"),
    )
    # [{"key", "label", "kind", "value"}] — the questions as asked and the answers as given.
    answers = models.JSONField(_("answers"), default=list)
    form_version = models.PositiveIntegerField(_("form version"), default=1)
    identity_statement = models.CharField(_("identity statement"), max_length=200, blank=True)
    identity_confirmed = models.BooleanField(_("identity confirmed"), default=False)
    # The invite link the applicant came through: their join is attributed to it.
    invite_link = models.ForeignKey(
        "invitations.InviteLink",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="applications",
        verbose_name=_("invite link"),
    )
    submitted_at = models.DateTimeField(_("submitted at"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    # Shown to the applicant.
    reject_reason = models.TextField(_("reason for rejection"), blank=True)
    interview_note = models.TextField(_("interview note"), blank=True)
    interview_at = models.DateTimeField(_("interview time"), null=True, blank=True)
    # A client's Idempotency-Key (API) or the form's one-time token (member page).
    idempotency_key = models.CharField(_("idempotency key"), max_length=64, blank=True)
    # The language the applicant used (their emails are written in it; zh-hans when empty).
    language = models.CharField(_("language"), max_length=16, blank=True)

    class Meta:
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        ordering = ["submitted_at", "id"]
        constraints = [
            # One open application per person and community (a double tap makes one).
            models.UniqueConstraint(
                fields=["community", "member"],
                condition=models.Q(status__in=["pending", "interview"]),
                name="application_one_open_per_member",
            ),
            models.UniqueConstraint(
                fields=["member", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="application_idempotency_key",
            ),
        ]
        indexes = [
            models.Index(
                fields=["community", "status", "submitted_at", "id"], name="application_queue"
            ),
            models.Index(
                fields=["organization", "status", "submitted_at", "id"],
                name="application_org_queue",
            ),
            models.Index(fields=["member", "community"], name="application_member"),
            # The open queue (pending or interview), oldest first: the default list walks one
            # of these and stops after a page, however many applications were decided. On
            # `is_open`, an equality: SQLite cannot use an index for `status IN (?, ?)` in the
            # list's order, nor a partial index when the statuses are bound parameters.
            models.Index(
                fields=["organization", "is_open", "submitted_at", "id"],
                name="application_org_open",
            ),
            models.Index(
                fields=["community", "is_open", "submitted_at", "id"], name="application_open"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} → {self.community_id} ({self.status})"


class DecisionKind(models.TextChoices):
    APPROVE = "approve", pgettext_lazy("application decision", "Approved")
    REJECT = "reject", pgettext_lazy("application decision", "Rejected")
    INTERVIEW = "interview", pgettext_lazy("application decision", "Interview requested")


class ApplicationDecision(models.Model):
    """One reviewer's decision, kept for ever with the answers as they were at that moment."""

    application = models.ForeignKey(
        Application,
        on_delete=models.CASCADE,
        related_name="decisions",
        verbose_name=_("application"),
    )
    decision = models.CharField(_("decision"), max_length=10, choices=DecisionKind.choices)
    reason = models.TextField(_("reason"), blank=True)
    note = models.TextField(_("note"), blank=True)
    interview_at = models.DateTimeField(_("interview time"), null=True, blank=True)
    answers = models.JSONField(_("answers"), default=list)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"))
    # When the applicant was mailed about it (the mail job sends it once).
    emailed_at = models.DateTimeField(_("emailed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("application decision")
        verbose_name_plural = _("application decisions")
        ordering = ["decided_at", "id"]
        indexes = [
            models.Index(fields=["application", "decided_at"], name="application_decision"),
            # The mail sweeper's scan: decisions whose email has not gone out.
            models.Index(
                fields=["decided_at"],
                condition=models.Q(emailed_at=None),
                name="application_decision_unsent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application_id}: {self.decision}"
