"""Organisation → chapters (分会) → communities (社群)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shequn.core.collation import SORT_KEY_MAX_LENGTH
from shequn.core.models import TimeStampedModel

NAME_MAX_LENGTH = 80
SLUG_MAX_LENGTH = 50


class Organization(TimeStampedModel):
    """An organisation that runs communities, e.g. a national club or a course company."""

    name = models.CharField(_("name"), max_length=NAME_MAX_LENGTH)
    slug = models.SlugField(_("slug"), max_length=SLUG_MAX_LENGTH, unique=True)
    intro = models.TextField(_("introduction"), blank=True)
    # Activity times written without an offset are read in this zone (docs/activities.md).
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    # Identity merge: merge at once when two members share a phone, an email or a WeChat
    # unionid (exact matches only); off by default, every suggestion waits for review.
    auto_merge_exact = models.BooleanField(_("merge exact matches automatically"), default=False)

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
    # Kept by the services; shequn.members.counters.recount_members rebuilds it.
    community_count = models.PositiveIntegerField(
        _("active communities"), default=0, editable=False
    )
    sort_key = models.CharField(
        _("sort key"), max_length=SORT_KEY_MAX_LENGTH, default="", editable=False
    )

    class Meta:
        verbose_name = _("chapter")
        verbose_name_plural = _("chapters")
        ordering = ["sort_key", "id"]
        constraints = [
            # Unique regardless of case: "Salon" and "salon" would be one address to a person.
            models.UniqueConstraint(
                F("organization"),
                Lower("slug"),
                name="chapter_unique_slug_ci_per_org",
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


class ClosePolicy(models.TextChoices):
    """What happens to a community when its end (`ends_at`) passes."""

    DISSOLVE = "dissolve", _("dissolved")
    ARCHIVE = "archive", _("archived")


# What closes each kind at its end (seed 002; docs/jobs.md): a lead-gen group is dissolved
# ("请尽快解散"); new-member groups, training camps and delivery groups are archived (their members
# and history stay on record, an operator may restore them); open-ended kinds never close.
KIND_CLOSE_POLICIES: dict[str, ClosePolicy | None] = {
    CommunityKind.LEAD_GEN: ClosePolicy.DISSOLVE,
    CommunityKind.NEW_MEMBER: ClosePolicy.ARCHIVE,
    CommunityKind.TRAINING_CAMP: ClosePolicy.ARCHIVE,
    CommunityKind.DELIVERY: ClosePolicy.ARCHIVE,
    CommunityKind.CORE_FANS: None,
    CommunityKind.REGIONAL: None,
}
CLOSING_KINDS = tuple(kind for kind, policy in KIND_CLOSE_POLICIES.items() if policy)


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
    # Set by close_expired_community when the end-of-life job closed it (not an operator).
    closed_by_policy_at = models.DateTimeField(
        _("closed at its end"), null=True, blank=True, editable=False
    )
    # Kept by the services; shequn.members.counters.recount_members rebuilds them.
    member_count = models.PositiveIntegerField(_("active members"), default=0, editable=False)
    sort_key = models.CharField(
        _("sort key"), max_length=SORT_KEY_MAX_LENGTH, default="", editable=False
    )

    class Meta:
        verbose_name = _("community")
        verbose_name_plural = _("communities")
        ordering = ["sort_key", "id"]
        constraints = [
            # Unique regardless of case: "Salon" and "salon" would be one address to a person.
            models.UniqueConstraint(
                F("organization"),
                Lower("slug"),
                name="community_unique_slug_ci_per_org",
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
            # The end-of-life sweeper and the "closes soon" warnings: active ones by end.
            models.Index(fields=["status", "ends_at"], name="community_status_end"),
            models.Index(Lower("name"), name="community_name_lower"),
            models.Index(fields=["organization", "sort_key", "id"], name="community_org_sort"),
            models.Index(
                fields=["organization", "status", "sort_key", "id"], name="community_status_sort"
            ),
            models.Index(fields=["chapter", "sort_key", "id"], name="community_chapter_sort"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def close_policy(self) -> ClosePolicy | None:
        """What its end does to it: dissolve, archive, or nothing (open-ended kinds)."""
        return KIND_CLOSE_POLICIES.get(self.kind)

    def is_past_closing_end(self, now: datetime) -> bool:
        """Its kind closes at the end and the end has passed: closed to joining from that
        moment, whether or not the end-of-life job has run yet."""
        return self.close_policy is not None and self.ends_at is not None and self.ends_at <= now


class CommunityOldSlug(models.Model):
    """A slug a community had before: its old links and QR codes redirect to the current one.

    While it redirects, no other community of the organisation may take it (docs/console.md);
    the community itself may take it back, which removes the row.
    """

    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("organisation"),
    )
    community = models.ForeignKey(
        Community,
        on_delete=models.CASCADE,
        related_name="old_slugs",
        verbose_name=_("community"),
    )
    slug = models.SlugField(_("old slug"), max_length=SLUG_MAX_LENGTH)
    created_at = models.DateTimeField(_("replaced at"), auto_now_add=True)

    class Meta:
        verbose_name = _("old community slug")
        verbose_name_plural = _("old community slugs")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                F("organization"),
                Lower("slug"),
                name="community_old_slug_ci_per_org",
                violation_error_message=_("This slug still redirects to another community."),
            ),
        ]

    def __str__(self) -> str:
        return self.slug
