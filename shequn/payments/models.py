"""Paid access (付费入群): prices with early-bird rules, orders, paid terms, notifications."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shequn.core.models import TimeStampedModel
from shequn.members.models import Member
from shequn.organizations.models import Community, Organization

MAX_PRICE_FEN = 100_000_000  # ¥1,000,000


class CommunityPrice(TimeStampedModel):
    """What joining a paid community costs now (amounts in fen, 1 yuan = 100 fen).

    Early bird: `early_bird_price_fen` applies during the first `early_bird_days` after
    `launched_at` and/or to the first `early_bird_seats` paid members (both set: whichever
    ends first ends it). An order keeps the amount it was created with: a change here never
    changes an existing order (shequn.payments.services).
    """

    community = models.OneToOneField(
        Community, on_delete=models.CASCADE, related_name="price", verbose_name=_("community")
    )
    price_fen = models.PositiveIntegerField(_("price (fen)"))
    early_bird_price_fen = models.PositiveIntegerField(
        _("early-bird price (fen)"), null=True, blank=True
    )
    early_bird_days = models.PositiveIntegerField(_("early-bird days"), null=True, blank=True)
    early_bird_seats = models.PositiveIntegerField(_("early-bird seats"), null=True, blank=True)
    # Day one of the early-bird days (defaults to the community's start).
    launched_at = models.DateTimeField(_("launched at"), null=True, blank=True)
    # Membership term in days (e.g. 365); empty: paid once, in for good.
    term_days = models.PositiveIntegerField(_("term (days)"), null=True, blank=True)
    renewal_price_fen = models.PositiveIntegerField(_("renewal price (fen)"), null=True, blank=True)
    reminder_days = models.PositiveIntegerField(_("remind before the end (days)"), default=14)
    # Paid orders of new members, kept by the services: the early-bird seats already taken.
    paid_join_count = models.PositiveIntegerField(_("paid joins"), default=0, editable=False)
    # What the community's paid orders brought in, net of refunds (fen), kept by the services.
    paid_total_fen = models.PositiveBigIntegerField(
        _("paid total (fen)"), default=0, db_default=0, editable=False
    )

    class Meta:
        verbose_name = _("community price")
        verbose_name_plural = _("community prices")

    def __str__(self) -> str:
        return f"{self.community}: {self.price_fen}"


class OrderKind(models.TextChoices):
    JOIN = "join", pgettext_lazy("order kind", "Joining")
    RENEWAL = "renewal", pgettext_lazy("order kind", "Renewal")


class OrderStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("order status", "Waiting for payment")
    PAID = "paid", pgettext_lazy("order status", "Paid")
    CANCELLED = "cancelled", pgettext_lazy("order status", "Cancelled")
    REFUNDED = "refunded", pgettext_lazy("order status", "Refunded")
    EXPIRED = "expired", pgettext_lazy("order status", "Expired")


class PriceLabel(models.TextChoices):
    REGULAR = "regular", _("Regular price")
    EARLY_BIRD = "early_bird", _("Early-bird price")
    RENEWAL = "renewal", _("Renewal price")


class PaymentProvider(models.TextChoices):
    MANUAL = "manual", _("Bank transfer (marked by an operator)")
    WECHAT_PAY = "wechatpay", _("WeChat Pay")
    WEBHOOK = "webhook", _("Payment gateway (signed webhook)")


class Order(TimeStampedModel):
    """One order to join or renew: its amount is fixed when it is made."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("organisation")
    )
    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="orders", verbose_name=_("community")
    )
    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="orders", verbose_name=_("member")
    )
    # The merchant's order number sent to providers (WeChat Pay's out_trade_no: ≤32 chars).
    number = models.CharField(_("order number"), max_length=32, unique=True, editable=False)
    kind = models.CharField(
        _("kind"), max_length=10, choices=OrderKind.choices, default=OrderKind.JOIN
    )
    status = models.CharField(
        _("status"), max_length=10, choices=OrderStatus.choices, default=OrderStatus.PENDING
    )
    amount_fen = models.PositiveIntegerField(_("amount (fen)"))
    price_label = models.CharField(_("price"), max_length=12, choices=PriceLabel.choices)
    # The term this order buys, copied from the price when the order was made.
    term_days = models.PositiveIntegerField(_("term (days)"), null=True, blank=True)
    provider = models.CharField(
        _("payment method"), max_length=10, choices=PaymentProvider.choices, blank=True
    )
    # The provider's transaction id (WeChat Pay's transaction_id) or the transfer's reference.
    provider_reference = models.CharField(_("payment reference"), max_length=64, blank=True)
    application = models.ForeignKey(
        "applications.Application",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="orders",
        verbose_name=_("application"),
    )
    invite_link = models.ForeignKey(
        "invitations.InviteLink",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="orders",
        verbose_name=_("invite link"),
    )
    idempotency_key = models.CharField(_("idempotency key"), max_length=64, blank=True)
    # A pending order not paid by then expires (the sweeper); WeChat Pay's time_expire.
    expires_at = models.DateTimeField(_("pay by"))
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    refunded_at = models.DateTimeField(_("refunded at"), null=True, blank=True)
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("marked by"),
    )
    note = models.TextField(_("note"), blank=True)
    # Paid, but the member could not be admitted (full, blacklisted meanwhile…): an operator
    # decides (the money is recorded either way); `note` says why.
    needs_operator = models.BooleanField(_("needs an operator"), default=False)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-created_at", "-id"]
        constraints = [
            # One order waiting for payment per person, community and kind (a double tap).
            models.UniqueConstraint(
                fields=["member", "community", "kind"],
                condition=models.Q(status="pending"),
                name="order_one_pending",
            ),
            models.UniqueConstraint(
                fields=["member", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="order_idempotency_key",
            ),
        ]
        indexes = [
            models.Index(
                fields=["community", "status", "-created_at", "-id"], name="order_community"
            ),
            models.Index(fields=["organization", "status", "-created_at", "-id"], name="order_org"),
            # The lists' order without a status filter (all orders, one community's).
            models.Index(fields=["organization", "-created_at", "-id"], name="order_org_time"),
            models.Index(fields=["community", "-created_at", "-id"], name="order_community_time"),
            models.Index(fields=["member", "-created_at", "-id"], name="order_member"),
            models.Index(fields=["status", "expires_at"], name="order_expiry"),
        ]

    def __str__(self) -> str:
        return self.number


class MembershipTerm(models.Model):
    """A paid period of a member in a community: one per paid order; a renewal follows on."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("organisation")
    )
    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="+", verbose_name=_("community")
    )
    member = models.ForeignKey(
        Member,
        on_delete=models.CASCADE,
        related_name="membership_terms",
        verbose_name=_("member"),
    )
    order = models.OneToOneField(
        Order, on_delete=models.CASCADE, related_name="term", verbose_name=_("order")
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)  # None: no end
    # The renewal reminder of this term was sent (once per term, whatever runs the job).
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)
    # The membership ended because this term ran out (the expiry job).
    expired_at = models.DateTimeField(_("expired at"), null=True, blank=True)

    class Meta:
        verbose_name = _("membership term")
        verbose_name_plural = _("membership terms")
        ordering = ["-starts_at", "-id"]
        indexes = [
            models.Index(fields=["member", "community", "-ends_at"], name="term_member"),
            models.Index(fields=["ends_at", "reminded_at"], name="term_reminder"),
            models.Index(fields=["ends_at", "expired_at"], name="term_expiry"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} @ {self.community_id} until {self.ends_at}"


class NotificationStatus(models.TextChoices):
    ACCEPTED = "accepted", pgettext_lazy("payment notification", "Accepted")
    DUPLICATE = "duplicate", pgettext_lazy("payment notification", "Already paid")
    REJECTED = "rejected", pgettext_lazy("payment notification", "Refused")
    FLAGGED = "flagged", pgettext_lazy("payment notification", "Needs an operator")
    RESOLVED = "resolved", pgettext_lazy("payment notification", "Resolved")


class PaymentNotification(models.Model):
    """A provider's notification exactly as it came, and what was done with it.

    Every request to a notification endpoint is kept, refused ones too, so nothing is lost and
    an operator can inspect or replay it. A paid notification for a cancelled or expired order
    is FLAGGED: the money came, an operator decides (refund or admit).
    """

    id = models.BigAutoField(primary_key=True)
    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("organisation"),
    )
    provider = models.CharField(_("provider"), max_length=10, choices=PaymentProvider.choices)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    remote_addr = models.CharField(_("sender address"), max_length=64, blank=True)
    headers = models.JSONField(_("headers"), default=dict)
    body = models.TextField(_("body"))
    # The provider's id of the notification (replay protection) and of the payment.
    event_id = models.CharField(_("notification id"), max_length=128, blank=True)
    transaction_id = models.CharField(_("transaction id"), max_length=64, blank=True)
    order = models.ForeignKey(
        Order,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("order"),
    )
    amount_fen = models.PositiveIntegerField(_("amount (fen)"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=NotificationStatus.choices)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resolved by"),
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolution = models.TextField(_("resolution"), blank=True)

    class Meta:
        verbose_name = _("payment notification")
        verbose_name_plural = _("payment notifications")
        ordering = ["-received_at", "-id"]
        constraints = [
            # An id is accepted once: a replay is refused (and kept, as REJECTED).
            models.UniqueConstraint(
                fields=["provider", "event_id"],
                condition=models.Q(status__in=["accepted", "duplicate", "flagged", "resolved"])
                & ~models.Q(event_id=""),
                name="payment_notification_once",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-received_at"], name="payment_notification_status"),
            models.Index(
                fields=["organization", "status", "-received_at", "-id"],
                name="payment_notification_org",
            ),
            models.Index(
                fields=["organization", "-received_at", "-id"],
                name="payment_notification_org_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.event_id or self.pk} ({self.status})"
