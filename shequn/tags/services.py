"""Writes of tags (docs/tags.md): tag groups, tags set by hand, rule tags, and tagging members.

Organisation admins manage groups, tags and rule tags; every operator tags and untags the
members they can see, with tags set by hand only (a rule tag's members are the rule's).
`Tag.member_count` is kept here (and by `shequn.tags.rules` for rule tags) with `F()`, never
read-modify-write. Every change an operator makes is audited.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from shequn.audit.models import AuditAction
from shequn.audit.services import record_audit, snapshot
from shequn.core.sqlsets import Members, execute
from shequn.core.text import clean_name
from shequn.members.models import Member
from shequn.tags.models import (
    GROUP_NAME_MAX_LENGTH,
    TAG_NAME_MAX_LENGTH,
    MemberTag,
    Tag,
    TagColour,
    TagGroup,
    TagSource,
)
from shequn.tags.rules import TagCounts, apply_rule_tags, clean_rule
from shequn.tags.selectors import can_manage_tags

if TYPE_CHECKING:
    from shequn.accounts.selectors import OperatorScope
    from shequn.segments.models import Segment

MAX_GROUPS = 100  # per organisation
MAX_TAGS = 1000  # per organisation: the tag list shows them all
MAX_POSITION = 10_000
DESCRIPTION_MAX_LENGTH = 200
BULK_MAX_MEMBERS = 500
GROUP_FIELDS = ("name", "colour", "position")
TAG_FIELDS = ("name", "group", "colour", "description")
RULE_FIELDS = ("rule_type", "rule")


class TagInUseError(ValidationError):
    """The tag is in the filters of segments: deleting it needs the operator's confirmation."""

    def __init__(self, segments: list[Segment]) -> None:
        names = "、".join(s.name for s in segments)
        super().__init__(
            _("This tag is used by the segments %(names)s.") % {"names": names}, code="tag_in_use"
        )
        self.segments = segments


def _require_admin(actor: OperatorScope) -> None:
    actor.require(can_manage_tags(actor))


def _name(value: str, *, max_length: int) -> str:
    name = clean_name(str(value or ""))
    if not name:
        raise ValidationError({"name": _("Enter a name.")}, code="name_required")
    if len(name) > max_length:
        raise ValidationError(
            {"name": _("At most %(max)s characters.") % {"max": max_length}},
            code="name_too_long",
        )
    return name


def _colour(value: str, *, blank: bool) -> str:
    value = str(value or "")
    if (blank and value == "") or value in TagColour.values:
        return value
    raise ValidationError({"colour": _("Choose a colour.")}, code="bad_colour")


def _duplicate(
    model: type[Tag] | type[TagGroup], *, org_id: int, name: str, pk: int | None
) -> None:
    qs = model.objects.filter(organization_id=org_id, name__iexact=name)
    if pk is not None:
        qs = qs.exclude(pk=pk)
    if qs.exists():
        message = (
            _("Another tag of this organisation has this name.")
            if model is Tag
            else _("Another tag group of this organisation has this name.")
        )
        raise ValidationError({"name": ValidationError(message, code="duplicate_name")})


def _save_unique(instance: Tag | TagGroup, **kwargs: Any) -> None:
    """Save; a concurrent save of the same name is the same duplicate-name error."""
    try:
        with transaction.atomic():
            instance.save(**kwargs)
    except IntegrityError as exc:
        _duplicate(
            type(instance), org_id=instance.organization_id, name=instance.name, pk=instance.pk
        )
        raise ValidationError({"name": _("This name is taken.")}, code="duplicate_name") from exc


def _position(value: Any) -> int:
    try:
        position = int(value)
    except (TypeError, ValueError) as exc:
        raise ValidationError({"position": _("Enter a whole number.")}) from exc
    if not 0 <= position <= MAX_POSITION:
        raise ValidationError(
            {
                "position": _("Enter a number from %(low)d to %(high)d.")
                % {"low": 0, "high": MAX_POSITION}
            }
        )
    return position


