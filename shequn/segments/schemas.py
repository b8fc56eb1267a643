"""Request and response shapes of the segments API (docs/segments.md)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from ninja import Field, Schema

from shequn.activity.models import ActivityKind
from shequn.core.schemas import InputSchema, ObjectId, PageMeta, PatchSchema
from shequn.ladder.models import Stage
from shequn.layers.models import Layer
from shequn.members.models import Channel, MembershipRole
from shequn.segments.filters import (
    DEFAULT_WINDOW_DAYS,
    MAX_DATE,
    MAX_IDS,
    MIN_COUNT_MAX,
    MIN_DATE,
    WINDOW_DAYS_MAX,
    SegmentFilters,
)
from shequn.segments.models import SEGMENT_NAME_MAX_LENGTH
from shequn.segments.services import DESCRIPTION_MAX_LENGTH

PREVIEW_MAX = 50
IDS = f"At most {MAX_IDS} ids."
DAYS = f"A calendar day in the organisation's time zone, {MIN_DATE} to {MAX_DATE}; inclusive."


class ActivityFilterIn(InputSchema):
    min_count: int = Field(1, ge=1, le=MIN_COUNT_MAX, description="At least this many.")
    window_days: int = Field(
        DEFAULT_WINDOW_DAYS,
        ge=1,
        le=WINDOW_DAYS_MAX,
        description="In the last this many calendar days, today included.",
    )
    kinds: list[ActivityKind] = Field(
        default_factory=list,
        max_length=len(ActivityKind.values),
        description="Activity kinds counted; empty: every kind except join and leave.",
    )


class SegmentFiltersIn(InputSchema):
    """Every filter of a segment; all must hold (AND); omitted or empty: not filtered."""

    stages: list[Stage] = Field(default_factory=list, max_length=7, description="Ladder stages.")
    layers: list[Layer] = Field(
        default_factory=list,
        max_length=len(Layer.values),
        description="Activity layer in any community (or in `layer_community_id`).",
    )
    layer_community_id: ObjectId | None = Field(None, description="The community of `layers`.")
    tags_all: list[ObjectId] = Field(
        default_factory=list, max_length=MAX_IDS, description=f"Has every tag. {IDS}"
    )
    tags_any: list[ObjectId] = Field(
        default_factory=list, max_length=MAX_IDS, description=f"Has one of the tags. {IDS}"
    )
    tags_none: list[ObjectId] = Field(
        default_factory=list, max_length=MAX_IDS, description=f"Has none of the tags. {IDS}"
    )
    chapter_ids: list[ObjectId] = Field(
        default_factory=list, max_length=MAX_IDS, description=f"Home chapter. {IDS}"
    )
    community_ids: list[ObjectId] = Field(
        default_factory=list,
        max_length=MAX_IDS,
        description=f"An active membership in one of the communities. {IDS}",
    )
    roles: list[MembershipRole] = Field(
        default_factory=list,
        max_length=len(MembershipRole.values),
        description="A role in an active membership (in `community_ids` when given).",
    )
    joined_from: date | None = Field(None, description=f"An active membership began. {DAYS}")
    joined_to: date | None = Field(None, description=DAYS)
    last_active_from: date | None = Field(None, description=f"Last engagement activity. {DAYS}")
    last_active_to: date | None = Field(None, description=DAYS)
    activity: ActivityFilterIn | None = Field(
        None, description="At least `min_count` activities in the last `window_days` days."
    )
    channels: list[Channel] = Field(
        default_factory=list,
        max_length=len(Channel.values),
        description="Has an account on one of the channels.",
    )

    def data(self) -> dict[str, Any]:
        """The filters as `clean_filters` reads them."""
        return self.model_dump(mode="json", exclude_none=True)


class ActivityFilterOut(Schema):
    min_count: int
    window_days: int
    kinds: list[ActivityKind]


class SegmentFiltersOut(Schema):
    stages: list[int]
    layers: list[Layer]
    layer_community_id: int | None
    tags_all: list[int]
    tags_any: list[int]
    tags_none: list[int]
    chapter_ids: list[int]
    community_ids: list[int]
    roles: list[MembershipRole]
    joined_from: date | None
    joined_to: date | None
    last_active_from: date | None
    last_active_to: date | None
    activity: ActivityFilterOut | None
    channels: list[Channel]


def filters_out(filters: SegmentFilters) -> dict[str, Any]:
    activity = filters.activity
    return {
        "stages": list(filters.stages),
        "layers": list(filters.layers),
        "layer_community_id": filters.layer_community_id,
        "tags_all": list(filters.tags_all),
        "tags_any": list(filters.tags_any),
        "tags_none": list(filters.tags_none),
        "chapter_ids": list(filters.chapter_ids),
        "community_ids": list(filters.community_ids),
        "roles": list(filters.roles),
        "joined_from": filters.joined_from,
        "joined_to": filters.joined_to,
        "last_active_from": filters.last_active_from,
        "last_active_to": filters.last_active_to,
        "activity": None
        if activity is None
        else {
            "min_count": activity.min_count,
            "window_days": activity.window_days,
            "kinds": list(activity.kinds),
        },
        "channels": list(filters.channels),
    }


class SegmentOut(Schema):
    id: int
    name: str
    description: str
    chapter_id: int | None = Field(description="The owning chapter; null: the organisation's.")
    filters: SegmentFiltersOut
    created_at: datetime
    updated_at: datetime


class SegmentPage(PageMeta):
    items: list[SegmentOut]


class SegmentIn(InputSchema):
    name: str = Field(min_length=1, max_length=SEGMENT_NAME_MAX_LENGTH)
    description: str = Field("", max_length=DESCRIPTION_MAX_LENGTH)
    chapter_id: ObjectId | None = Field(
        None,
        description="The owning chapter (chapter heads: one of theirs, default their only one).",
    )
    filters: SegmentFiltersIn = Field(default_factory=lambda: SegmentFiltersIn.model_validate({}))


class SegmentPatch(PatchSchema):
    nullable_fields: ClassVar[frozenset[str]] = frozenset({"chapter_id"})

    name: str | None = Field(None, min_length=1, max_length=SEGMENT_NAME_MAX_LENGTH)
    description: str | None = Field(None, max_length=DESCRIPTION_MAX_LENGTH)
    chapter_id: ObjectId | None = None
    filters: SegmentFiltersIn | None = Field(None, description="Replaces every filter.")


class CountOut(Schema):
    count: int = Field(description="Members of the segment in the token's scope, counted now.")


class SegmentMemberOut(Schema):
    id: int
    display_name: str
    phone: str
    email: str
    chapter_id: int | None
    stage: int = Field(description="Stage on the ladder, 0–6 (0 when not placed yet).")
    last_active_at: datetime | None


class SegmentMemberPage(PageMeta):
    items: list[SegmentMemberOut]


class PreviewIn(InputSchema):
    filters: SegmentFiltersIn = Field(default_factory=lambda: SegmentFiltersIn.model_validate({}))
    limit: int = Field(20, ge=1, le=PREVIEW_MAX, description="How many members to show.")


class PreviewOut(Schema):
    count: int
    items: list[SegmentMemberOut] = Field(description="The first members by name.")
