"""Reads of tags (docs/tags.md): groups, tags, a tag's members and a member's tags.

Every operator of the organisation sees its tag groups and tags; a tag's members are only
those in the viewer's scope. Counts come from the maintained `Tag.member_count`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from shequn.ladder.models import Stage
from shequn.layers.models import Layer
from shequn.members.models import Member
from shequn.tags.models import MemberTag, RuleType, Tag, TagGroup, TagSource
from shequn.tags.rules import MATCH_REGEX, Preview, clean_rule, preview_rule

if TYPE_CHECKING:
    from shequn.accounts.selectors import OperatorScope

# A tag's member list by name: a tag with at most this many members reads their ids (one
# bounded query) and sorts them; a larger one walks the members' name index.
NAME_ORDER_ID_LIMIT = 2000
TAG_MEMBER_ORDERS = ("newest", "name")
# A member page shows at most this many of the member's tags.
MEMBER_TAGS_SHOWN = 200
PREVIEW_EXAMPLES = 10


def can_manage_tags(actor: OperatorScope) -> bool:
    """Tag groups, tags and rule tags: organisation admins only."""
    return actor.is_org_admin


def list_tag_groups(*, actor: OperatorScope) -> QuerySet[TagGroup]:
    return TagGroup.objects.filter(organization_id=actor.organization.pk).order_by("position", "id")


def get_tag_group_for_user(*, actor: OperatorScope, group_id: int) -> TagGroup:
    group = list_tag_groups(actor=actor).filter(pk=group_id).first()
    if group is None:
        raise Http404(_("No such tag group."))
    return group


def list_tags(
    *, actor: OperatorScope, group_id: int | None = None, rule: bool | None = None
) -> QuerySet[Tag]:
    """The organisation's tags by group (position), then name."""
    tags = Tag.objects.filter(organization_id=actor.organization.pk).select_related("group")
    if group_id is not None:
        tags = tags.filter(group_id=group_id)
    if rule is True:
        tags = tags.exclude(rule_type="")
    elif rule is False:
        tags = tags.filter(rule_type="")
    return tags.order_by(
        F("group__position").asc(nulls_last=True), F("group_id").asc(nulls_last=True), "name", "id"
    )


def get_tag_for_user(*, actor: OperatorScope, tag_id: int) -> Tag:
    tag = (
        Tag.objects.filter(organization_id=actor.organization.pk, pk=tag_id)
        .select_related("group", "organization")
        .first()
    )
    if tag is None:
        raise Http404(_("No such tag."))
    return tag


def _in_scope(actor: OperatorScope) -> Q:
    """A filter on MemberTag: its member is one the actor may see (not merged away)."""
    visible = Member.objects.filter(
        actor.member_filter(), pk=OuterRef("member_id"), merged_into__isnull=True
    )
    return Q(Exists(visible))


def list_tag_members(*, actor: OperatorScope, tag: Tag, order: str = "newest") -> QuerySet[Any]:
    """The tag's members in the actor's scope, for one page at a time.

    `newest`: MemberTag rows (with `member`), from the (tag, added_at, id) index. `name`: Member
    rows annotated with `tag_added_at` and `tag_source`, in the members' name order.
    """
    if order != "name":
        return (
            MemberTag.objects.filter(_in_scope(actor), tag_id=tag.pk)
            .select_related("member", "member__chapter")
            .order_by("-added_at", "-id")
        )
    rows = MemberTag.objects.filter(tag_id=tag.pk, member_id=OuterRef("pk"))
    members = Member.objects.filter(actor.member_filter(), merged_into__isnull=True)
    ids: list[int] | None = None
    if tag.member_count <= NAME_ORDER_ID_LIMIT:
        ids = list(
            MemberTag.objects.filter(tag_id=tag.pk)
            .order_by()
            .values_list("member_id", flat=True)[: NAME_ORDER_ID_LIMIT + 1]
        )
    if ids is not None and len(ids) <= NAME_ORDER_ID_LIMIT:
        members = members.filter(pk__in=ids)
    else:
        members = members.filter(Exists(rows))
    return (
        members.select_related("chapter")
        .annotate(
            tag_added_at=Subquery(rows.values("added_at")[:1]),
            tag_source=Subquery(rows.values("source")[:1]),
        )
        .order_by("sort_key", "id")
    )


