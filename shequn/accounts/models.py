"""Operator accounts (运营账号) with their scope, and personal API tokens."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shequn.core.models import TimeStampedModel
from shequn.organizations.models import Chapter, Community, Organization


class OperatorRole(models.TextChoices):
    ORG_ADMIN = "org_admin", _("Organisation admin")
    CHAPTER_HEAD = "chapter_head", _("Chapter head")
    ASSISTANT = "assistant", _("Assistant")


class Operator(TimeStampedModel):
    """A user who runs part of an organisation: all of it, some chapters or some communities."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="operator",
        verbose_name=_("user"),
    )
    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="operators",
        verbose_name=_("organisation"),
    )
    role = models.CharField(_("role"), max_length=20, choices=OperatorRole.choices)
    chapters = models.ManyToManyField(
        Chapter,
        related_name="operators",
        blank=True,
        verbose_name=_("chapters"),
        help_text=_("The chapters a chapter head runs."),
    )
    communities = models.ManyToManyField(
        Community,
        related_name="operators",
        blank=True,
        verbose_name=_("communities"),
        help_text=_("The communities an assistant runs."),
    )

    class Meta:
        verbose_name = _("operator account")
        verbose_name_plural = _("operator accounts")
        ordering = ["user__username"]

    def __str__(self) -> str:
        return self.user.get_username()


class ApiToken(TimeStampedModel):
    """A personal API token: only its SHA-256 is stored; it acts with its operator's scope."""

    operator = models.ForeignKey(
        Operator,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("operator account"),
    )
    name = models.CharField(_("name"), max_length=80, blank=True)
    prefix = models.CharField(_("prefix"), max_length=12)
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}…"
