"""Invite links (邀请链接) and the joins they brought: every join attributed to its inviter."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shequn.accounts.models import Operator
from shequn.core.models import TimeStampedModel
from shequn.members.models import Member, Membership
from shequn.organizations.models import Community, Organization

INVITE_CODE_LENGTH = 12
PURPOSE_MAX_LENGTH = 80


class InviteLink(TimeStampedModel):
    """A link (and its QR code) into one community, for one inviter or one purpose.

    The inviter is a member (a 群友 who brings friends) or an operator; a purpose ("poster
    campaign", "salon 3 May") names links nobody in particular hands out. `use_count` counts
    the joins it brought (kept by the services, row locked); `max_uses` and `expires_at` end it.
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("organisation")
    )
    community = models.ForeignKey(
        Community,
        on_delete=models.CASCADE,
        related_name="invite_links",
        verbose_name=_("community"),
    )
    # The part of the address /c/i/<code>/ (letters and digits, unguessable).
    code = models.CharField(_("code"), max_length=32, unique=True, editable=False)
    purpose = models.CharField(_("purpose"), max_length=PURPOSE_MAX_LENGTH, blank=True)
    inviter_member = models.ForeignKey(
        Member,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="invite_links",
        verbose_name=_("inviting member"),
    )
    inviter_operator = models.ForeignKey(
        Operator,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="invite_links",
        verbose_name=_("inviting operator"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    max_uses = models.PositiveIntegerField(_("maximum uses"), null=True, blank=True)
    use_count = models.PositiveIntegerField(_("joins"), default=0, editable=False)
    # Of those joins, how many are still in (the "still in" rule of docs/invitations.md), and
    # when the last came: kept by shequn.invitations.counters under the link's row lock.
    still_in_count = models.PositiveIntegerField(
        _("still in"), default=0, db_default=0, editable=False
    )
    last_joined_at = models.DateTimeField(_("last join"), null=True, blank=True, editable=False)
    disabled_at = models.DateTimeField(_("switched off at"), null=True, blank=True)
    # A member's own link (one per member and community, made on their "invite friends" page).
    is_personal = models.BooleanField(_("personal link"), default=False, db_default=False)

    class Meta:
        verbose_name = _("invite link")
        verbose_name_plural = _("invite links")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["community", "-created_at", "-id"], name="invite_link_community"),
            models.Index(
                fields=["organization", "-created_at", "-id"], name="invite_link_org_time"
            ),
            models.Index(
                fields=["inviter_member", "-created_at", "-id"], name="invite_link_inviter_member"
            ),
            models.Index(
                fields=["inviter_operator", "-created_at", "-id"],
                name="invite_link_inviter_operator",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "inviter_member"],
                condition=models.Q(is_personal=True),
                name="invite_link_one_personal",
            ),
        ]

    def __str__(self) -> str:
        return self.purpose or self.code


class InviteJoin(models.Model):
    """One join a link brought: the link, the inviter (as they were then) and the membership.

    A person who leaves and joins again through another link has two rows; "still in" is a
    row whose membership is active and began at this join (docs/invitations.md).
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("organisation")
    )
    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="+", verbose_name=_("community")
    )
    link = models.ForeignKey(
        InviteLink, on_delete=models.CASCADE, related_name="joins", verbose_name=_("invite link")
    )
    membership = models.ForeignKey(
        Membership,
        on_delete=models.CASCADE,
        related_name="invite_joins",
        verbose_name=_("membership"),
    )
    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="invite_joins", verbose_name=_("invitee")
    )
    inviter_member = models.ForeignKey(
        Member,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="invitees",
        verbose_name=_("inviting member"),
    )
    inviter_operator = models.ForeignKey(
        Operator,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="invitees",
        verbose_name=_("inviting operator"),
    )
    joined_at = models.DateTimeField(_("joined at"))

    class Meta:
        verbose_name = _("invited join")
        verbose_name_plural = _("invited joins")
        ordering = ["-joined_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["membership", "joined_at"], name="invite_join_once_per_join"
            ),
        ]
        indexes = [
            models.Index(fields=["link", "-joined_at", "-id"], name="invite_join_link"),
            models.Index(
                fields=["organization", "inviter_member", "-joined_at", "-id"],
                name="invite_join_inviter_member",
            ),
            models.Index(
                fields=["organization", "inviter_operator", "-joined_at", "-id"],
                name="invite_join_inviter_op",
            ),
            models.Index(fields=["community", "-joined_at", "-id"], name="invite_join_community"),
            models.Index(fields=["member"], name="invite_join_member"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} via {self.link_id}"
