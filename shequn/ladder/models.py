"""The relationship ladder (seed 002): where each member stands with the organisation.

不知道你 → 想知道你 → 认识你 → 了解你 → 熟悉你 → 买了你 → 又买了你. A member's stage is computed
from facts (docs/ladder.md) by `shequn.ladder.compute`, under the organisation's `LadderRules`;
an operator may pin a stage by hand. Every change of the stage shown is a `StageTransition`.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shequn.accounts.models import Operator
from shequn.members.models import Member
from shequn.organizations.models import Organization

PIN_REASON_MAX_LENGTH = 500


class Stage(models.IntegerChoices):
    UNAWARE = 0, pgettext_lazy("ladder stage", "Unaware")
    CURIOUS = 1, pgettext_lazy("ladder stage", "Curious")
    ACQUAINTED = 2, pgettext_lazy("ladder stage", "Acquainted")
    UNDERSTANDS = 3, pgettext_lazy("ladder stage", "Understands")
    FAMILIAR = 4, pgettext_lazy("ladder stage", "Familiar")
    BOUGHT = 5, pgettext_lazy("ladder stage", "Bought")
    BOUGHT_AGAIN = 6, pgettext_lazy("ladder stage", "Bought again")


class LadderRules(models.Model):
    """An organisation's tuning of the ladder; the defaults are documented in docs/ladder.md.

    A stage holds when its facts hold; a member stands on the highest stage that holds.
    """

    organization = models.OneToOneField(
        Organization,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="ladder_rules",
        verbose_name=_("organisation"),
    )
    # 了解你: took part repeatedly — this many engagement activities in the window.
    understands_min_activities = models.PositiveIntegerField(
        _("activities for “understands”"), default=5
    )
    understands_window_days = models.PositiveIntegerField(_("window (days)"), default=30)
    # 熟悉你: a long-standing active member — a member this long, and this active in the window.
    familiar_min_member_days = models.PositiveIntegerField(
        _("member for at least (days)"), default=90
    )
    familiar_min_activities = models.PositiveIntegerField(
        _("activities for “familiar”"), default=20
    )
    familiar_window_days = models.PositiveIntegerField(_("window (days)"), default=90)
    # 买了你 / 又买了你: purchases (paid orders, renewals and purchase activities).
    bought_min_purchases = models.PositiveIntegerField(_("purchases for “bought”"), default=1)
    bought_again_min_purchases = models.PositiveIntegerField(
        _("purchases for “bought again”"), default=2
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("ladder rules")
        verbose_name_plural = _("ladder rules")

    def __str__(self) -> str:
        return str(self.organization)


class MemberStage(models.Model):
    """A member's place on the ladder: the computed stage, and the one shown (a pin wins)."""

    # Derived from other tables: an identity merge leaves it, the recompute rebuilds it.
    merge_derived = True

    member = models.OneToOneField(
        Member,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="ladder_stage",
        verbose_name=_("member"),
    )
    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # leads the indexes below
        verbose_name=_("organisation"),
    )
    stage = models.SmallIntegerField(_("stage"), choices=Stage.choices, default=Stage.UNAWARE)
    computed_stage = models.SmallIntegerField(
        _("computed stage"), choices=Stage.choices, default=Stage.UNAWARE
    )
    since = models.DateTimeField(_("since"))
    pinned = models.BooleanField(_("pinned by hand"), default=False)
    pin_reason = models.CharField(_("reason"), max_length=PIN_REASON_MAX_LENGTH, blank=True)
    pinned_by = models.ForeignKey(
        Operator,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("pinned by"),
    )
    pinned_at = models.DateTimeField(_("pinned at"), null=True, blank=True)
    # Facts of the last computation that change only with new activity (read by segments and
    # the profile; a fact that slides with the clock is not kept, so a recompute writes little).
    purchase_count = models.PositiveIntegerField(_("purchases"), default=0)
    last_active_at = models.DateTimeField(_("last active"), null=True, blank=True)
    first_joined_at = models.DateTimeField(_("first joined"), null=True, blank=True)

    class Meta:
        verbose_name = _("member stage")
        verbose_name_plural = _("member stages")
        indexes = [
            models.Index(fields=["organization", "stage"], name="member_stage_org_stage"),
            models.Index(
                fields=["organization", "last_active_at"], name="member_stage_last_active"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_id}: {self.get_stage_display()}"


class TransitionCause(models.TextChoices):
    RULES = "rules", _("Computed from the rules")
    PIN = "pin", _("Pinned by an operator")
    UNPIN = "unpin", _("Pin removed")
    MERGE = "merge", _("Identity merge")


class StageTransition(models.Model):
    """One change of the stage shown: from, to, when and why. Never edited."""

    id = models.BigAutoField(primary_key=True)
    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # leads the indexes below
        verbose_name=_("organisation"),
    )
    member = models.ForeignKey(
        Member,
        on_delete=models.CASCADE,
        related_name="stage_transitions",
        db_index=False,  # leads an index below
        verbose_name=_("member"),
    )
    # Empty for a member's first placement on the ladder.
    from_stage = models.SmallIntegerField(_("from"), choices=Stage.choices, null=True, blank=True)
    to_stage = models.SmallIntegerField(_("to"), choices=Stage.choices)
    occurred_at = models.DateTimeField(_("at"))
    cause = models.CharField(_("cause"), max_length=10, choices=TransitionCause.choices)
    # The facts it was computed from (cause "rules"): engagement activities in the windows of
    # "understands" and "familiar", and purchases; shown in the viewer's language.
    engagement_count = models.PositiveIntegerField(_("activities in the window"), default=0)
    long_engagement_count = models.PositiveIntegerField(
        _("activities in the long window"), default=0
    )
    purchase_count = models.PositiveIntegerField(_("purchases"), default=0)
    # The operator's reason (a pin or its removal).
    reason = models.CharField(_("reason"), max_length=PIN_REASON_MAX_LENGTH, blank=True)
    actor = models.ForeignKey(
        Operator,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("operator"),
    )

    class Meta:
        verbose_name = _("stage change")
        verbose_name_plural = _("stage changes")
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(
                fields=["organization", "occurred_at", "id"], name="stage_change_org_time"
            ),
            models.Index(
                fields=["organization", "from_stage", "to_stage", "occurred_at"],
                name="stage_change_movement",
            ),
            models.Index(fields=["member", "occurred_at", "id"], name="stage_change_member"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id}: {self.from_stage} → {self.to_stage}"


class StageCount(models.Model):
    """How many members stand on each stage, per organisation, chapter and community: kept by
    every recompute and pin (shequn.ladder.rollups), read by the funnel pages at any size.

    A chapter's or community's count is of the members with an active membership there (a
    chapter: in any of its communities, each member once)."""

    class Scope(models.TextChoices):
        ORGANIZATION = "org", _("Organisation")
        CHAPTER = "chapter", _("Chapter")
        COMMUNITY = "community", _("Community")

    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # leads the unique constraint
        verbose_name=_("organisation"),
    )
    scope = models.CharField(_("scope"), max_length=10, choices=Scope.choices)
    scope_id = models.BigIntegerField(_("chapter or community"), default=0)
    stage = models.SmallIntegerField(_("stage"), choices=Stage.choices)
    members = models.PositiveIntegerField(_("members"), default=0)
    counted_at = models.DateTimeField(_("counted at"))

    class Meta:
        verbose_name = _("stage count")
        verbose_name_plural = _("stage counts")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "scope", "scope_id", "stage"], name="stage_count_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scope}:{self.scope_id} {self.stage}={self.members}"
