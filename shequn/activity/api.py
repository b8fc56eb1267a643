"""Activities over the API: batch ingestion, the stream with filters and keyset pagination."""

from __future__ import annotations

from typing import Any

import msgspec
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router

from shequn.accounts.api import actor_of
from shequn.accounts.selectors import OperatorScope
from shequn.activity import selectors
from shequn.activity.models import ActivitySource
from shequn.activity.schemas import (
    BATCH_MAX_BYTES,
    BATCH_MAX_ITEMS,
    BATCH_REQUEST_BODY,
    ActivityFilters,
    ActivityPageOut,
    BatchResult,
    CursorParams,
    MemberActivityFilters,
)
from shequn.activity.services import ingest_activities
from shequn.core.problems import problem_response, problem_responses
from shequn.core.schemas import PathId
from shequn.members.models import Member
from shequn.members.selectors import get_member_for_user
from shequn.members.tasks import request_merge_suggestions
from shequn.organizations.models import Community
from shequn.organizations.selectors import get_community_for_user

router = Router(tags=["activities"])

_READ_CHUNK = 1024 * 1024
_items_decoder = msgspec.json.Decoder(list[msgspec.Raw])


class _BodyTooLargeError(Exception):
    pass


def _read_body(request: HttpRequest) -> bytes:
    """The request body, refusing (before reading it) a declared length over BATCH_MAX_BYTES
    and stopping one byte past it otherwise (a chunked body has no declared length)."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > BATCH_MAX_BYTES:
        raise _BodyTooLargeError
    chunks: list[bytes] = []
    size = 0
    while size <= BATCH_MAX_BYTES:
        chunk = request.read(min(_READ_CHUNK, BATCH_MAX_BYTES + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if size > BATCH_MAX_BYTES:
        raise _BodyTooLargeError
    return b"".join(chunks)


def _too_large(detail: str) -> HttpResponse:
    return problem_response(status=413, title=_("Request too large"), detail=detail)


def _invalid_body(message: str) -> HttpResponse:
    return problem_response(
        status=422,
        title=_("Invalid input"),
        detail=message,
        errors=[{"loc": ["body"], "msg": message}],
    )


@router.post(
    "/activities/batch",
    response={200: BatchResult},
    openapi_extra={"requestBody": BATCH_REQUEST_BODY, **problem_responses(413, 422)},
)
def ingest_batch(request: HttpRequest) -> HttpResponse | dict[str, Any]:
    """Store up to 10,000 activities (a JSON array of items in the interchange format).

    One transaction: each item is stored, recognised as a duplicate (same channel and id as
    one stored before, by any source) or rejected with its index and reason; the others are
    stored whatever the rejected ones. A chapter head's or assistant's token stores only into
    the communities of its scope. Over 10,000 items or 20 MB: 413, nothing stored.
    """
    actor = actor_of(request)
    limit_detail = _("At most %(items)s activities and %(mb)s MB per request.") % {
        "items": BATCH_MAX_ITEMS,
        "mb": BATCH_MAX_BYTES // (1024 * 1024),
    }
    try:
        body = _read_body(request)
    except _BodyTooLargeError:
        return _too_large(limit_detail)
    try:
        items = _items_decoder.decode(body)
    except msgspec.ValidationError:
        return _invalid_body(_("Send a JSON array of activities."))
    except msgspec.DecodeError:
        return _invalid_body(_("The body is not valid JSON."))
    if len(items) > BATCH_MAX_ITEMS:
        return _too_large(limit_detail)
    result = ingest_activities(
        organization=actor.organization,
        rows=[bytes(item) for item in items],
        source=ActivitySource.API,
        actor=actor,
    )
    if result.members_created:  # new people: look for their other accounts (debounced)
        request_merge_suggestions(actor.organization.pk)
    rejected = sorted(result.rejected, key=lambda r: r.index)
    return {"new": result.new, "duplicate": result.duplicate, "rejected": rejected}


def _listed(
    actor: OperatorScope,
    community: Community | None,
    member: Member | None,
    filters: MemberActivityFilters,
    page: CursorParams,
) -> dict[str, Any]:
    """One page of the stream, by the filters both list endpoints share."""
    found = selectors.list_activities(
        actor=actor,
        community=community,
        member=member,
        kind=filters.kind,
        channel=filters.channel,
        since=filters.since,
        until=filters.until,
        cursor=page.cursor,
        limit=page.limit,
    )
    return {"items": found.items, "next_cursor": found.next_cursor}


@router.get("/activities", response=ActivityPageOut, openapi_extra=problem_responses(404, 422))
def list_activities(
    request: HttpRequest, filters: Query[ActivityFilters], page: Query[CursorParams]
) -> dict[str, Any]:
    """Activities in the token's scope, newest first, a page at a time (follow `next_cursor`).

    Organisation admins see every activity; chapter heads and assistants those in the
    communities of their scope (not organisation-wide ones).
    """
    actor = actor_of(request)
    community = member = None
    if filters.community_id is not None:
        community = get_community_for_user(actor=actor, community_id=filters.community_id)
    if filters.member_id is not None:
        member = get_member_for_user(actor=actor, member_id=filters.member_id)
    return _listed(actor, community, member, filters, page)


@router.get(
    "/members/{member_id}/activities",
    response=ActivityPageOut,
    openapi_extra=problem_responses(404, 422),
)
def list_member_activities(
    request: HttpRequest,
    member_id: PathId,
    filters: Query[MemberActivityFilters],
    page: Query[CursorParams],
) -> dict[str, Any]:
    """A member's timeline, newest first (in the token's scope, as `GET /activities`)."""
    actor = actor_of(request)
    member = get_member_for_user(actor=actor, member_id=member_id)
    community = None
    if filters.community_id is not None:
        community = get_community_for_user(actor=actor, community_id=filters.community_id)
    return _listed(actor, community, member, filters, page)
