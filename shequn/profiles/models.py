"""Member profiles: one-to-one talk notes with follow-ups, and the recompute of what shequn
knows about members (stages, layers, rule tags; docs/recompute.md)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from shequn.accounts.models import Operator
from shequn.core.models import TimeStampedModel
from shequn.members.models import Member
from shequn.organizations.models import Organization

NOTE_MAX_LENGTH = 5000


class TalkChannel(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    PHONE = "phone", _("Phone call")
    CHAT = "chat", _("Private chat")
    VIDEO = "video", _("Video call")
    OTHER = "other", _("Other")


class TalkNote(TimeStampedModel):
    """一对一沟通: an operator's note of a conversation with a member, maybe with a follow-up."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("organisation")
    )
    member = models.ForeignKey(
        Member,
        on_delete=models.CASCADE,
        related_name="talk_notes",
        db_index=False,  # leads an index below
        verbose_name=_("member"),
    )
    author = models.ForeignKey(
        Operator,
        on_delete=models.SET_NULL,
        null=True,
        related_name="talk_notes",
        verbose_name=_("written by"),
    )
    talked_at = models.DateTimeField(_("talked at"))
    channel = models.CharField(
        _("how"), max_length=10, choices=TalkChannel.choices, default=TalkChannel.CHAT
    )
    body = models.TextField(_("note"), max_length=NOTE_MAX_LENGTH)
    follow_up_on = models.DateField(_("follow up on"), null=True, blank=True)
    follow_up_done_at = models.DateTimeField(_("followed up at"), null=True, blank=True)

    class Meta:
        verbose_name = _("talk note")
        verbose_name_plural = _("talk notes")
        ordering = ["-talked_at", "-id"]
        indexes = [
            models.Index(fields=["member", "talked_at", "id"], name="talk_note_member"),
            models.Index(
                fields=["author", "follow_up_on"],
                name="talk_note_follow_up",
                condition=models.Q(follow_up_on__isnull=False, follow_up_done_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} @ {self.talked_at:%Y-%m-%d}"


class PendingRecompute(models.Model):
    """A member whose stage, layers and rule tags must be computed again (new activity, a
    membership change). Written in the same transaction as the cause; the incremental job
    takes them in batches and deletes what it computed."""

    # Derived from other tables: an identity merge leaves it, the recompute rebuilds it.
    merge_derived = True

    member = models.OneToOneField(
        Member,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="+",
        verbose_name=_("member"),
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("organisation")
    )
    marked_at = models.DateTimeField(_("marked at"))

    class Meta:
        verbose_name = _("member to recompute")
        verbose_name_plural = _("members to recompute")

    def __str__(self) -> str:
        return f"{self.member_id} @ {self.marked_at:%Y-%m-%d %H:%M}"


class RecomputeKind(models.TextChoices):
    FULL = "full", _("Full")
    INCREMENTAL = "incremental", _("Incremental")


class RecomputeStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class RecomputeRun(models.Model):
    """One recompute: what it went through and how many members changed."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("organisation")
    )
    kind = models.CharField(_("kind"), max_length=12, choices=RecomputeKind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=RecomputeStatus.choices, default=RecomputeStatus.RUNNING
    )
    started_at = models.DateTimeField(_("started at"))
    heartbeat_at = models.DateTimeField(_("last progress"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # The clock the run computes at: a resumed run keeps it, so its parts agree.
    as_of = models.DateTimeField(_("as of"))
    # Members with an id up to this one are done (a full run goes by member id, in parts).
    cursor = models.BigIntegerField(_("done up to member"), default=0)
    members = models.PositiveIntegerField(_("members"), default=0)
    stage_changes = models.PositiveIntegerField(_("stage changes"), default=0)
    layer_changes = models.PositiveIntegerField(_("layer changes"), default=0)
    tags_added = models.PositiveIntegerField(_("tags added"), default=0)
    tags_removed = models.PositiveIntegerField(_("tags removed"), default=0)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("recompute")
        verbose_name_plural = _("recomputes")
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "kind", "status"], name="recompute_run_state"),
        ]

    def __str__(self) -> str:
        return f"{self.organization_id} {self.kind} {self.started_at:%Y-%m-%d %H:%M}"
