"""Request and response shapes of the chapters and communities API."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from ninja import Field, Schema

from shequn.core.schemas import (
    ApiDatetime,
    InputSchema,
    ObjectId,
    PageMeta,
    PatchSchema,
    SearchText,
)
from shequn.organizations.models import (
    MAX_CAPACITY,
    NAME_MAX_LENGTH,
    SLUG_MAX_LENGTH,
    CommunityAccess,
    CommunityKind,
    CommunityStatus,
)

# The keys of shequn.organizations.selectors.COMMUNITY_ORDERINGS.
CommunityOrder = Literal[
    "name", "-name", "created", "-created", "members", "-members", "starts", "-starts"
]


class ChapterOut(Schema):
    id: int
    name: str
    slug: str
    city: str
    intro: str
    community_count: int = Field(description="Active communities of the chapter.")
    created_at: datetime
    updated_at: datetime


class ChapterPage(PageMeta):
    items: list[ChapterOut]


class ChapterFilters(Schema):
    q: SearchText = Field("", description="Part of the name, slug or city.")


class ChapterIn(InputSchema):
    name: str = Field(min_length=1, max_length=NAME_MAX_LENGTH)
    slug: str = Field(min_length=1, max_length=SLUG_MAX_LENGTH)
    city: str = Field("", max_length=NAME_MAX_LENGTH)
    intro: str = ""


class ChapterPatch(PatchSchema):
    name: str | None = Field(None, min_length=1, max_length=NAME_MAX_LENGTH)
    slug: str | None = Field(None, min_length=1, max_length=SLUG_MAX_LENGTH)
    city: str | None = Field(None, max_length=NAME_MAX_LENGTH)
    intro: str | None = None


class CommunityOut(Schema):
    id: int
    chapter_id: ObjectId | None
    kind: CommunityKind
    access: CommunityAccess
    name: str
    slug: str
    intro: str
    rules: str
    capacity: int
    starts_at: datetime
    ends_at: datetime | None
    status: CommunityStatus
    archived_at: datetime | None
    member_count: int = Field(description="Active members of the community.")
    created_at: datetime
    updated_at: datetime


class CommunityPage(PageMeta):
    items: list[CommunityOut]


class CommunityFilters(Schema):
    q: SearchText = Field("", description="Part of the name or slug.")
    kind: CommunityKind | None = None
    access: CommunityAccess | None = None
    status: CommunityStatus | None = None
    chapter_id: ObjectId | None = None
    order: CommunityOrder = Field("name", description="Sort order; '-' reverses it.")


class CommunityIn(InputSchema):
    kind: CommunityKind
    access: CommunityAccess = CommunityAccess.PRIVATE
    name: str = Field(min_length=1, max_length=NAME_MAX_LENGTH)
    slug: str = Field(min_length=1, max_length=SLUG_MAX_LENGTH)
    intro: str = ""
    rules: str = ""
    capacity: int | None = Field(None, ge=1, le=MAX_CAPACITY)
    starts_at: ApiDatetime | None = Field(None, description="Default: now.")
    ends_at: ApiDatetime | None = Field(
        None, description="Default: the lifespan the kind proposes (e.g. lead-gen: 48 hours)."
    )
    chapter_id: ObjectId | None = Field(None, description="None: an organisation-wide community.")


class CommunityPatch(PatchSchema):
    nullable_fields: ClassVar[frozenset[str]] = frozenset({"chapter_id", "ends_at"})

    kind: CommunityKind | None = None
    access: CommunityAccess | None = None
    name: str | None = Field(None, min_length=1, max_length=NAME_MAX_LENGTH)
    slug: str | None = Field(None, min_length=1, max_length=SLUG_MAX_LENGTH)
    intro: str | None = None
    rules: str | None = None
    capacity: int | None = Field(None, ge=1, le=MAX_CAPACITY)
    starts_at: ApiDatetime | None = None
    ends_at: ApiDatetime | None = None
    chapter_id: ObjectId | None = None
