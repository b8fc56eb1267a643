"""Tags (标签) of members: set by hand, in groups with colours, or applied by a rule.

A rule tag (`Tag.rule_type` set) is applied by `shequn.tags.rules` from facts: a keyword in the
member's messages (whole words, by jieba's segmentation), an attended event kind, a stage of
the ladder, a layer, the invite link they joined by, a custom activity kind. A rule tag is
previewed before it is switched on (`is_active`); while off it tags nobody.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from shequn.accounts.models import Operator
from shequn.core.models import TimeStampedModel
from shequn.members.models import Member
from shequn.organizations.models import Organization

TAG_NAME_MAX_LENGTH = 40
GROUP_NAME_MAX_LENGTH = 40


class TagColour(models.TextChoices):
    GREY = "grey", _("Grey")
    RED = "red", _("Red")
    ORANGE = "orange", _("Orange")
    YELLOW = "yellow", _("Yellow")
    GREEN = "green", _("Green")
    TEAL = "teal", _("Teal")
    BLUE = "blue", _("Blue")
    PURPLE = "purple", _("Purple")


class TagGroup(TimeStampedModel):
    """A group of tags: expertise, industry, interest, city, …"""

    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="tag_groups",
        verbose_name=_("organisation"),
    )
    name = models.CharField(_("name"), max_length=GROUP_NAME_MAX_LENGTH)
    colour = models.CharField(
        _("colour"), max_length=10, choices=TagColour.choices, default=TagColour.BLUE
    )
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("tag group")
        verbose_name_plural = _("tag groups")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="tag_group_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class RuleType(models.TextChoices):
    KEYWORD = "keyword", _("A keyword in messages")
    EVENT_KIND = "event_kind", _("Attended an event kind")
    STAGE = "stage", _("Stage on the ladder")
    LAYER = "layer", _("Activity layer")
    INVITE_LINK = "invite_link", _("Joined through an invite link")
    ACTIVITY_KIND = "activity_kind", _("A custom activity kind")


class Tag(TimeStampedModel):
    """A tag; with a `rule_type`, a rule tag whose members the rule decides."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="tags", verbose_name=_("organisation")
    )
    group = models.ForeignKey(
        TagGroup,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tags",
        verbose_name=_("group"),
    )
    name = models.CharField(_("name"), max_length=TAG_NAME_MAX_LENGTH)
    colour = models.CharField(
        _("colour"), max_length=10, choices=TagColour.choices, blank=True
    )  # empty: the group's
    description = models.CharField(_("description"), max_length=200, blank=True)
    # Empty for a manual tag.
    rule_type = models.CharField(_("rule"), max_length=20, choices=RuleType.choices, blank=True)
    # The rule's parameters (docs/tags.md): {"keywords": [...], "min_count": 1, "window_days": 90},
    # {"event_kind": "salon"}, {"stages": [3, 4]}, {"layer": "core", "community_id": null},
    # {"invite_link_id": 12}, {"activity_kind": "lesson_done", "min_count": 1, "window_days": null}.
    rule = models.JSONField(_("rule parameters"), default=dict, blank=True)
    is_active = models.BooleanField(_("switched on"), default=False)
    member_count = models.PositiveIntegerField(_("members"), default=0, editable=False)
    created_by = models.ForeignKey(
        Operator,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["group__position", "group_id", "name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="tag_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_rule(self) -> bool:
        return bool(self.rule_type)

    @property
    def shown_colour(self) -> str:
        """The tag's colour, else its group's, else grey (read `group` with select_related)."""
        if self.colour:
            return self.colour
        return self.group.colour if self.group_id and self.group else TagColour.GREY


class TagSource(models.TextChoices):
    MANUAL = "manual", _("By hand")
    RULE = "rule", _("By rule")


class MemberTag(models.Model):
    """A tag on a member."""

    id = models.BigAutoField(primary_key=True)
    tag = models.ForeignKey(
        Tag,
        on_delete=models.CASCADE,
        related_name="member_tags",
        db_index=False,  # leads the unique constraint
        verbose_name=_("tag"),
    )
    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="member_tags", verbose_name=_("member")
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("organisation")
    )
    source = models.CharField(_("source"), max_length=10, choices=TagSource.choices)
    added_at = models.DateTimeField(_("added at"))
    added_by = models.ForeignKey(
        Operator,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("added by"),
    )

    class Meta:
        verbose_name = _("member tag")
        verbose_name_plural = _("member tags")
        constraints = [
            models.UniqueConstraint(fields=["tag", "member"], name="member_tag_once"),
        ]
        # A tag's member list, newest first (docs/tags.md); by name it walks the members'
        # (organization, sort_key, id) index and probes the unique key above.
        indexes = [models.Index(fields=["tag", "-added_at", "-id"], name="member_tag_newest")]

    def __str__(self) -> str:
        return f"{self.member_id}: {self.tag_id}"


# The keyword rules' findings (a module of their own, read by shequn.tags.keywords).
from shequn.tags.keyword_models import KeywordHit, KeywordScan  # noqa: E402, F401
