"""Points (积分): rules, the ledger, balances, levels (docs/points.md).

The ledger (`LedgerEntry`) is the truth: entries are never edited or deleted; a correction is a
reversal entry. `MemberPoints` keeps each member's balance and lifetime earnings, changed only
in the transaction that writes the entries (shequn.points.ledger), so balance == sum(entries).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shequn.activity.models import ActivityKind
from shequn.members.models import Member
from shequn.organizations.models import Community, Organization

NOTE_MAX_LENGTH = 200
CUSTOM_NAME_MAX_LENGTH = 60
MAX_POINTS = 100_000  # one rule's award, one adjustment
MAX_DAILY_CAP = 1_000_000
MAX_COOLDOWN_MINUTES = 24 * 60


class EntryReason(models.TextChoices):
    AWARD = "award", _("Earned")
    REFERRAL = "referral", _("Invited a member who stayed")
    PENALTY = "penalty", _("Penalty")
    ADJUSTMENT = "adjustment", _("Adjusted by an operator")
    REDEMPTION = "redemption", _("Redeemed")
    REFUND = "refund", _("Redemption cancelled")
    REVERSAL = "reversal", _("Reversal")
    EXPIRY = "expiry", _("Expired")


# Reasons that may take a balance below zero (docs/points.md, "The zero rule").
MAY_GO_NEGATIVE = frozenset({EntryReason.PENALTY})
# Entries that count towards lifetime earnings (and so levels).
EARNING = frozenset({EntryReason.AWARD, EntryReason.REFERRAL, EntryReason.ADJUSTMENT})


class PointRule(models.Model):
    """Points for one kind of activity, for the organisation (community None) or one community
    (which then overrides the organisation's rule of the same kind)."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("organisation")
    )
    community = models.ForeignKey(
        Community,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("community"),
    )
    kind = models.CharField(_("activity kind"), max_length=20, choices=ActivityKind.choices)
    # For custom activities: their name (properties.name), e.g. featured_post, camp_finished.
    custom_name = models.CharField(
        _("custom activity name"), max_length=CUSTOM_NAME_MAX_LENGTH, blank=True
    )
    points = models.IntegerField(_("points"))
    daily_cap = models.PositiveIntegerField(
        _("daily cap (points)"), null=True, blank=True, help_text=_("Empty: no cap.")
    )
    cooldown_minutes = models.PositiveIntegerField(_("cooldown (minutes)"), default=0)
    is_active = models.BooleanField(_("switched on"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("point rule")
        verbose_name_plural = _("point rules")
        ordering = ["community_id", "kind", "custom_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "kind", "custom_name"],
                condition=Q(community__isnull=True),
                name="point_rule_once_per_org",
            ),
            models.UniqueConstraint(
                fields=["community", "kind", "custom_name"],
                condition=Q(community__isnull=False),
                name="point_rule_once_per_community",
            ),
        ]

    def __str__(self) -> str:
        label = self.custom_name or self.get_kind_display()
        return f"{label} {self.points:+d}"

    @property
    def is_penalty(self) -> bool:
        return self.points < 0


class PointSettings(models.Model):
    """The organisation's options: expiry, the referral award, the exit rule."""

    organization = models.OneToOneField(
        Organization,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="point_settings",
        verbose_name=_("organisation"),
    )
    expiry_months = models.PositiveIntegerField(
        _("points expire after (months)"), null=True, blank=True, help_text=_("Empty: never.")
    )
    referral_points = models.PositiveIntegerField(
        _("an invited member who stays 7 days (points)"), default=20
    )
    referral_days = models.PositiveIntegerField(_("stays at least (days)"), default=7)
    # The exit rule (optional): below this balance or level for `exit_after_days` days flags
    # the member for a removal review (docs/points.md, "Exit rule").
    exit_below_points = models.IntegerField(_("exit review below (points)"), null=True, blank=True)
    exit_below_level = models.PositiveIntegerField(
        _("exit review below (level)"), null=True, blank=True
    )
    exit_after_days = models.PositiveIntegerField(_("for (days)"), default=30)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("point settings")
        verbose_name_plural = _("point settings")

    def __str__(self) -> str:
        return f"{self.organization_id}"


class LedgerEntry(models.Model):
    """One immutable change of a member's points."""

    id = models.BigAutoField(primary_key=True)
    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # leads an index below
        verbose_name=_("organisation"),
    )
    member = models.ForeignKey(
        Member,
        on_delete=models.CASCADE,
        related_name="ledger_entries",
        db_index=False,  # leads an index below
        verbose_name=_("member"),
    )
    community = models.ForeignKey(
        Community,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
        verbose_name=_("community"),
    )
    delta = models.IntegerField(_("points"))
    reason = models.CharField(_("reason"), max_length=12, choices=EntryReason.choices)
    note = models.CharField(_("note"), max_length=NOTE_MAX_LENGTH, blank=True)
    # What the entry follows from: an activity (awards: one entry per activity, ever), a rule,
    # an operator, the entry it reverses, a source key for other one-off awards (referrals).
    activity_id = models.BigIntegerField(_("activity"), null=True, blank=True)
    rule = models.ForeignKey(
        PointRule,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("rule"),
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    reverses = models.OneToOneField(
        "self",
        on_delete=models.RESTRICT,  # an entry goes only with its member (and its reversal)
        null=True,
        blank=True,
        related_name="reversed_by",
        verbose_name=_("reverses"),
    )
    source_key = models.CharField(_("source"), max_length=60, blank=True)
    # Counts towards lifetime earnings (levels): awards, referrals, adjustments, and the
    # reversals of those; not penalties, redemptions, refunds or expiry.
    earning = models.BooleanField(_("counts as earned"), default=False)
    occurred_at = models.DateTimeField(_("for"))  # the activity's time, or the write's
    created_at = models.DateTimeField(_("written at"))

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["activity_id"],
                condition=Q(activity_id__isnull=False),
                name="ledger_once_per_activity",
            ),
            models.UniqueConstraint(
                fields=["organization", "source_key"],
                condition=~Q(source_key=""),
                name="ledger_once_per_source",
            ),
        ]
        indexes = [
            models.Index(fields=["member", "created_at", "id"], name="ledger_member_time"),
            models.Index(fields=["organization", "created_at", "id"], name="ledger_org_time"),
            models.Index(
                fields=["organization", "occurred_at", "member"],
                name="ledger_org_earned",
                condition=Q(delta__gt=0),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.delta:+d} {self.get_reason_display()}"


class MemberPoints(models.Model):
    """A member's balance and lifetime earnings: the sum of their entries, kept in step."""

    # Derived from the ledger, which a merge moves: recounted after it (merge_derived).
    merge_derived = True

    member = models.OneToOneField(
        Member,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="points",
        verbose_name=_("member"),
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("organisation")
    )
    balance = models.IntegerField(_("balance"), default=0)
    earned = models.IntegerField(_("earned in all"), default=0)
    level = models.ForeignKey(
        "points.Level",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("level"),
    )
    # The exit rule: since when (by the daily check) the member is below its line.
    below_since = models.DateTimeField(_("below the exit line since"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("member points")
        verbose_name_plural = _("member points")
        indexes = [
            models.Index(fields=["organization", "-balance"], name="member_points_balance"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id}: {self.balance}"


class Level(models.Model):
    """A named level reached by lifetime earnings (spending never lowers a level)."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("organisation")
    )
    number = models.PositiveIntegerField(_("level"))
    name = models.CharField(_("name"), max_length=30)
    threshold = models.PositiveIntegerField(_("from (points earned)"))
    badge = models.CharField(_("badge"), max_length=8, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("level")
        verbose_name_plural = _("levels")
        ordering = ["organization_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "number"], name="level_number_once"),
            models.UniqueConstraint(
                fields=["organization", "threshold"], name="level_threshold_once"
            ),
        ]

    def __str__(self) -> str:
        return f"Lv{self.number} {self.name}"


class LevelChange(models.Model):
    """A member reached a level (kept, notified, an activity)."""

    merge_derived = True

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("organisation")
    )
    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="level_changes", verbose_name=_("member")
    )
    from_number = models.PositiveIntegerField(_("from level"), null=True)
    to_number = models.PositiveIntegerField(_("to level"))
    earned = models.IntegerField(_("earned then"))
    occurred_at = models.DateTimeField(_("when"))
    # The level_up activity and the email (moves up only) are done: set by the job.
    announced_at = models.DateTimeField(_("announced at"), null=True, blank=True)
    seen_at = models.DateTimeField(_("seen by the member"), null=True, blank=True)

    class Meta:
        verbose_name = _("level change")
        verbose_name_plural = _("level changes")
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["member", "occurred_at"], name="level_change_member")]

    def __str__(self) -> str:
        return f"{self.member_id}: {self.from_number} → {self.to_number}"


class AwardCursor(models.Model):
    """How far the awards job has read the organisation's activities (by id)."""

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    last_activity_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.organization_id}: {self.last_activity_id}"


class ExitReviewStatus(models.TextChoices):
    OPEN = "open", _("Waiting for review")
    CONFIRMED = "confirmed", _("Removed")
    DISMISSED = "dismissed", _("Kept")


class ExitReview(models.Model):
    """The exit rule flagged a member for removal; an operator confirms or dismisses it."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("organisation")
    )
    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="exit_reviews", verbose_name=_("member")
    )
    reason = models.CharField(_("reason"), max_length=NOTE_MAX_LENGTH)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=ExitReviewStatus.choices,
        default=ExitReviewStatus.OPEN,
    )
    flagged_at = models.DateTimeField(_("flagged at"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    note = models.CharField(_("note"), max_length=NOTE_MAX_LENGTH, blank=True)

    class Meta:
        verbose_name = _("exit review")
        verbose_name_plural = _("exit reviews")
        ordering = ["-flagged_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["member"],
                condition=Q(status="open"),
                name="exit_review_one_open",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "status", "-flagged_at"], name="exit_review_queue")
        ]

    def __str__(self) -> str:
        return f"{self.member_id}: {self.status}"
