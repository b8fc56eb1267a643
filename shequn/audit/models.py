"""The audit log: every operator write made through a service leaves one entry."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shequn.organizations.models import Chapter, Community, Organization


class AuditAction(models.TextChoices):
    CREATE = "create", _("Created")
    UPDATE = "update", _("Updated")
    ARCHIVE = "archive", _("Archived")
    DISSOLVE = "dissolve", _("Dissolved")
    DELETE = "delete", _("Deleted")
    JOIN = "join", _("Joined")
    LEAVE = "leave", _("Left")
    ISSUE_TOKEN = "issue_token", _("Issued an API token")
    REVOKE_TOKEN = "revoke_token", _("Revoked an API token")
    MERGE = "merge", _("Merged")
    UNMERGE = "unmerge", _("Unmerged")
    IMPORT = "import", _("Imported")


class AuditEntry(models.Model):
    """Who did what to which object, which fields changed, and when.

    `chapter` and `community` place the entry in the same scope as the object, so a chapter
    head sees the entries of their chapters and an assistant those of their communities.
    """

    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="audit_entries",
        verbose_name=_("organisation"),
    )
    chapter = models.ForeignKey(
        Chapter,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("chapter"),
    )
    community = models.ForeignKey(
        Community,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("community"),
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    actor_name = models.CharField(_("actor name"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=20, choices=AuditAction.choices)
    object_type = models.CharField(_("object type"), max_length=50)
    object_id = models.CharField(_("object id"), max_length=40)
    object_repr = models.CharField(_("object"), max_length=200)
    changes = models.JSONField(_("changed fields"), default=dict, blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["-created_at", "-id"]
        # One per filter of the audit log page, each in its newest-first order.
        indexes = [
            models.Index(fields=["organization", "-created_at"], name="audit_org_time"),
            models.Index(
                fields=["organization", "action", "-created_at"], name="audit_org_action_time"
            ),
            models.Index(
                fields=["organization", "object_type", "-created_at"], name="audit_org_type_time"
            ),
            models.Index(
                fields=["organization", "actor", "-created_at"], name="audit_org_actor_time"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.actor_name} {self.action} {self.object_repr}"
