"""The filters of a segment (分群): what they are, how they are read and checked (docs/segments.md).

`SegmentFilters` is the typed form of `Segment.filters`. Two steps read one:
- `parse_filters(data)` checks the shape: known keys, known stages / layers / roles / channels /
  activity kinds, numbers in range, dates that exist and ranges that do not run backwards,
  at most MAX_IDS ids per list. Bad input raises a ValidationError keyed by the filter
  ("stages", "activity.min_count", …), each message translated.
- `clean_filters(actor=…, data=…)` parses and then checks every id against the actor: tags of
  the organisation, chapters and communities in the actor's scope.

Stored filters are read back with `load_filters`, which keeps what still parses and drops the
rest (a segment saved before a change of the rules still opens).
"""

from __future__ import annotations

import contextlib
import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from shequn.activity.models import ActivityKind
from shequn.ladder.models import Stage
from shequn.layers.models import Layer
from shequn.members.models import Channel, MembershipRole

if TYPE_CHECKING:
    from shequn.accounts.selectors import OperatorScope

# The most ids (tags, chapters, communities) one list of a filter may name.
MAX_IDS = 50
MAX_ID = 2**63 - 1
MIN_COUNT_MAX = 1000
WINDOW_DAYS_MAX = 365
DEFAULT_WINDOW_DAYS = 30
# Dates of the date filters: the platform's records start long after the first and end long
# before the last.
MIN_DATE = datetime.date(2000, 1, 1)
MAX_DATE = datetime.date(2099, 12, 31)
# Activities that are not engagement (membership bookkeeping): left out when no kind is chosen.
NOT_ENGAGEMENT = (ActivityKind.JOIN.value, ActivityKind.LEAVE.value)
ENGAGEMENT_KINDS = tuple(k for k in ActivityKind.values if k not in NOT_ENGAGEMENT)

ID_LISTS = ("tags_all", "tags_any", "tags_none", "chapter_ids", "community_ids")
TAG_LISTS = ("tags_all", "tags_any", "tags_none")
DATE_FIELDS = ("joined_from", "joined_to", "last_active_from", "last_active_to")
KEYS = frozenset(
    {
        "stages",
        "layers",
        "layer_community_id",
        *ID_LISTS,
        "roles",
        *DATE_FIELDS,
        "activity",
        "channels",
    }
)
ACTIVITY_KEYS = frozenset({"kinds", "min_count", "window_days"})


@dataclass(frozen=True)
class ActivityFilter:
    """At least `min_count` activities of `kinds` (empty: every engagement kind) in the last
    `window_days` calendar days, today included."""

    min_count: int = 1
    window_days: int = DEFAULT_WINDOW_DAYS
    kinds: tuple[str, ...] = ()

    @property
    def counted_kinds(self) -> tuple[str, ...]:
        return self.kinds or ENGAGEMENT_KINDS

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"min_count": self.min_count, "window_days": self.window_days}
        if self.kinds:
            data["kinds"] = list(self.kinds)
        return data


