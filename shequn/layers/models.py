"""Activity layers (用户分层) of each member in each community (docs/layers.md).

Seed 003: find the activists (积极分子) and keep them; know the lurkers (潜水党). A member's
layer in a community is computed from that community's activity by `shequn.layers.compute`
under the rules of the community's kind (`LayerRules`; documented defaults when none is saved).
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shequn.members.models import Member, Membership
from shequn.organizations.models import Community, CommunityKind, Organization


class Layer(models.TextChoices):
    NEW = "new", pgettext_lazy("activity layer", "New")
    CORE = "core", pgettext_lazy("activity layer", "Core activist")
    ACTIVE = "active", pgettext_lazy("activity layer", "Active")
    CASUAL = "casual", pgettext_lazy("activity layer", "Casual")
    LURKER = "lurker", pgettext_lazy("activity layer", "Lurker")
    DORMANT = "dormant", pgettext_lazy("activity layer", "Dormant")


class LayerMode(models.TextChoices):
    THRESHOLDS = "thresholds", _("Fixed thresholds")
    PERCENTILES = "percentiles", _("Percentile bands")


class LayerRules(models.Model):
    """The layer rules of one community kind in one organisation (docs/layers.md)."""

    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="layer_rules",
        db_index=False,  # leads the unique constraint
        verbose_name=_("organisation"),
    )
    community_kind = models.CharField(
        _("community kind"), max_length=20, choices=CommunityKind.choices
    )
    mode = models.CharField(
        _("mode"), max_length=12, choices=LayerMode.choices, default=LayerMode.THRESHOLDS
    )
    # 新人: joined less than this many days ago.
    new_days = models.PositiveIntegerField(
        _("new for (days)"), default=7, validators=[MaxValueValidator(365)]
    )
    # The window of weighted activity that ranks members (core, active, casual).
    window_days = models.PositiveIntegerField(
        _("activity window (days)"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
    )
    # 积极分子: in the top this-many percent of weighted activity …
    core_top_percent = models.PositiveIntegerField(
        _("core: top percent"),
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
    )
    # … and active in at least this many of the last 4 weeks.
    core_min_active_weeks = models.PositiveIntegerField(
        _("core: active weeks of the last 4"),
        default=3,
        validators=[MinValueValidator(0), MaxValueValidator(4)],
    )
    # 活跃 (thresholds mode): at least this much weighted activity in the window.
    active_min_score = models.PositiveIntegerField(
        _("active: weighted activity at least"), default=8, validators=[MinValueValidator(1)]
    )
    # 活跃 (percentile mode): the next this-many percent after the core band.
    active_band_percent = models.PositiveIntegerField(
        _("active: next percent"), default=30, validators=[MaxValueValidator(100)]
    )
    # 潜水: a member for at least this many days with no message in the silence window.
    lurker_min_member_days = models.PositiveIntegerField(
        _("lurker: member for at least (days)"), default=14, validators=[MaxValueValidator(3650)]
    )
    lurker_silent_days = models.PositiveIntegerField(
        _("lurker: no message for (days)"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
    )
    # 沉睡: no activity of any kind for this many days (and a member at least as long).
    dormant_days = models.PositiveIntegerField(
        _("dormant: no activity for (days)"),
        default=90,
        validators=[MinValueValidator(1), MaxValueValidator(730)],
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("layer rules")
        verbose_name_plural = _("layer rules")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "community_kind"], name="layer_rules_once_per_kind"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization_id}: {self.community_kind}"


class MembershipLayer(models.Model):
    """A member's layer in one community they are in (active memberships only).

    Only the layer and since when are kept: the facts behind it slide with the clock, and a
    recompute that wrote them would rewrite every row every day (shequn.layers.compute).
    """

    # Derived from other tables: an identity merge leaves it, the recompute rebuilds it.
    merge_derived = True

    membership = models.OneToOneField(
        Membership,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="layer",
        verbose_name=_("membership"),
    )
    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # leads an index below
        verbose_name=_("organisation"),
    )
    community = models.ForeignKey(
        Community,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # leads an index below
        verbose_name=_("community"),
    )
    member = models.ForeignKey(
        Member,
        on_delete=models.CASCADE,
        related_name="layers",
        verbose_name=_("member"),
    )
    layer = models.CharField(_("layer"), max_length=10, choices=Layer.choices)
    since = models.DateTimeField(_("since"))

    class Meta:
        verbose_name = _("member layer")
        verbose_name_plural = _("member layers")
        indexes = [
            models.Index(
                fields=["community", "layer", "since", "membership"],
                name="membership_layer_community",
            ),
            models.Index(fields=["organization", "layer"], name="membership_layer_org"),
        ]

    def __str__(self) -> str:
        return f"{self.membership_id}: {self.layer}"


class LayerCutoff(models.Model):
    """The weighted-activity score a member of a community needs for the core band (and, in
    percentile mode, for the active band), found by the last full recompute from the whole
    community's ranking; the incremental recompute of a few members compares with these."""

    community = models.OneToOneField(
        Community,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="+",
        verbose_name=_("community"),
    )
    core_score = models.PositiveIntegerField(_("core from score"), null=True, blank=True)
    active_score = models.PositiveIntegerField(_("active from score"), null=True, blank=True)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("layer cut-off")
        verbose_name_plural = _("layer cut-offs")

    def __str__(self) -> str:
        return f"{self.community_id}: {self.core_score}/{self.active_score}"


class LayerCount(models.Model):
    """How many members of a community are in each layer: kept by every recompute
    (shequn.layers.rollups), read by the distribution pages at any size."""

    community = models.ForeignKey(
        Community,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # leads the unique constraint
        verbose_name=_("community"),
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("organisation")
    )
    layer = models.CharField(_("layer"), max_length=10, choices=Layer.choices)
    members = models.PositiveIntegerField(_("members"), default=0)
    counted_at = models.DateTimeField(_("counted at"))

    class Meta:
        verbose_name = _("layer count")
        verbose_name_plural = _("layer counts")
        constraints = [
            models.UniqueConstraint(fields=["community", "layer"], name="layer_count_once"),
        ]

    def __str__(self) -> str:
        return f"{self.community_id} {self.layer}={self.members}"
