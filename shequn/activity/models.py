"""The activity stream: one row per thing a member did, on any channel (docs/activities.md).

Rows are written only by `shequn.activity.services.ingest_activities` (bulk, deduplicated on
organisation + channel + the channel's own id) and are never edited, except that an identity
merge moves them to the surviving member (and an unmerge moves them back).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shequn.members.models import Channel, Identity, Member
from shequn.organizations.models import Community, Organization

# The longest text kept with an activity (characters); longer text is rejected, not cut.
ACTIVITY_TEXT_MAX_LENGTH = 4000
EXTERNAL_ID_MAX_LENGTH = 128


class ActivityKind(models.TextChoices):
    MESSAGE = "message", pgettext_lazy("activity kind", "Message")
    REPLY = "reply", pgettext_lazy("activity kind", "Reply")
    REACTION = "reaction", pgettext_lazy("activity kind", "Reaction")
    POST = "post", pgettext_lazy("activity kind", "Post")
    COMMENT = "comment", pgettext_lazy("activity kind", "Comment")
    CHECK_IN = "check_in", pgettext_lazy("activity kind", "Check-in")
    EVENT_ATTENDANCE = "event_attendance", pgettext_lazy("activity kind", "Event attendance")
    PURCHASE = "purchase", pgettext_lazy("activity kind", "Purchase")
    INVITE = "invite", pgettext_lazy("activity kind", "Invitation")
    APPLICATION = "application", pgettext_lazy("activity kind", "Application")
    JOIN = "join", pgettext_lazy("activity kind", "Joined")
    LEAVE = "leave", pgettext_lazy("activity kind", "Left")
    CUSTOM = "custom", pgettext_lazy("activity kind", "Custom")


class ActivitySource(models.TextChoices):
    """How the row reached shequn (set by the server, never by the client)."""

    APP = "app", _("shequn itself")
    API = "api", _("API")
    IMPORT = "import", _("Import")
    CHANNEL = "channel", _("Channel connector")


class Activity(models.Model):
    """One thing a member did: a message, a check-in, a join, …"""

    id = models.BigAutoField(primary_key=True)
    # The four references have no database constraint (`db_constraint=False`): the ingestion
    # service resolves every one of them inside the transaction that inserts the rows, and
    # Django's own cascade (on_delete) still deletes a member's or a community's activities.
    # A constraint would cost four trigger look-ups per row at commit, a quarter of the
    # ingestion time (docs/activities.md, "Speed").
    # No single-column indexes on organisation, community and member: each leads one of the
    # composite indexes below, which serve the same lookups (three B-trees fewer to keep up
    # at every insert; see docs/activities.md).
    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
        verbose_name=_("organisation"),
    )
    # Empty for organisation-wide actions (a purchase in the shop, say).
    community = models.ForeignKey(
        Community,
        on_delete=models.CASCADE,
        related_name="activities",
        null=True,
        blank=True,
        db_index=False,
        db_constraint=False,
        verbose_name=_("community"),
    )
    member = models.ForeignKey(
        Member,
        on_delete=models.CASCADE,
        related_name="activities",
        db_index=False,
        db_constraint=False,
        verbose_name=_("member"),
    )
    # The account it came through; empty for shequn's own events of a member with no identity.
    identity = models.ForeignKey(
        Identity,
        on_delete=models.SET_NULL,
        related_name="activities",
        null=True,
        blank=True,
        db_constraint=False,
        verbose_name=_("identity"),
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    kind = models.CharField(_("kind"), max_length=20, choices=ActivityKind.choices)
    occurred_at = models.DateTimeField(_("occurred at"))
    # The channel's own id of the event: a second delivery of the same id stores nothing.
    external_id = models.CharField(_("channel's id"), max_length=EXTERNAL_ID_MAX_LENGTH)
    text = models.TextField(_("text"), blank=True)
    reply_to = models.CharField(_("reply to"), max_length=EXTERNAL_ID_MAX_LENGTH, blank=True)
    weight = models.SmallIntegerField(_("weight"), default=1)
    properties = models.JSONField(_("properties"), default=dict, blank=True)
    source = models.CharField(
        _("source"), max_length=10, choices=ActivitySource.choices, default=ActivitySource.APP
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "channel", "external_id"],
                name="activity_unique_per_org_channel",
            ),
        ]
        indexes = [
            # A community's recent activity (and its activity per day).
            models.Index(fields=["community", "occurred_at", "id"], name="activity_community_time"),
            # A member's timeline.
            models.Index(fields=["member", "occurred_at", "id"], name="activity_member_time"),
            # The organisation's stream (the API without filters, activity per day).
            models.Index(fields=["organization", "occurred_at", "id"], name="activity_org_time"),
            # One kind's activities (purchases, a rule tag's custom activity or event kind):
            # the recompute's all-time counts read them without a scan of the whole history.
            models.Index(
                fields=["organization", "kind", "occurred_at"], name="activity_org_kind_time"
            ),
            # Joins and leaves only (a small part of the table): the membership effects of
            # ingestion and the members of a community on a past day (shequn.activity.history).
            models.Index(
                fields=["community", "member", "occurred_at"],
                name="activity_membership_history",
                condition=models.Q(kind__in=["join", "leave"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.external_id}"