def _group(actor: OperatorScope, group: TagGroup | None) -> TagGroup | None:
    if group is not None and group.organization_id != actor.organization.pk:
        raise ValidationError({"group_id": _("Choose a tag group of yours.")}, code="bad_group")
    return group


def _audit(
    actor: OperatorScope | None, action: str, target: Any, changes: Any, **scope: Any
) -> None:
    record_audit(actor=actor, action=action, target=target, changes=changes, **scope)


# --- tag groups ---------------------------------------------------------------------------------


@transaction.atomic
def create_tag_group(
    *, actor: OperatorScope, name: str, colour: str = TagColour.BLUE, position: int = 0
) -> TagGroup:
    _require_admin(actor)
    org_id = actor.organization.pk
    group = TagGroup(
        organization_id=org_id,
        name=_name(name, max_length=GROUP_NAME_MAX_LENGTH),
        colour=_colour(colour, blank=False),
        position=_position(position),
    )
    _duplicate(TagGroup, org_id=org_id, name=group.name, pk=None)
    if TagGroup.objects.filter(organization_id=org_id).count() >= MAX_GROUPS:
        raise ValidationError(
            _("An organisation has at most %(max)s tag groups.") % {"max": MAX_GROUPS},
            code="too_many_groups",
        )
    _save_unique(group)
    _audit(actor, AuditAction.CREATE, group, snapshot(group, GROUP_FIELDS))
    return group


@transaction.atomic
def update_tag_group(*, actor: OperatorScope, group: TagGroup, data: Mapping[str, Any]) -> TagGroup:
    """Change the fields of `data` among name, colour and position."""
    _require_admin(actor)
    before = snapshot(group, GROUP_FIELDS)
    if "name" in data:
        group.name = _name(data["name"], max_length=GROUP_NAME_MAX_LENGTH)
        _duplicate(TagGroup, org_id=group.organization_id, name=group.name, pk=group.pk)
    if "colour" in data:
        group.colour = _colour(data["colour"], blank=False)
    if "position" in data:
        group.position = _position(data["position"])
    after = snapshot(group, GROUP_FIELDS)
    changes = {k: [before[k], after[k]] for k in GROUP_FIELDS if before[k] != after[k]}
    if changes:
        _save_unique(group, update_fields=[*changes, "updated_at"])
        _audit(actor, AuditAction.UPDATE, group, changes)
    return group


@transaction.atomic
def delete_tag_group(*, actor: OperatorScope, group: TagGroup) -> None:
    """Delete an empty group (its tags must be moved or deleted first)."""
    _require_admin(actor)
    if Tag.objects.filter(group_id=group.pk).exists():
        raise ValidationError(
            _("The group still has tags. Move them to another group or delete them first."),
            code="group_in_use",
        )
    _audit(actor, AuditAction.DELETE, group, snapshot(group, GROUP_FIELDS))
    group.delete()


# --- tags ---------------------------------------------------------------------------------------


def _new_tag(
    actor: OperatorScope, *, name: str, group: TagGroup | None, colour: str, description: str
) -> Tag:
    org_id = actor.organization.pk
    tag = Tag(
        organization_id=org_id,
        name=_name(name, max_length=TAG_NAME_MAX_LENGTH),
        group=_group(actor, group),
        colour=_colour(colour, blank=True),
        description=_description(description),
        created_by=actor.operator,
    )
    _duplicate(Tag, org_id=org_id, name=tag.name, pk=None)
    if Tag.objects.filter(organization_id=org_id).count() >= MAX_TAGS:
        raise ValidationError(
            _("An organisation has at most %(max)s tags.") % {"max": MAX_TAGS},
            code="too_many_tags",
        )
    return tag


def _description(value: str) -> str:
    text = str(value or "").strip()
    if len(text) > DESCRIPTION_MAX_LENGTH:
        raise ValidationError(
            {"description": _("At most %(max)s characters.") % {"max": DESCRIPTION_MAX_LENGTH}}
        )
    return text


