"""Writes of segments (docs/segments.md): create, update, delete, and forgetting a tag that is
about to be deleted. Each checks the actor and audits its change."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from shequn.audit.models import AuditAction
from shequn.audit.services import diff, record_audit, snapshot
from shequn.core.collation import sort_key_for
from shequn.core.text import clean_name
from shequn.organizations.models import Chapter
from shequn.segments.filters import SegmentFilters, clean_filters
from shequn.segments.models import SEGMENT_NAME_MAX_LENGTH, Segment
from shequn.segments.selectors import (
    TAG_FILTER_KEYS,
    can_use_segments,
    list_segments_using_tag,
)

if TYPE_CHECKING:
    from shequn.accounts.selectors import OperatorScope
    from shequn.tags.models import Tag

DESCRIPTION_MAX_LENGTH = 200
SEGMENT_FIELDS = ("name", "description", "chapter", "filters")


def can_manage_segment(actor: OperatorScope, segment: Segment) -> bool:
    """Organisation admins: every segment; chapter heads: those owned by their chapters."""
    if segment.organization_id != actor.organization.pk:
        return False
    return actor.is_org_admin or (actor.is_chapter_head and segment.chapter_id in actor.chapter_ids)


def _owner(actor: OperatorScope, chapter: Chapter | None) -> Chapter | None:
    """The chapter a segment is saved under: any (or none) for admins; one of their own for
    chapter heads, their only one when they name none."""
    if chapter is not None and chapter.organization_id != actor.organization.pk:
        raise ValidationError({"chapter": _("No such chapter.")}, code="unknown_chapter")
    if actor.is_org_admin:
        return chapter
    if chapter is None:
        if len(actor.chapter_ids) == 1:
            return Chapter.objects.get(pk=next(iter(actor.chapter_ids)))
        raise ValidationError(
            {"chapter": _("Choose the chapter the segment belongs to.")}, code="chapter_required"
        )
    if chapter.pk not in actor.chapter_ids:
        raise ValidationError(
            {"chapter": _("You can only save segments of your own chapter.")},
            code="not_your_chapter",
        )
    return chapter


def _name(value: Any) -> str:
    name = clean_name(value if isinstance(value, str) else "")
    if not name:
        raise ValidationError({"name": _("Give the segment a name.")}, code="name_required")
    if len(name) > SEGMENT_NAME_MAX_LENGTH:
        raise ValidationError(
            {"name": _("At most %(max)s characters.") % {"max": SEGMENT_NAME_MAX_LENGTH}},
            code="name_too_long",
        )
    return name


def _description(value: Any) -> str:
    text = (value if isinstance(value, str) else "").strip()
    if len(text) > DESCRIPTION_MAX_LENGTH:
        raise ValidationError(
            {"description": _("At most %(max)s characters.") % {"max": DESCRIPTION_MAX_LENGTH}},
            code="description_too_long",
        )
    return text


def _filters(actor: OperatorScope, value: Any) -> dict[str, Any]:
    filters = value if isinstance(value, SegmentFilters) else clean_filters(actor=actor, data=value)
    return filters.to_json()


def _duplicate_name() -> ValidationError:
    return ValidationError(
        {"name": _("Another segment of the organisation has this name.")}, code="duplicate_name"
    )


def _save(segment: Segment, **kwargs: Any) -> None:
    """Save; a name taken meanwhile (the unique constraint) is a field error, not a 500."""
    taken = Segment.objects.filter(organization_id=segment.organization_id, name=segment.name)
    if segment.pk is not None:
        taken = taken.exclude(pk=segment.pk)
    if taken.exists():
        raise _duplicate_name()
    try:
        with transaction.atomic():
            segment.save(**kwargs)
    except IntegrityError as exc:
        raise _duplicate_name() from exc


@transaction.atomic
def create_segment(
    *,
    actor: OperatorScope,
    name: str,
    filters: SegmentFilters | Mapping[str, Any] | None = None,
    description: str = "",
    chapter: Chapter | None = None,
) -> Segment:
    """A new segment; `filters` is checked against the actor (clean_filters)."""
    actor.require(can_use_segments(actor))
    segment = Segment(
        organization=actor.organization,
        chapter=_owner(actor, chapter),
        name=_name(name),
        description=_description(description),
        filters=_filters(actor, filters or {}),
        created_by=actor.operator,
    )
    segment.sort_key = sort_key_for(segment.name)
    _save(segment)
    record_audit(
        actor=actor,
        action=AuditAction.CREATE,
        target=segment,
        changes=snapshot(segment, SEGMENT_FIELDS),
        chapter_id=segment.chapter_id,
    )
    return segment


@transaction.atomic
def update_segment(*, actor: OperatorScope, segment: Segment, data: Mapping[str, Any]) -> Segment:
    """Change the fields in `data` (name, description, chapter, filters)."""
    actor.require(can_manage_segment(actor, segment))
    segment = Segment.objects.select_for_update().get(pk=segment.pk)
    before = snapshot(segment, SEGMENT_FIELDS)
    if "name" in data:
        segment.name = _name(data["name"])
        segment.sort_key = sort_key_for(segment.name)
    if "description" in data:
        segment.description = _description(data["description"])
    if "chapter" in data:
        segment.chapter = _owner(actor, data["chapter"])
    if "filters" in data:
        segment.filters = _filters(actor, data["filters"])
    changes = diff(before, snapshot(segment, SEGMENT_FIELDS))
    if not changes:
        return segment
    _save(segment, update_fields=[*SEGMENT_FIELDS, "sort_key", "updated_at"])
    record_audit(
        actor=actor,
        action=AuditAction.UPDATE,
        target=segment,
        changes=changes,
        chapter_id=segment.chapter_id,
    )
    return segment


@transaction.atomic
def delete_segment(*, actor: OperatorScope, segment: Segment) -> None:
    actor.require(can_manage_segment(actor, segment))
    record_audit(
        actor=actor,
        action=AuditAction.DELETE,
        target=segment,
        changes=snapshot(segment, SEGMENT_FIELDS),
        chapter_id=segment.chapter_id,
    )
    segment.delete()


@transaction.atomic
def forget_tag(*, actor: OperatorScope | None, tag: Tag) -> int:
    """Remove `tag` from the filters of every segment of its organisation, whoever owns them
    (call it before the tag is deleted); returns how many segments changed. Each change is
    audited, in the segment's chapter."""
    changed = 0
    for found in list_segments_using_tag(tag=tag):
        segment = Segment.objects.select_for_update().get(pk=found.pk)
        stored = dict(segment.filters) if isinstance(segment.filters, dict) else {}
        kept = dict(stored)
        for key in TAG_FILTER_KEYS:
            if isinstance(stored.get(key), list):
                ids = [t for t in stored[key] if t != tag.pk]
                if ids:
                    kept[key] = ids
                else:
                    kept.pop(key)
        if kept == stored:
            continue
        before = snapshot(segment, ("filters",))
        segment.filters = kept
        segment.save(update_fields=["filters", "updated_at"])
        record_audit(
            actor=actor,
            action=AuditAction.UPDATE,
            target=segment,
            changes=diff(before, snapshot(segment, ("filters",))),
            chapter_id=segment.chapter_id,
            organization_id=segment.organization_id,
        )
        changed += 1
    return changed
