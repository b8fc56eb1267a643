"""Organisation → chapters (分会) → communities (社群)."""

from __future__ import annotations

from datetime import timedelta

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shequn.core.models import TimeStampedModel

NAME_MAX_LENGTH = 80
SLUG_MAX_LENGTH = 50


class Organization(TimeStampedModel):
    """An organisation that runs communities, e.g. a national club or a course company."""

    name = models.CharField(_("name"), max_length=NAME_MAX_LENGTH)
    slug = models.SlugField(_("slug"), max_length=SLUG_MAX_LENGTH, unique=True)
    intro = models.TextField(_("introduction"), blank=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Chapter(TimeStampedModel):
    """A city or regional chapter (分会) of an organisation, run by its heads (会长)."""

    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="chapters",
        verbose_name=_("organisation"),
    )
    name = models.CharField(_("name"), max_length=NAME_MAX_LENGTH)
    slug = models.SlugField(_("slug"), max_length=SLUG_MAX_LENGTH)
    city = models.CharField(_("city or region"), max_length=NAME_MAX_LENGTH, blank=True)
    intro = models.TextField(_("introduction"), blank=True)

    class Meta:
        verbose_name = _("chapter")
        verbose_name_plural = _("chapters")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "slug"],
                name="chapter_unique_slug_per_org",
                violation_error_message=_("Another chapter of this organisation has this slug."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CommunityKind(models.TextChoices):
    LEAD_GEN = "lead_gen", _("Lead-gen group")
    NEW_MEMBER = "new_member", _("New-member group")
    TRAINING_CAMP = "training_camp", _("Training camp")
    DELIVERY = "delivery", _("Delivery group")
    CORE_FANS = "core_fans", _("Core fans (VIP) group")
    REGIONAL = "regional", _("Regional group")


# The lifespan each kind proposes (seed 002): None means the group has no planned end.
KIND_LIFESPANS: dict[str, timedelta | None] = {
    CommunityKind.LEAD_GEN: timedelta(hours=48),
    CommunityKind.NEW_MEMBER: timedelta(days=7),
    CommunityKind.TRAINING_CAMP: timedelta(days=7),
    CommunityKind.DELIVERY: timedelta(days=90),
    CommunityKind.CORE_FANS: None,
    CommunityKind.REGIONAL: None,
}


class CommunityAccess(models.TextChoices):
    OPEN = "open", _("Open")
    PRIVATE = "private", _("Private (invitation or approval)")
    PAID = "paid", _("Paid")


class CommunityStatus(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("community status", "Active")
    ARCHIVED = "archived", _("Archived")
    DISSOLVED = "dissolved", _("Dissolved")


DEFAULT_CAPACITY = 500
MAX_CAPACITY = 100_000


class Community(TimeStampedModel):
    """A member community (社群/群) of one of six kinds, optionally inside a chapter."""

    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="communities",
        verbose_name=_("organisation"),
    )
    chapter = models.ForeignKey(
        Chapter,
        on_delete=models.PROTECT,
        related_name="communities",
        null=True,
        blank=True,
        verbose_name=_("chapter"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=CommunityKind.choices)
    access = models.CharField(
        _("access"),
        max_length=10,
        choices=CommunityAccess.choices,
        default=CommunityAccess.PRIVATE,
    )
    name = models.CharField(_("name"), max_length=NAME_MAX_LENGTH)
    slug = models.SlugField(_("slug"), max_length=SLUG_MAX_LENGTH)
    intro = models.TextField(_("introduction"), blank=True)
    avatar = models.ImageField(_("avatar"), upload_to="communities/avatars/", blank=True)
    cover = models.ImageField(_("cover image"), upload_to="communities/covers/", blank=True)
    rules = models.TextField(_("group rules"), blank=True)
    capacity = models.PositiveIntegerField(
        _("capacity"),
        default=DEFAULT_CAPACITY,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_CAPACITY)],
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=CommunityStatus.choices,
        default=CommunityStatus.ACTIVE,
    )
    archived_at = models.DateTimeField(_("archived at"), null=True, blank=True)

    class Meta:
        verbose_name = _("community")
        verbose_name_plural = _("communities")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "slug"],
                name="community_unique_slug_per_org",
                violation_error_message=_("Another community of this organisation has this slug."),
            ),
            models.CheckConstraint(
                condition=models.Q(ends_at__isnull=True)
                | models.Q(ends_at__gt=models.F("starts_at")),
                name="community_ends_after_start",
                violation_error_message=_("The end must come after the start."),
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "status", "kind"], name="community_org_status"),
            models.Index(Lower("name"), name="community_name_lower"),
        ]

    def __str__(self) -> str:
        return self.name
