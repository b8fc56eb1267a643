"""Shapes every API router shares: pagination and strict request bodies."""

from __future__ import annotations

from typing import Any, ClassVar, TypeVar

from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _
from ninja import Field, Schema
from pydantic import ConfigDict, ValidationInfo, field_validator

MAX_PAGE_LIMIT = 200
DEFAULT_PAGE_LIMIT = 50

M = TypeVar("M", bound=Model)


class PageParams(Schema):
    """Limit/offset pagination: `limit` 1–200 (default 50), `offset` from 0."""

    limit: int = Field(DEFAULT_PAGE_LIMIT, ge=1, le=MAX_PAGE_LIMIT)
    offset: int = Field(0, ge=0)


def paginate(queryset: QuerySet[M], page: PageParams) -> dict[str, Any]:
    """`{"count", "items"}` for one page of `queryset` (two queries)."""
    return {
        "count": queryset.count(),
        "items": list(queryset[page.offset : page.offset + page.limit]),
    }


class InputSchema(Schema):
    """A request body: unknown fields are an error, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


class PatchSchema(InputSchema):
    """A partial update: only the fields sent change; null only where `nullable_fields` says."""

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