@dataclass(frozen=True)
class SegmentFilters:
    """Every filter of a segment; all of them hold at once (AND); empty: every member in scope.

    Lists are sorted and without repeats, so equal filters have equal JSON.
    """

    stages: tuple[int, ...] = ()
    layers: tuple[str, ...] = ()
    layer_community_id: int | None = None
    tags_all: tuple[int, ...] = ()
    tags_any: tuple[int, ...] = ()
    tags_none: tuple[int, ...] = ()
    chapter_ids: tuple[int, ...] = ()
    community_ids: tuple[int, ...] = ()
    roles: tuple[str, ...] = ()
    joined_from: datetime.date | None = None
    joined_to: datetime.date | None = None
    last_active_from: datetime.date | None = None
    last_active_to: datetime.date | None = None
    activity: ActivityFilter | None = None
    channels: tuple[str, ...] = field(default=())

    @property
    def is_empty(self) -> bool:
        return not self.to_json()

    @property
    def tag_ids(self) -> set[int]:
        return {*self.tags_all, *self.tags_any, *self.tags_none}

    @property
    def has_membership_filter(self) -> bool:
        return bool(self.community_ids or self.roles or self.joined_from or self.joined_to)

    def to_json(self) -> dict[str, Any]:
        """The stored form: only the filters that are set."""
        data: dict[str, Any] = {}
        for name in ("stages", "layers", *ID_LISTS, "roles", "channels"):
            value = getattr(self, name)
            if value:
                data[name] = list(value)
        if self.layer_community_id is not None:
            data["layer_community_id"] = self.layer_community_id
        for name in DATE_FIELDS:
            value = getattr(self, name)
            if value is not None:
                data[name] = value.isoformat()
        if self.activity is not None:
            data["activity"] = self.activity.to_json()
        return data

    def without_tag(self, tag_id: int) -> SegmentFilters:
        return replace(
            self,
            tags_all=tuple(t for t in self.tags_all if t != tag_id),
            tags_any=tuple(t for t in self.tags_any if t != tag_id),
            tags_none=tuple(t for t in self.tags_none if t != tag_id),
        )


class _Errors:
    """Collects one message list per filter, raised together."""

    def __init__(self) -> None:
        self.errors: dict[str, list[ValidationError]] = {}

    def add(self, key: str, message: str, code: str = "invalid") -> None:
        self.errors.setdefault(key, []).append(ValidationError(message, code=code))

    def raise_any(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)


def _is_blank(value: Any) -> bool:
    return value is None or value == "" or value == []


def _as_list(value: Any, key: str, errors: _Errors) -> list[Any] | None:
    if _is_blank(value):
        return []
    if isinstance(value, str | int) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, list | tuple):
        errors.add(key, _("Send a list of values."))
        return None
    if len(value) > MAX_IDS:
        errors.add(
            key,
            ngettext("Choose at most %(max)s value.", "Choose at most %(max)s values.", MAX_IDS)
            % {"max": MAX_IDS},
            code="too_many",
        )
        return None
    return list(value)


