"""Request and response shapes of the activities API.

The batch body is not parsed by these schemas (10,000 items through pydantic would cost more
than storing them): `shequn.activity.api` decodes it with msgspec and hands each item's bytes
to the ingestion service, which validates it. `ACTIVITY_ITEM_SCHEMA` only documents the item
(docs/activities.md is the reference of the interchange format).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import AfterValidator

from shequn.activity.models import (
    ACTIVITY_TEXT_MAX_LENGTH,
    EXTERNAL_ID_MAX_LENGTH,
    Activity,
    ActivityKind,
    ActivitySource,
)
from shequn.activity.selectors import CURSOR_MAX_LENGTH, DEFAULT_LIMIT, MAX_LIMIT, decode_cursor
from shequn.core.schemas import ApiDatetime, ObjectId
from shequn.members.models import Channel

# The most items one batch may carry, and the largest body (bytes): beyond either, a 413.
BATCH_MAX_ITEMS = 10_000
BATCH_MAX_BYTES = 20 * 1024 * 1024


def _check_cursor(value: str | None) -> str | None:
    if value is not None:
        decode_cursor(value)
    return value


CursorText = Annotated[str | None, AfterValidator(_check_cursor)]


class MemberActivityFilters(Schema):
    community_id: ObjectId | None = Field(None, description="Only this community's activities.")
    kind: ActivityKind | None = None
    channel: Channel | None = None
    since: ApiDatetime | None = Field(None, description="Occurred at or after (ISO 8601).")
    until: ApiDatetime | None = Field(None, description="Occurred before (ISO 8601).")


class ActivityFilters(MemberActivityFilters):
    member_id: ObjectId | None = Field(None, description="Only this member's activities.")


class CursorParams(Schema):
    """Keyset pagination: `limit` 1–200 (default 50); `cursor` is a page's `next_cursor`."""

    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    cursor: CursorText = Field(
        None,
        max_length=CURSOR_MAX_LENGTH,
        description="The `next_cursor` of the previous page (opaque); omit for the first page.",
    )


class ActivityOut(Schema):
    id: int = Field(description="shequn's id of the activity.")
    external_id: str = Field(description="The channel's own id (the `id` of the item ingested).")
    channel: Channel
    kind: ActivityKind
    occurred_at: datetime
    community_id: int | None = Field(description="Null for organisation-wide activities.")
    community_slug: str | None
    member_id: int
    member_name: str = Field(description="The member's display name.")
    identity_id: int | None = Field(description="The channel account it came through.")
    text: str
    reply_to: str = Field(description="The channel's id of the activity this replies to.")
    weight: int
    properties: dict[str, Any]
    source: ActivitySource = Field(description="How it reached shequn (set by the server).")
    created_at: datetime = Field(description="When shequn recorded it.")

    @staticmethod
    def resolve_community_slug(obj: Activity) -> str | None:
        return obj.community.slug if obj.community is not None else None

    @staticmethod
    def resolve_member_name(obj: Activity) -> str:
        return obj.member.display_name


class ActivityPageOut(Schema):
    items: list[ActivityOut]
    next_cursor: str | None = Field(description="The cursor of the next page; null on the last.")


class RejectedOut(Schema):
    index: int = Field(description="The item's position in the body (from 0).")
    reason: str


class BatchResult(Schema):
    new: int = Field(description="Items stored now.")
    duplicate: int = Field(description="Items stored before (same channel and id): not again.")
    rejected: list[RejectedOut]


_NULLABLE_TEXT: dict[str, Any] = {"anyOf": [{"type": "string"}, {"type": "null"}]}

# The item of `POST /activities/batch` (the interchange format; docs/activities.md).
ACTIVITY_ITEM_SCHEMA: dict[str, Any] = {
    "title": "ActivityItem",
    "description": "One activity in the interchange format (docs/activities.md).",
    "type": "object",
    "required": ["id", "channel", "kind", "occurred_at", "actor"],
    "properties": {
        "id": {
            "type": "string",
            "maxLength": EXTERNAL_ID_MAX_LENGTH,
            "description": "The channel's own id: a second delivery of it stores nothing.",
        },
        "channel": {"type": "string", "enum": list(Channel.values)},
        "kind": {"type": "string", "enum": list(ActivityKind.values)},
        "occurred_at": {
            "type": "string",
            "format": "date-time",
            "description": "ISO 8601; without an offset, in the organisation's time zone.",
        },
        "actor": {
            "type": "object",
            "required": ["external_id"],
            "properties": {
                "external_id": {"type": "string", "maxLength": EXTERNAL_ID_MAX_LENGTH},
                "display_name": _NULLABLE_TEXT,
                "username": _NULLABLE_TEXT,
                "email": _NULLABLE_TEXT,
                "phone": _NULLABLE_TEXT,
                "avatar_url": _NULLABLE_TEXT,
                "union_id": _NULLABLE_TEXT,
            },
        },
        "community": {
            "anyOf": [{"type": "string"}, {"type": "null"}],
            "description": "A community's slug; omitted or null: organisation-wide (org admins "
            "only; a join or leave needs a community).",
        },
        "text": {
            "anyOf": [{"type": "string", "maxLength": ACTIVITY_TEXT_MAX_LENGTH}, {"type": "null"}]
        },
        "reply_to": {
            "anyOf": [{"type": "string", "maxLength": EXTERNAL_ID_MAX_LENGTH}, {"type": "null"}]
        },
        "properties": {"type": "object"},
        "weight": {"type": "integer", "minimum": -32768, "maximum": 32767, "default": 1},
    },
}

BATCH_REQUEST_BODY: dict[str, Any] = {
    "required": True,
    "description": (
        f"A JSON array of at most {BATCH_MAX_ITEMS:,} activities, at most "
        f"{BATCH_MAX_BYTES // (1024 * 1024)} MB; more is a 413 and stores nothing."
    ),
    "content": {
        "application/json": {
            "schema": {"type": "array", "maxItems": BATCH_MAX_ITEMS, "items": ACTIVITY_ITEM_SCHEMA}
        }
    },
}