@transaction.atomic
def create_tag(
    *,
    actor: OperatorScope,
    name: str,
    group: TagGroup | None = None,
    colour: str = "",
    description: str = "",
) -> Tag:
    """A tag operators set by hand."""
    _require_admin(actor)
    tag = _new_tag(actor, name=name, group=group, colour=colour, description=description)
    _save_unique(tag)
    _audit(actor, AuditAction.CREATE, tag, snapshot(tag, TAG_FIELDS))
    return tag


@transaction.atomic
def create_rule_tag(
    *,
    actor: OperatorScope,
    name: str,
    rule_type: str,
    params: Mapping[str, Any],
    group: TagGroup | None = None,
    colour: str = "",
    description: str = "",
) -> Tag:
    """A rule tag, switched off: preview it, then switch it on (`activate_rule_tag`)."""
    _require_admin(actor)
    tag = _new_tag(actor, name=name, group=group, colour=colour, description=description)
    tag.rule_type = rule_type
    tag.rule = clean_rule(actor.organization, rule_type, params)
    tag.is_active = False
    _save_unique(tag)
    _audit(actor, AuditAction.CREATE, tag, snapshot(tag, [*TAG_FIELDS, *RULE_FIELDS]))
    return tag


@transaction.atomic
def update_tag(*, actor: OperatorScope, tag: Tag, data: Mapping[str, Any]) -> Tag:
    """Change the fields of `data` among name, group, colour, description and, for a rule tag,
    rule_type and rule (its parameters, checked again). A switched-on rule tag whose rule
    changed is applied again to every member after the commit."""
    _require_admin(actor)
    tag = Tag.objects.select_for_update().select_related("organization").get(pk=tag.pk)
    fields = [*TAG_FIELDS, *RULE_FIELDS]
    before = snapshot(tag, fields)
    if "name" in data:
        tag.name = _name(data["name"], max_length=TAG_NAME_MAX_LENGTH)
        _duplicate(Tag, org_id=tag.organization_id, name=tag.name, pk=tag.pk)
    if "group" in data:
        tag.group = _group(actor, data["group"])
    if "colour" in data:
        tag.colour = _colour(data["colour"] or "", blank=True)
    if "description" in data:
        tag.description = _description(data["description"])
    if "rule_type" in data or "rule" in data:
        if not tag.is_rule:
            raise ValidationError(
                {"rule_type": _("A tag set by hand cannot become a rule tag.")},
                code="not_a_rule_tag",
            )
        rule_type = str(data.get("rule_type") or tag.rule_type)
        params = data["rule"] if data.get("rule") is not None else tag.rule
        if rule_type != tag.rule_type and data.get("rule") is None:
            params = {}
        tag.rule = clean_rule(tag.organization, rule_type, params)
        tag.rule_type = rule_type
    after = snapshot(tag, fields)
    changes = {k: [before[k], after[k]] for k in fields if before[k] != after[k]}
    if changes:
        _save_unique(tag, update_fields=[*changes, "updated_at"])
        _audit(actor, AuditAction.UPDATE, tag, changes)
        if tag.is_active and ("rule" in changes or "rule_type" in changes):
            apply_rule_tag_soon(tag.pk)
    return tag


@transaction.atomic
def delete_tag(*, actor: OperatorScope, tag: Tag, confirm: bool = False) -> int:
    """Delete the tag and its members' rows. A tag in the filters of segments is deleted only
    with `confirm` (TagInUseError names them otherwise), after it is taken out of those
    filters. Returns how many segments changed."""
    from shequn.segments.selectors import list_segments_using_tag

    _require_admin(actor)
    segments = list_segments_using_tag(tag=tag)
    changed = 0
    if segments:
        if not confirm:
            raise TagInUseError(segments)
        from shequn.segments.services import forget_tag

        changed = forget_tag(actor=actor, tag=tag)
    _audit(actor, AuditAction.DELETE, tag, snapshot(tag, [*TAG_FIELDS, *RULE_FIELDS]))
    tag.delete()
    return changed