def _int(value: Any) -> int | None:
    """An integer from JSON (an int) or a form (its digits); None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdecimal() and len(value.strip()) <= 19:
        return int(value.strip())
    return None


def _ids(value: Any, key: str, errors: _Errors) -> tuple[int, ...]:
    items = _as_list(value, key, errors)
    if items is None:
        return ()
    ids = [_int(v) for v in items]
    if any(i is None or not 1 <= i <= MAX_ID for i in ids):
        errors.add(key, _("Ids are whole numbers from 1."))
        return ()
    return tuple(sorted({i for i in ids if i is not None}))


def _choices(
    value: Any, key: str, allowed: Iterable[str], errors: _Errors, unknown: str
) -> tuple[str, ...]:
    items = _as_list(value, key, errors)
    if items is None:
        return ()
    allowed_set = set(allowed)
    bad = [str(v) for v in items if not isinstance(v, str) or v not in allowed_set]
    if bad:
        errors.add(key, unknown % {"values": ", ".join(bad[:5])}, code="unknown")
        return ()
    order = list(allowed)
    return tuple(sorted(set(items), key=order.index))


def _stages(value: Any, errors: _Errors) -> tuple[int, ...]:
    items = _as_list(value, "stages", errors)
    if items is None:
        return ()
    stages = [_int(v) for v in items]
    if any(s is None or s not in Stage.values for s in stages):
        bad = [str(v) for v, s in zip(items, stages, strict=True) if s not in Stage.values]
        errors.add(
            "stages",
            _("Unknown stage: %(values)s. Stages are 0 to 6.") % {"values": ", ".join(bad[:5])},
            code="unknown",
        )
        return ()
    return tuple(sorted({s for s in stages if s is not None}))


def _date(value: Any, key: str, errors: _Errors) -> datetime.date | None:
    if _is_blank(value):
        return None
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, str) and len(value) <= 10:
        with contextlib.suppress(ValueError):
            value = datetime.date.fromisoformat(value)
    if not isinstance(value, datetime.date):
        errors.add(key, _("Enter a valid date (YYYY-MM-DD)."))
        return None
    if not MIN_DATE <= value <= MAX_DATE:
        errors.add(
            key,
            _("Enter a date between %(min)s and %(max)s.")
            % {"min": MIN_DATE.isoformat(), "max": MAX_DATE.isoformat()},
        )
        return None
    return value


def _range(
    start: datetime.date | None, end: datetime.date | None, key: str, errors: _Errors
) -> None:
    if start is not None and end is not None and start > end:
        errors.add(key, _("The end date is before the start date."), code="backwards")


def _number(value: Any, key: str, low: int, high: int, errors: _Errors) -> int | None:
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str):
        text = value.strip()
        digits = text[1:] if text.startswith("-") else text
        if digits.isdecimal() and len(digits) <= 19:
            number = -int(digits) if text.startswith("-") else int(digits)
    if number is None:
        errors.add(key, _("Enter a whole number."))
        return None
    if not low <= number <= high:
        errors.add(
            key,
            _("Enter a number from %(low)s to %(high)s.") % {"low": low, "high": high},
            code="out_of_range",
        )
        return None
    return number


def _activity(value: Any, errors: _Errors) -> ActivityFilter | None:
    if _is_blank(value):
        return None
    if not isinstance(value, Mapping):
        errors.add("activity", _("Send an object with min_count, window_days and kinds."))
        return None
    unknown = sorted(str(k) for k in value if k not in ACTIVITY_KEYS)
    if unknown:
        errors.add("activity", _("Unknown filter: %(names)s.") % {"names": ", ".join(unknown[:5])})
        return None
    kinds = _choices(
        value.get("kinds"),
        "activity.kinds",
        ActivityKind.values,
        errors,
        _("Unknown activity kind: %(values)s."),
    )
    raw_count = value.get("min_count")
    min_count = (
        1
        if _is_blank(raw_count)
        else _number(raw_count, "activity.min_count", 1, MIN_COUNT_MAX, errors)
    )
    raw_window = value.get("window_days")
    window = (
        DEFAULT_WINDOW_DAYS
        if _is_blank(raw_window)
        else _number(raw_window, "activity.window_days", 1, WINDOW_DAYS_MAX, errors)
    )
    if min_count is None or window is None:
        return None
    return ActivityFilter(min_count=min_count, window_days=window, kinds=kinds)


def parse_filters(data: Any) -> SegmentFilters:
    """The filters `data` (JSON or a form's cleaned values) names; ValidationError per filter."""
    errors = _Errors()
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise ValidationError(_("Send the filters as an object."), code="invalid")
    unknown = sorted(str(k) for k in data if k not in KEYS)
    if unknown:
        errors.add("__all__", _("Unknown filter: %(names)s.") % {"names": ", ".join(unknown[:5])})
    ids: dict[str, Any] = {key: _ids(data.get(key), key, errors) for key in ID_LISTS}
    layer_community = data.get("layer_community_id")
    layer_community_id: int | None = None
    if not _is_blank(layer_community):
        layer_community_id = _int(layer_community)
        if layer_community_id is None or not 1 <= layer_community_id <= MAX_ID:
            errors.add("layer_community_id", _("Ids are whole numbers from 1."))
            layer_community_id = None
    dates: dict[str, Any] = {key: _date(data.get(key), key, errors) for key in DATE_FIELDS}
    _range(dates["joined_from"], dates["joined_to"], "joined_to", errors)
    _range(dates["last_active_from"], dates["last_active_to"], "last_active_to", errors)
    filters = SegmentFilters(
        stages=_stages(data.get("stages"), errors),
        layers=_choices(
            data.get("layers"), "layers", Layer.values, errors, _("Unknown layer: %(values)s.")
        ),
        layer_community_id=layer_community_id,
        roles=_choices(
            data.get("roles"),
            "roles",
            MembershipRole.values,
            errors,
            _("Unknown role: %(values)s."),
        ),
        channels=_choices(
            data.get("channels"),
            "channels",
            Channel.values,
            errors,
            _("Unknown channel: %(values)s."),
        ),
        activity=_activity(data.get("activity"), errors),
        **ids,
        **dates,
    )
    if filters.layer_community_id is not None and not filters.layers:
        errors.add("layer_community_id", _("Choose a layer for this community."))
    overlap = (set(filters.tags_all) | set(filters.tags_any)) & set(filters.tags_none)
    if overlap:
        errors.add(
            "tags_none",
            _("A tag cannot be both required and excluded."),
            code="contradiction",
        )
    errors.raise_any()
    return filters


def clean_filters(*, actor: OperatorScope, data: Any) -> SegmentFilters:
    """`parse_filters`, then every id checked against the actor's organisation and scope."""
    filters = parse_filters(data)
    errors = _Errors()
    _check_ids(actor, filters, errors)
    errors.raise_any()
    return filters


def _check_ids(actor: OperatorScope, filters: SegmentFilters, errors: _Errors) -> None:
    from shequn.organizations.selectors import list_chapters, list_communities
    from shequn.tags.selectors import list_tags

    tag_ids = filters.tag_ids
    if tag_ids:
        known = set(list_tags(actor=actor).filter(pk__in=tag_ids).values_list("pk", flat=True))
        for key in TAG_LISTS:
            missing = [t for t in getattr(filters, key) if t not in known]
            if missing:
                errors.add(
                    key,
                    _("No such tag: %(ids)s.") % {"ids": ", ".join(map(str, missing[:5]))},
                    code="unknown_tag",
                )
    if filters.chapter_ids:
        known = set(
            list_chapters(actor=actor)
            .filter(pk__in=filters.chapter_ids)
            .values_list("pk", flat=True)
        )
        missing = [c for c in filters.chapter_ids if c not in known]
        if missing:
            errors.add(
                "chapter_ids",
                _("No such chapter in your scope: %(ids)s.")
                % {"ids": ", ".join(map(str, missing[:5]))},
                code="unknown_chapter",
            )
    communities = set(filters.community_ids)
    if filters.layer_community_id is not None:
        communities.add(filters.layer_community_id)
    if communities:
        known = set(
            list_communities(actor=actor).filter(pk__in=communities).values_list("pk", flat=True)
        )
        missing = [c for c in filters.community_ids if c not in known]
        if missing:
            errors.add(
                "community_ids",
                _("No such community in your scope: %(ids)s.")
                % {"ids": ", ".join(map(str, missing[:5]))},
                code="unknown_community",
            )
        if filters.layer_community_id is not None and filters.layer_community_id not in known:
            errors.add(
                "layer_community_id",
                _("No such community in your scope: %(ids)s.")
                % {"ids": filters.layer_community_id},
                code="unknown_community",
            )


def load_filters(data: Any) -> SegmentFilters:
    """Stored filters: what still parses (a filter that no longer does is left out)."""
    if not isinstance(data, Mapping):
        return SegmentFilters()
    try:
        return parse_filters(data)
    except ValidationError as exc:
        bad = {key.split(".")[0] for key in getattr(exc, "error_dict", {})}
        kept = {k: v for k, v in data.items() if k in KEYS and k not in bad}
        if "tags_none" in bad:  # a contradiction: keep the rest
            kept.pop("tags_none", None)
        if "joined_to" in bad:
            kept.pop("joined_from", None)
        if "last_active_to" in bad:
            kept.pop("last_active_from", None)
        try:
            return parse_filters(kept)
        except ValidationError:
            return SegmentFilters()
