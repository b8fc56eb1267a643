"""API v1 of segments (docs/segments.md): CRUD, a segment's count, members and CSV export, and
the preview of unsaved filters. Organisation admins: every segment; chapter heads: their
chapters' (another's: 404); assistants: 403. Members and counts are those in the token's scope.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from shequn.accounts.api import actor_of
from shequn.accounts.selectors import OperatorScope
from shequn.core.problems import problem_response, problem_responses
from shequn.core.schemas import PageParams, PathId, paginate
from shequn.organizations.models import Chapter
from shequn.organizations.selectors import get_chapter_for_user
from shequn.segments import selectors, services
from shequn.segments.export import export_filename, stream_csv
from shequn.segments.filters import SegmentFilters, clean_filters
from shequn.segments.models import Segment
from shequn.segments.schemas import (
    CountOut,
    PreviewIn,
    PreviewOut,
    SegmentFiltersIn,
    SegmentIn,
    SegmentMemberPage,
    SegmentOut,
    SegmentPage,
    SegmentPatch,
    filters_out,
)

router = Router(tags=["segments"])

CSV_RESPONSE = {
    "description": "UTF-8 CSV with a byte-order mark: id, display name, phone, email, home "
    "chapter, stage, last active.",
    "content": {"text/csv": {"schema": {"type": "string"}}},
}


class InvalidFiltersError(Exception):
    """Invalid filters, answered as a 422 whose `loc`s point into `filters`."""

    def __init__(self, response: HttpResponse) -> None:
        self.response = response


def _filters(actor: OperatorScope, payload: SegmentFiltersIn, loc: list[str]) -> SegmentFilters:
    try:
        return clean_filters(actor=actor, data=payload.data())
    except ValidationError as exc:
        errors: list[dict[str, Any]] = []
        for key, messages in getattr(exc, "message_dict", {"__all__": exc.messages}).items():
            where = [*loc] if key == "__all__" else [*loc, *key.split(".")]
            errors.extend({"loc": where, "msg": str(m)} for m in messages)
        detail = errors[0]["msg"] if len(errors) == 1 else _("The request has invalid fields.")
        raise InvalidFiltersError(
            problem_response(status=422, title=_("Invalid input"), detail=detail, errors=errors)
        ) from exc


def _chapter(actor: OperatorScope, chapter_id: int | None) -> Chapter | None:
    return None if chapter_id is None else get_chapter_for_user(actor=actor, chapter_id=chapter_id)


def _out(segment: Segment) -> dict[str, Any]:
    return {
        "id": segment.pk,
        "name": segment.name,
        "description": segment.description,
        "chapter_id": segment.chapter_id,
        "filters": filters_out(selectors.segment_filters(segment)),
        "created_at": segment.created_at,
        "updated_at": segment.updated_at,
    }


def _member_out(row: selectors.SegmentMember) -> dict[str, Any]:
    member = row.member
    return {
        "id": member.pk,
        "display_name": member.display_name,
        "phone": member.phone,
        "email": member.email,
        "chapter_id": member.chapter_id,
        "stage": row.stage,
        "last_active_at": row.last_active_at,
    }


@router.get("/segments", response=SegmentPage, openapi_extra=problem_responses(403, 422))
def list_segments(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    """The segments the token may see, by name."""
    result = paginate(selectors.list_segments(actor=actor_of(request)), page)
    result["items"] = [_out(s) for s in result["items"]]
    return result


@router.post(
    "/segments",
    response={201: SegmentOut},
    openapi_extra=problem_responses(403, 404, 413, 422),
)
def create_segment(request: HttpRequest, payload: SegmentIn) -> Any:
    """A new segment (chapter heads: owned by one of their chapters)."""
    actor = actor_of(request)
    actor.require(selectors.can_use_segments(actor))
    try:
        filters = _filters(actor, payload.filters, ["body", "filters"])
    except InvalidFiltersError as problem:
        return problem.response
    segment = services.create_segment(
        actor=actor,
        name=payload.name,
        description=payload.description,
        chapter=_chapter(actor, payload.chapter_id),
        filters=filters,
    )
    return Status(201, _out(segment))


@router.post(
    "/segments/preview",
    response=PreviewOut,
    openapi_extra=problem_responses(403, 404, 413, 422),
)
def preview_segment(request: HttpRequest, payload: PreviewIn) -> Any:
    """The count and first members (by name) of filters not saved as a segment."""
    actor = actor_of(request)
    actor.require(selectors.can_use_segments(actor))
    try:
        filters = _filters(actor, payload.filters, ["body", "filters"])
    except InvalidFiltersError as problem:
        return problem.response
    overview = selectors.get_segment_overview(actor=actor, filters=filters, limit=payload.limit)
    return {"count": overview.count, "items": [_member_out(m) for m in overview.page]}


@router.get(
    "/segments/{segment_id}", response=SegmentOut, openapi_extra=problem_responses(403, 404, 422)
)
def get_segment(request: HttpRequest, segment_id: PathId) -> dict[str, Any]:
    segment = selectors.get_segment_for_user(actor=actor_of(request), segment_id=segment_id)
    return _out(segment)


@router.patch(
    "/segments/{segment_id}",
    response=SegmentOut,
    openapi_extra=problem_responses(403, 404, 413, 422),
)
def update_segment(request: HttpRequest, segment_id: PathId, payload: SegmentPatch) -> Any:
    """Change the fields sent; `filters` replaces every filter."""
    actor = actor_of(request)
    segment = selectors.get_segment_for_user(actor=actor, segment_id=segment_id)
    data = payload.changes()
    if "chapter_id" in data:
        data["chapter"] = _chapter(actor, data.pop("chapter_id"))
    if payload.filters is not None:
        try:
            data["filters"] = _filters(actor, payload.filters, ["body", "filters"])
        except InvalidFiltersError as problem:
            return problem.response
    segment = services.update_segment(actor=actor, segment=segment, data=data)
    return _out(segment)


@router.delete(
    "/segments/{segment_id}", response={204: None}, openapi_extra=problem_responses(403, 404, 422)
)
def delete_segment(request: HttpRequest, segment_id: PathId) -> Status[None]:
    actor = actor_of(request)
    segment = selectors.get_segment_for_user(actor=actor, segment_id=segment_id)
    services.delete_segment(actor=actor, segment=segment)
    return Status(204, None)


@router.get(
    "/segments/{segment_id}/count",
    response=CountOut,
    openapi_extra=problem_responses(403, 404, 422),
)
def count_segment(request: HttpRequest, segment_id: PathId) -> dict[str, int]:
    """How many members the segment has in the token's scope, counted now."""
    actor = actor_of(request)
    segment = selectors.get_segment_for_user(actor=actor, segment_id=segment_id)
    filters = selectors.segment_filters(segment)
    return {"count": selectors.count_segment(actor=actor, filters=filters)}


@router.get(
    "/segments/{segment_id}/members",
    response=SegmentMemberPage,
    openapi_extra=problem_responses(403, 404, 422),
)
def list_segment_members(
    request: HttpRequest, segment_id: PathId, page: Query[PageParams]
) -> dict[str, Any]:
    """The segment's members in the token's scope, by name."""
    actor = actor_of(request)
    segment = selectors.get_segment_for_user(actor=actor, segment_id=segment_id)
    members = selectors.list_segment_members(
        actor=actor, filters=selectors.segment_filters(segment)
    )
    with selectors.planned_for_sets():
        result = paginate(members, page)
    result["items"] = [_member_out(m) for m in selectors.with_stage(result["items"])]
    return result


@router.get(
    "/segments/{segment_id}/export",
    openapi_extra={
        "responses": {200: CSV_RESPONSE, **problem_responses(403, 404, 422)["responses"]}
    },
)
def export_segment(request: HttpRequest, segment_id: PathId) -> StreamingHttpResponse:
    """The segment's members in the token's scope as CSV, streamed (any size)."""
    actor = actor_of(request)
    segment = selectors.get_segment_for_user(actor=actor, segment_id=segment_id)
    return stream_csv(actor=actor, segment=segment, filename=export_filename(segment))
