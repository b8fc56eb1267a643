"""API v1 of the exit rule (docs/points.md, "Exit rule"): the review queue and its decisions.
Organisation admins and chapter heads (their members); others 403; a decided review 409."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from shequn.accounts.api import actor_of
from shequn.core.problems import problem_response, problem_responses
from shequn.core.schemas import InputSchema, PathId
from shequn.points.exits import confirm_exit, dismiss_exit
from shequn.points.models import NOTE_MAX_LENGTH, ExitReview, ExitReviewStatus
from shequn.points.selectors import get_exit_review, list_exit_reviews

router = Router(tags=["exit reviews"])
MAX_LIMIT = 200


class ExitReviewOut(Schema):
    id: int
    member_id: int
    reason: str
    status: ExitReviewStatus
    flagged_at: datetime
    decided_at: datetime | None
    note: str


class ExitReviewFilters(Schema):
    status: ExitReviewStatus = ExitReviewStatus.OPEN
    limit: int = Field(50, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=1_000_000)


class ExitReviewPage(Schema):
    items: list[ExitReviewOut]


class DecisionIn(InputSchema):
    note: str = Field("", max_length=NOTE_MAX_LENGTH)


@router.get(
    "/points/exit-reviews",
    response=ExitReviewPage,
    openapi_extra=problem_responses(403, 422),
)
def list_reviews(request: HttpRequest, filters: Query[ExitReviewFilters]) -> Any:
    """The reviews of one status, newest first."""
    rows = list_exit_reviews(actor=actor_of(request), status=filters.status)
    items = list(rows[filters.offset : filters.offset + filters.limit])
    return {"items": items}


def _decide(request: HttpRequest, review_id: int, payload: DecisionIn, confirm: bool) -> Any:
    actor = actor_of(request)
    review = get_exit_review(actor=actor, review_id=review_id)
    try:
        decided: ExitReview = (confirm_exit if confirm else dismiss_exit)(
            actor=actor, review=review, note=payload.note
        )
    except ValidationError as exc:
        if getattr(exc, "code", None) == "review_decided":
            return problem_response(status=409, title=_("Conflict"), detail=" ".join(exc.messages))
        raise
    return decided


@router.post(
    "/points/exit-reviews/{review_id}/confirm",
    response=ExitReviewOut,
    openapi_extra=problem_responses(403, 404, 409, 422),
)
def confirm(request: HttpRequest, review_id: PathId, payload: DecisionIn) -> Any:
    """Remove the member from the communities the caller runs, with the review's reason."""
    return _decide(request, review_id, payload, confirm=True)


@router.post(
    "/points/exit-reviews/{review_id}/dismiss",
    response=ExitReviewOut,
    openapi_extra=problem_responses(403, 404, 409, 422),
)
def dismiss(request: HttpRequest, review_id: PathId, payload: DecisionIn) -> Any:
    """Keep the member; the count of days below the line starts again."""
    return _decide(request, review_id, payload, confirm=False)
