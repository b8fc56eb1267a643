"""Joining and leaving (入群/退群管理): rules per community, waitlists, leave requests, blocks."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shequn.core.models import TimeStampedModel
from shequn.members.models import Channel, Member, Membership
from shequn.organizations.models import Community, Organization


class RejoinPolicy(models.TextChoices):
    # Seed 002: "主动退出必须主动申请，无故退出不允许再次加入"; removed members don't come back.
    BY_REQUEST = "by_request", _("Only those who left by request may rejoin")
    ANYONE = "anyone", _("Anyone who left or was removed may rejoin")
    NOBODY = "nobody", _("Nobody who left may rejoin without an operator's permission")


DEFAULT_OFFER_HOURS = 48


class JoinPolicy(TimeStampedModel):
    """How a community admits and releases members, and what its join page tells visitors.

    A community without a row has the defaults (shequn.joining.selectors.get_join_policy).
    """

    community = models.OneToOneField(
        Community,
        on_delete=models.CASCADE,
        related_name="join_policy",
        verbose_name=_("community"),
    )
    # When full: keep a waitlist (True) or refuse (False).
    waitlist_enabled = models.BooleanField(_("keep a waitlist when full"), default=False)
    # How long the next person on the waitlist has to take a freed seat.
    offer_hours = models.PositiveIntegerField(
        _("hours to take a freed seat"), default=DEFAULT_OFFER_HOURS
    )
    rejoin_policy = models.CharField(
        _("rejoining"),
        max_length=12,
        choices=RejoinPolicy.choices,
        default=RejoinPolicy.BY_REQUEST,
    )
    # Leave requests wait for an operator (True) or take effect at once (False).
    leave_review = models.BooleanField(_("leave requests need an operator"), default=False)
    # Paid communities: an approved application comes before the order.
    paid_requires_application = models.BooleanField(
        _("paid: approve an application first"), default=False
    )
    # A level perk (docs/points.md): only members of at least this points level may apply,
    # order or join (empty: everyone).
    min_level = models.PositiveIntegerField(
        _("members from level"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(99)],
        help_text=_("Empty: every level."),
    )
    # The join page (what a visitor reads before committing).
    rights_duties = models.TextField(_("rights and duties"), blank=True)
    perks = models.TextField(_("member perks"), blank=True)
    next_steps = models.TextField(_("what happens next"), blank=True)

    class Meta:
        verbose_name = _("joining rules")
        verbose_name_plural = _("joining rules")

    def __str__(self) -> str:
        return str(self.community)


class WaitlistStatus(models.TextChoices):
    WAITING = "waiting", pgettext_lazy("waitlist", "Waiting")
    OFFERED = "offered", pgettext_lazy("waitlist", "Seat offered")
    JOINED = "joined", pgettext_lazy("waitlist", "Joined")
    EXPIRED = "expired", pgettext_lazy("waitlist", "Offer expired")
    CANCELLED = "cancelled", pgettext_lazy("waitlist", "Cancelled")


OPEN_WAITLIST_STATUSES = (WaitlistStatus.WAITING, WaitlistStatus.OFFERED)


class WaitlistEntry(TimeStampedModel):
    """A person waiting for a seat in a full community; first come, first offered.

    An offered seat is held for them until `offer_expires_at`: nobody else takes it meanwhile.
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("organisation")
    )
    community = models.ForeignKey(
        Community,
        on_delete=models.CASCADE,
        related_name="waitlist_entries",
        verbose_name=_("community"),
    )
    member = models.ForeignKey(
        Member,
        on_delete=models.CASCADE,
        related_name="waitlist_entries",
        verbose_name=_("member"),
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=WaitlistStatus.choices,
        default=WaitlistStatus.WAITING,
    )
    invite_link = models.ForeignKey(
        "invitations.InviteLink",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("invite link"),
    )
    offered_at = models.DateTimeField(_("offered at"), null=True, blank=True)
    offer_expires_at = models.DateTimeField(_("offer ends at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("waitlist entry")
        verbose_name_plural = _("waitlist entries")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "member"],
                condition=models.Q(status__in=["waiting", "offered"]),
                name="waitlist_one_open_per_member",
            ),
        ]
        indexes = [
            models.Index(fields=["community", "status", "created_at", "id"], name="waitlist_queue"),
            models.Index(fields=["status", "offer_expires_at"], name="waitlist_offer_expiry"),
            models.Index(fields=["member"], name="waitlist_member"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} waits for {self.community_id}"


class LeaveRequestStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("leave request", "Waiting for an operator")
    DONE = "done", pgettext_lazy("leave request", "Left")
    WITHDRAWN = "withdrawn", pgettext_lazy("leave request", "Withdrawn")


class LeaveRequest(TimeStampedModel):
    """A member's request to leave a community (主动退出必须主动申请), with the reason."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("organisation")
    )
    community = models.ForeignKey(
        Community,
        on_delete=models.CASCADE,
        related_name="leave_requests",
        verbose_name=_("community"),
    )
    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="leave_requests", verbose_name=_("member")
    )
    membership = models.ForeignKey(
        Membership,
        on_delete=models.CASCADE,
        related_name="leave_requests",
        verbose_name=_("membership"),
    )
    reason = models.TextField(_("reason"), blank=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=LeaveRequestStatus.choices,
        default=LeaveRequestStatus.PENDING,
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )

    class Meta:
        verbose_name = _("leave request")
        verbose_name_plural = _("leave requests")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["membership"],
                condition=models.Q(status="pending"),
                name="leave_request_one_pending",
            ),
        ]
        indexes = [
            models.Index(
                fields=["community", "status", "-created_at", "-id"], name="leave_request_queue"
            ),
            models.Index(
                fields=["organization", "status", "-created_at", "-id"], name="leave_request_org"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} leaves {self.community_id}"


class BlacklistEntry(TimeStampedModel):
    """A person the organisation does not admit (拉黑): matched by member, identity, phone, email.

    The keys are copied when the entry is made (the member's phone, email and identities), so a
    new account with the same phone or email, or a channel account, is refused as well.
    Lifting keeps the row (`lifted_at`); only entries without it refuse.
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("organisation")
    )
    member = models.ForeignKey(
        Member,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="blacklist_entries",
        verbose_name=_("member"),
    )
    display_name = models.CharField(_("name"), max_length=64, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)  # E.164
    email = models.EmailField(_("email"), blank=True)  # normalised (lower case)
    # [{"channel": Channel, "external_id": str}]
    identities = models.JSONField(_("channel accounts"), default=list, blank=True)
    reason = models.TextField(_("reason"))
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("added by"),
    )
    lifted_at = models.DateTimeField(_("lifted at"), null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("lifted by"),
    )
    lift_reason = models.TextField(_("reason for lifting"), blank=True)

    class Meta:
        verbose_name = _("blacklist entry")
        verbose_name_plural = _("blacklist entries")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["organization", "lifted_at", "-created_at", "-id"], name="blacklist_org"
            ),
            models.Index(fields=["organization", "phone"], name="blacklist_phone"),
            models.Index(fields=["organization", "email"], name="blacklist_email"),
            models.Index(fields=["member"], name="blacklist_member"),
        ]

    def __str__(self) -> str:
        return self.display_name or self.phone or self.email


class BlacklistKey(models.Model):
    """One channel account of a blacklist entry, indexed for the check at every join."""

    entry = models.ForeignKey(
        BlacklistEntry, on_delete=models.CASCADE, related_name="keys", verbose_name=_("entry")
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("organisation")
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    external_id = models.CharField(_("external id"), max_length=128)

    class Meta:
        verbose_name = _("blacklisted account")
        verbose_name_plural = _("blacklisted accounts")
        indexes = [
            models.Index(
                fields=["organization", "channel", "external_id"], name="blacklist_key_lookup"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel}:{self.external_id}"