@dataclass(frozen=True)
class TagMemberRow:
    member: Member
    added_at: datetime
    source: str

    @property
    def by_rule(self) -> bool:
        return self.source == TagSource.RULE


def tag_member_rows(rows: Any) -> list[TagMemberRow]:
    """The rows of a page of `list_tag_members`, in one shape whatever the order."""
    out: list[TagMemberRow] = []
    for row in rows:
        if isinstance(row, MemberTag):
            out.append(TagMemberRow(member=row.member, added_at=row.added_at, source=row.source))
        else:
            out.append(TagMemberRow(member=row, added_at=row.tag_added_at, source=row.tag_source))
    return out


def list_member_tags(*, member: Member) -> list[MemberTag]:
    """A member's tags (with `tag` and its group), by group and name; at most
    MEMBER_TAGS_SHOWN."""
    return list(
        MemberTag.objects.filter(member_id=member.pk)
        .select_related("tag", "tag__group")
        .order_by(
            F("tag__group__position").asc(nulls_last=True),
            F("tag__group_id").asc(nulls_last=True),
            "tag__name",
            "tag_id",
        )[:MEMBER_TAGS_SHOWN]
    )


def list_manual_tags(*, actor: OperatorScope) -> QuerySet[Tag]:
    """The tags an operator may put on a member by hand."""
    return list_tags(actor=actor, rule=False)


def get_member_tag(*, tag: Tag, member: Member) -> MemberTag | None:
    return MemberTag.objects.filter(tag_id=tag.pk, member_id=member.pk).first()


def preview_tag_rule(*, actor: OperatorScope, rule_type: str, params: Mapping[str, Any]) -> Preview:
    """How many members in the actor's scope a rule (checked by `clean_rule`: ValidationError
    by field) would tag now, and up to PREVIEW_EXAMPLES of them. Admins only."""
    actor.require(can_manage_tags(actor))
    rule = clean_rule(actor.organization, rule_type, params)
    return preview_rule(
        actor.organization,
        rule_type,
        rule,
        timezone.now(),
        examples=PREVIEW_EXAMPLES,
        member_filter=actor.member_filter(),
    )


def describe_rule(tag: Tag) -> list[tuple[str, str]]:
    """The rule of a rule tag as (label, value) lines, in the reader's language."""
    rule = tag.rule or {}
    lines: list[tuple[str, str]] = [(_("Rule"), str(RuleType(tag.rule_type).label))]
    if tag.rule_type == RuleType.KEYWORD:
        regex = rule.get("match") == MATCH_REGEX
        lines.append(
            (_("Regular expression") if regex else _("Keywords"), "、".join(rule["keywords"]))
        )
        lines.append((_("Match"), _("Regular expression") if regex else _("Whole words")))
    elif tag.rule_type == RuleType.EVENT_KIND:
        lines.append((_("Event kind"), rule["event_kind"]))
    elif tag.rule_type == RuleType.ACTIVITY_KIND:
        lines.append((_("Custom activity"), rule["activity_kind"]))
    elif tag.rule_type == RuleType.STAGE:
        lines.append((_("Stages"), "、".join(str(Stage(s).label) for s in rule["stages"])))
    elif tag.rule_type == RuleType.LAYER:
        lines.append((_("Layer"), str(Layer(rule["layer"]).label)))
        name = _("Any community")
        if rule.get("community_id"):
            from shequn.organizations.models import Community

            found = Community.objects.filter(pk=rule["community_id"]).values_list("name", flat=True)
            name = found.first() or "—"
        lines.append((_("Community"), str(name)))
    elif tag.rule_type == RuleType.INVITE_LINK:
        from shequn.invitations.models import InviteLink

        link = (
            InviteLink.objects.filter(pk=rule["invite_link_id"]).select_related("community").first()
        )
        label = f"{link.purpose or link.code} · {link.community.name}" if link else "—"
        lines.append((_("Invite link"), label))
    if "min_count" in rule and tag.rule_type in (RuleType.KEYWORD, RuleType.ACTIVITY_KIND):
        lines.append((_("At least (times)"), str(rule.get("min_count") or 1)))
    if "window_days" in rule:
        days = rule.get("window_days")
        lines.append(
            (
                _("In the last (days)"),
                str(days) if days else _("At any time"),
            )
        )
    return lines
