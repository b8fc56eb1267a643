"""Rewards (积分兑换, docs/rewards.md): items members redeem with points, their coupon codes,
and the redemptions, fulfilled or cancelled by operators.

A redemption's points are a ledger entry (reason `redemption`); a cancellation writes a refund
entry. Stock is counted on the reward row (null: unlimited; coupons: the free codes) and moved
only by conditional UPDATEs in the transaction that locks the reward (shequn.rewards.services).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shequn.members.models import Member
from shequn.organizations.models import Community, Organization
from shequn.points.models import LedgerEntry

NAME_MAX_LENGTH = 80
DESCRIPTION_MAX_LENGTH = 2000
CODE_MAX_LENGTH = 100
NOTE_MAX_LENGTH = 200
MAX_COST = 1_000_000
MAX_STOCK = 1_000_000
MAX_CODES_PER_UPLOAD = 5000


class RewardKind(models.TextChoices):
    MEMBERSHIP = "membership", _("Membership upgrade or renewal")
    COUPON = "coupon", _("Coupon code")
    VISIT = "visit", _("Offline visit")
    GIFT = "gift", _("Physical gift")


class RedemptionStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    FULFILLED = "fulfilled", _("Fulfilled")
    CANCELLED = "cancelled", _("Cancelled")


class Reward(models.Model):
    """An item of the organisation's rewards shop."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("organisation")
    )
    community = models.ForeignKey(
        Community,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("community"),
    )
    kind = models.CharField(_("kind"), max_length=12, choices=RewardKind.choices)
    name = models.CharField(_("name"), max_length=NAME_MAX_LENGTH)
    description = models.TextField(_("description"), blank=True)
    cost = models.PositiveIntegerField(_("cost (points)"))
    stock = models.PositiveIntegerField(
        _("stock"), null=True, blank=True, help_text=_("Empty: unlimited.")
    )
    per_member_limit = models.PositiveIntegerField(
        _("per member at most"), null=True, blank=True, help_text=_("Empty: no limit.")
    )
    min_level = models.PositiveIntegerField(
        _("from level"), null=True, blank=True, help_text=_("Empty: every level.")
    )
    available_from = models.DateTimeField(_("available from"), null=True, blank=True)
    available_until = models.DateTimeField(_("available until"), null=True, blank=True)
    is_active = models.BooleanField(_("switched on"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("reward")
        verbose_name_plural = _("rewards")
        ordering = ["cost", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(cost__gt=0), name="reward_cost_positive"),
        ]
        indexes = [models.Index(fields=["organization", "cost"], name="reward_org_cost")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_coupon(self) -> bool:
        return self.kind == RewardKind.COUPON


class Redemption(models.Model):
    """A member spent points on a reward."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("organisation")
    )
    reward = models.ForeignKey(
        Reward, on_delete=models.PROTECT, related_name="redemptions", verbose_name=_("reward")
    )
    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="redemptions", verbose_name=_("member")
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=RedemptionStatus.choices,
        default=RedemptionStatus.REQUESTED,
    )
    cost = models.PositiveIntegerField(_("points"))
    debit = models.OneToOneField(
        LedgerEntry,
        on_delete=models.RESTRICT,  # goes only with the member (and the redemption)
        related_name="redemption",
        verbose_name=_("ledger entry"),
    )
    refund = models.OneToOneField(
        LedgerEntry,
        on_delete=models.RESTRICT,
        null=True,
        blank=True,
        related_name="refunded_redemption",
        verbose_name=_("refund entry"),
    )
    # The member's redeem form: a second POST of the same form is the same redemption.
    request_key = models.CharField(max_length=40, blank=True)
    note = models.CharField(_("note or tracking number"), max_length=NOTE_MAX_LENGTH, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("handled by"),
    )
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    fulfilled_at = models.DateTimeField(_("fulfilled at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("redemption")
        verbose_name_plural = _("redemptions")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "request_key"],
                condition=~Q(request_key=""),
                name="redemption_once_per_request",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "status", "created_at"], name="redemption_queue"),
            models.Index(fields=["reward", "member"], name="redemption_reward_member"),
        ]

    def __str__(self) -> str:
        return f"{self.reward_id}: {self.member_id} ({self.status})"


class CouponCode(models.Model):
    """One code of a coupon reward: given to one redemption, ever (unless never shown)."""

    reward = models.ForeignKey(
        Reward, on_delete=models.CASCADE, related_name="codes", verbose_name=_("reward")
    )
    code = models.CharField(_("code"), max_length=CODE_MAX_LENGTH)
    redemption = models.OneToOneField(
        Redemption,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="coupon",
        verbose_name=_("redemption"),
    )
    # Once shown to the member a code is spent even if the redemption is cancelled.
    shown_at = models.DateTimeField(_("shown at"), null=True, blank=True)
    spent = models.BooleanField(_("given out"), default=False)
    created_at = models.DateTimeField(_("added at"), auto_now_add=True)

    class Meta:
        verbose_name = _("coupon code")
        verbose_name_plural = _("coupon codes")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["reward", "code"], name="coupon_code_once"),
        ]
        indexes = [
            models.Index(
                fields=["reward", "id"], name="coupon_code_free", condition=Q(spent=False)
            ),
        ]

    def __str__(self) -> str:
        return self.code
