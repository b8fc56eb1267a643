"""Imports run as jobs: an uploaded file of activities or members, its progress and outcome.

The row is the truth of the job (docs/jobs.md): `status` says what happened, the counters
what was read so far; the Huey task only carries the work and may run twice.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shequn.core.models import TimeStampedModel
from shequn.imports.storage import private_storage
from shequn.organizations.models import Community, Organization


class ImportKind(models.TextChoices):
    ACTIVITIES = "activities", _("Activities")
    MEMBERS = "members", _("Members")


class ImportFormat(models.TextChoices):
    JSONL = "jsonl", _("JSON Lines")
    TELEGRAM = "telegram", _("Telegram chat export")
    CSV = "csv", _("CSV")
    XLSX = "xlsx", _("Excel (.xlsx)")


class ImportStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("import status", "Waiting")  # uploaded, mapping to confirm
    QUEUED = "queued", pgettext_lazy("import status", "Queued")
    RUNNING = "running", pgettext_lazy("import status", "Running")
    DONE = "done", pgettext_lazy("import status", "Done")
    FAILED = "failed", pgettext_lazy("import status", "Failed")


class ImportJob(TimeStampedModel):
    """One uploaded file and what importing it did."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("organisation")
    )
    kind = models.CharField(_("kind"), max_length=12, choices=ImportKind.choices)
    format = models.CharField(_("format"), max_length=12, choices=ImportFormat.choices)
    # The community rows go to when they do not name one (and the scope of a chapter head).
    community = models.ForeignKey(
        Community,
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("community"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("imported by"),
    )
    # Private files (shequn/imports/storage.py): never under the public /media/.
    file = models.FileField(_("file"), upload_to="imports/files/", storage=private_storage)
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size in bytes"), default=0)
    # Member imports: the column mapping confirmed in the preview ({"name": "姓名", …}).
    options = models.JSONField(_("options"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    bytes_read = models.PositiveBigIntegerField(_("bytes read"), default=0)
    rows_read = models.PositiveIntegerField(_("rows read"), default=0)
    rows_new = models.PositiveIntegerField(_("new"), default=0)
    rows_duplicate = models.PositiveIntegerField(_("duplicates"), default=0)
    rows_rejected = models.PositiveIntegerField(_("rejected"), default=0)
    rejects_file = models.FileField(
        _("rejected rows"), upload_to="imports/rejects/", blank=True, storage=private_storage
    )
    # Why the job stopped early (a cut-off file, an unreadable format), in the operator's words.
    error = models.TextField(_("error"), blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "created_at", "id"], name="import_org_created"),
            models.Index(fields=["status", "updated_at"], name="import_status"),
        ]

    def __str__(self) -> str:
        return self.original_name
