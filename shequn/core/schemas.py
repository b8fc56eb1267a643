"""Shapes every API router shares: pagination, ids, text and strict request bodies."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, TypeVar

from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _
from ninja import Field, Path, Schema
from pydantic import AfterValidator, AwareDatetime, ConfigDict, ValidationInfo, field_validator

MAX_PAGE_LIMIT = 200
DEFAULT_PAGE_LIMIT = 50
# The largest `offset` of a list: far beyond any real list, far below what a database overflows.
MAX_OFFSET = 1_000_000_000
# Ids are 64-bit (BigAutoField): a larger number cannot name anything, so it is a 422.
MAX_ID = 2**63 - 1
SEARCH_MAX_LENGTH = 100

M = TypeVar("M", bound=Model)


def check_text(value: str) -> str:
    """Refuse what no database column can hold: NUL characters and lone surrogates."""
    if "\x00" in value:
        raise ValueError(_("This field cannot contain NUL characters."))
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(_("This field contains invalid characters.")) from None
    return value


def to_utc(value: datetime) -> datetime:
    """An aware datetime in UTC: any offset pydantic accepts (up to ±23:59) is one the database
    takes (PostgreSQL's end at ±15:59), and one past year 1 or 9999 in UTC is refused."""
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError(_("Enter a date and time between the years 1 and 9999.")) from None


# An id in a body or a query string.
ObjectId = Annotated[int, Field(ge=1, le=MAX_ID)]
# An id in a path: `/members/{member_id}`.
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
# A date and time with a time zone, stored in UTC.
ApiDatetime = Annotated[AwareDatetime, AfterValidator(to_utc)]
# A search term of a list (`q`).
SearchText = Annotated[str, Field(max_length=SEARCH_MAX_LENGTH), AfterValidator(check_text)]


class PageParams(Schema):
    """Limit/offset pagination: `limit` 1–200 (default 50), `offset` 0–1,000,000,000."""

    limit: int = Field(DEFAULT_PAGE_LIMIT, ge=1, le=MAX_PAGE_LIMIT)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class PageMeta(Schema):
    """What every list answers besides its items: where the next page starts, and the total
    when it is known without counting (a list costs the same at 300 and at 100,000 rows)."""

    count: int | None = Field(
        description=(
            "Total number of matching items, when known without counting them all: always on "
            "the last page (offset + items), and where a maintained counter gives it exactly "
            "(e.g. the active members of a community). Otherwise null: follow `next_offset`."
        )
    )
    next_offset: int | None = Field(
        description="The `offset` of the next page; null on the last page."
    )


def paginate(
    queryset: QuerySet[M], page: PageParams, *, count: int | None = None
) -> dict[str, Any]:
    """`{"count", "next_offset", "items"}` for one page of `queryset`, in one query.

    Reads `limit + 1` rows to know whether a next page exists; never runs a COUNT. `count`
    is the caller's exact total when it has one (a maintained counter); otherwise it is known
    only on the last page.
    """
    rows = list(queryset[page.offset : page.offset + page.limit + 1])
    items = rows[: page.limit]
    has_more = len(rows) > page.limit
    if count is None and not has_more and (items or page.offset == 0):
        count = page.offset + len(items)
    return {
        "count": count,
        "next_offset": page.offset + page.limit if has_more else None,
        "items": items,
    }


class InputSchema(Schema):
    """A request body: unknown fields are an error, not silently ignored; text is storable."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _storable_text(cls, value: Any) -> Any:
        return check_text(value) if isinstance(value, str) else value


def _document_nullable_fields(schema: dict[str, Any], model: type[Any]) -> None:
    """In the OpenAPI, `null` only for the fields of `nullable_fields`, and no null defaults."""
    nullable: frozenset[str] = getattr(model, "nullable_fields", frozenset())
    for name, prop in schema.get("properties", {}).items():
        if name in nullable:
            continue
        variants = prop.get("anyOf")
        if variants is not None:
            kept = [v for v in variants if v.get("type") != "null"]
            del prop["anyOf"]
            if len(kept) == 1:
                prop.update(kept[0])
            else:
                prop["anyOf"] = kept
        if prop.get("default", ...) is None:
            del prop["default"]


class PatchSchema(InputSchema):
    """A partial update: only the fields sent change; null only where `nullable_fields` says."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_document_nullable_fields)

    nullable_fields: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="before")
    @classmethod
    def _no_null(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and info.field_name not in cls.nullable_fields:
            raise ValueError(_("This field cannot be null."))
        return value

    def changes(self) -> dict[str, Any]:
        """The fields the client sent, with their values."""
        return {name: getattr(self, name) for name in sorted(self.model_fields_set)}