# --- rule tags ----------------------------------------------------------------------------------


def _rule_tag(tag: Tag) -> None:
    if not tag.is_rule:
        raise ValidationError(
            _("This tag is set by hand; it has no rule to switch on or off."),
            code="not_a_rule_tag",
        )


def apply_rule_tag_soon(tag_id: int) -> None:
    """After the commit, apply the rule tag to every member (a job)."""
    from shequn.tags.tasks import apply_rule_tag

    transaction.on_commit(lambda: apply_rule_tag(tag_id))


@transaction.atomic
def activate_rule_tag(*, actor: OperatorScope, tag: Tag) -> Tag:
    """Switch the rule on: a job applies it to every member; the recompute keeps it current."""
    _require_admin(actor)
    _rule_tag(tag)
    tag = Tag.objects.select_for_update().get(pk=tag.pk)
    if tag.is_active:
        return tag
    tag.is_active = True
    tag.save(update_fields=["is_active", "updated_at"])
    _audit(actor, AuditAction.UPDATE, tag, {"is_active": [False, True]})
    apply_rule_tag_soon(tag.pk)
    return tag


@transaction.atomic
def deactivate_rule_tag(*, actor: OperatorScope, tag: Tag) -> Tag:
    """Switch the rule off: nobody has the tag any more (its rows are deleted)."""
    _require_admin(actor)
    _rule_tag(tag)
    tag = Tag.objects.select_for_update().get(pk=tag.pk)
    removed, _by_model = MemberTag.objects.filter(tag_id=tag.pk).delete()
    was_active = tag.is_active
    tag.is_active = False
    tag.member_count = 0
    tag.save(update_fields=["is_active", "member_count", "updated_at"])
    if was_active or removed:
        _audit(
            actor,
            AuditAction.UPDATE,
            tag,
            {"is_active": [was_active, False], "members_removed": removed},
        )
    return tag


def apply_rule_tag_to_everyone(*, tag_id: int) -> TagCounts | None:
    """The job of `activate_rule_tag`: apply the switched-on rule to every member now (under
    the tag's row lock, so a switch-off meanwhile waits and then removes what this added).
    None when the tag is gone or switched off."""
    with transaction.atomic():
        tag = (
            Tag.objects.select_for_update(of=("self",))
            .select_related("organization")
            .filter(pk=tag_id, is_active=True)
            .exclude(rule_type="")
            .first()
        )
        if tag is None:
            return None
        return apply_rule_tags(tag.organization, Members(), timezone.now(), [tag])


# --- tagging members by hand --------------------------------------------------------------------


def _manual_tag(actor: OperatorScope, tag: Tag) -> None:
    if tag.organization_id != actor.organization.pk:
        raise ValidationError({"tag_id": _("Choose a tag of yours.")}, code="bad_tag")
    if tag.is_rule:
        raise ValidationError(
            {"tag_id": _("“%(name)s” is a rule tag: its rule decides who has it.") % {"name": tag}},
            code="rule_tag",
        )


def _same_organization(actor: OperatorScope, member: Member) -> None:
    if member.organization_id != actor.organization.pk:
        raise ValidationError({"member": _("Choose a member of yours.")}, code="bad_member")


def _count(tag: Tag, delta: int) -> None:
    if delta:
        Tag.objects.filter(pk=tag.pk).update(
            member_count=Greatest(F("member_count") + delta, 0), updated_at=timezone.now()
        )


def _audit_member_tag(actor: OperatorScope, action: str, row: MemberTag, member: Member) -> None:
    _audit(
        actor,
        action,
        row,
        {"tag": row.tag.name, "member": member.pk},
        chapter_id=member.chapter_id,
    )


@transaction.atomic
def tag_member(*, actor: OperatorScope, tag: Tag, member: Member) -> bool:
    """Put a tag set by hand on a member the actor can see (fetched through
    `get_member_for_user`). True when added now, False when the member had it already."""
    _manual_tag(actor, tag)
    _same_organization(actor, member)
    if MemberTag.objects.filter(tag_id=tag.pk, member_id=member.pk).exists():
        return False
    row = MemberTag(
        tag=tag,
        member=member,
        organization_id=tag.organization_id,
        source=TagSource.MANUAL,
        added_at=timezone.now(),
        added_by=actor.operator,
    )
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:  # a concurrent tap added it
        return False
    _count(tag, 1)
    _audit_member_tag(actor, AuditAction.CREATE, row, member)
    return True


@transaction.atomic
def untag_member(*, actor: OperatorScope, tag: Tag, member: Member) -> bool:
    """Take a tag set by hand off a member. True when removed now, False when they had none."""
    _manual_tag(actor, tag)
    _same_organization(actor, member)
    row = MemberTag.objects.filter(tag_id=tag.pk, member_id=member.pk).select_related("tag").first()
    if row is None:
        return False
    deleted, _by_model = MemberTag.objects.filter(pk=row.pk).delete()
    if not deleted:  # a concurrent tap removed it
        return False
    _count(tag, -1)
    _audit_member_tag(actor, AuditAction.DELETE, row, member)
    return True


def _member_ids(raw: Sequence[Any]) -> list[int]:
    if not isinstance(raw, list | tuple) or not raw:
        raise ValidationError({"member_ids": _("Choose at least one member.")}, code="no_members")
    if len(raw) > BULK_MAX_MEMBERS:
        raise ValidationError(
            {"member_ids": _("At most %(max)s members at once.") % {"max": BULK_MAX_MEMBERS}},
            code="too_many_members",
        )
    ids: list[int] = []
    for value in raw:
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value < 2**63:
            raise ValidationError({"member_ids": _("Member ids are whole numbers.")})
        if value not in ids:
            ids.append(value)
    return ids


@transaction.atomic
def tag_members(*, actor: OperatorScope, tag: Tag, member_ids: Sequence[int]) -> TagCounts:
    """Put a tag set by hand on up to BULK_MAX_MEMBERS members at once, each one the actor
    can see (as `get_member_for_user`: in scope, not merged). An id out of scope changes
    nothing and names the ids. Returns how many were added (`removed` is 0)."""
    _manual_tag(actor, tag)
    ids = _member_ids(member_ids)
    members = {
        m.pk: m
        for m in Member.objects.filter(actor.member_filter(), merged_into__isnull=True, pk__in=ids)
    }
    missing = [i for i in ids if i not in members]
    if missing:
        shown = ", ".join(str(i) for i in missing[:20])
        raise ValidationError(
            {"member_ids": _("No such members in your scope: %(ids)s.") % {"ids": shown}},
            code="unknown_members",
        )
    have = set(
        MemberTag.objects.filter(tag_id=tag.pk, member_id__in=ids).values_list(
            "member_id", flat=True
        )
    )
    new = [i for i in ids if i not in have]
    if not new:
        return TagCounts()
    now = timezone.now()
    placeholders = ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(new))
    params: list[Any] = []
    for member_id in new:
        params += [tag.pk, member_id, tag.organization_id, TagSource.MANUAL, now, actor.operator.pk]
    added = execute(
        "INSERT INTO tags_membertag (tag_id, member_id, organization_id, source, added_at, "  # noqa: S608
        f"added_by_id) VALUES {placeholders} ON CONFLICT (tag_id, member_id) DO NOTHING",
        params,
    )
    _count(tag, added)
    for row in MemberTag.objects.filter(tag_id=tag.pk, member_id__in=new, added_at=now):
        row.tag = tag
        _audit_member_tag(actor, AuditAction.CREATE, row, members[row.member_id])
    return TagCounts(added=added)
