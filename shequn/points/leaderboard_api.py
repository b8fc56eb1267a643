"""API v1 of leaderboards (排行榜, docs/leaderboards.md): a board's first places, and one
member's places on the boards the operator may see. Scoped operators see their chapter's and
communities' boards only (404 otherwise)."""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from shequn.accounts.api import actor_of
from shequn.core.problems import problem_responses
from shequn.core.schemas import ObjectId, PathId
from shequn.points import leaderboards as lb

router = Router(tags=["leaderboards"])


class BoardParams(Schema):
    scope: Literal["organization", "chapter", "community"] = "organization"
    scope_id: ObjectId | None = Field(
        None, description="The chapter's or community's id (not needed for the organisation)."
    )
    period: Literal["7d", "30d", "all"] = Field(
        "7d", description="7d, 30d: the last 7 or 30 calendar days, today included; all."
    )
    limit: int = Field(20, ge=1, le=lb.MAX_LIMIT)


class MemberPeriod(Schema):
    period: Literal["7d", "30d", "all"] | None = Field(None, description="Empty: every period.")


class PlaceOut(Schema):
    rank: int
    member_id: int
    display_name: str
    points: int


class BoardOut(Schema):
    scope: str
    scope_id: int
    period: str
    places: list[PlaceOut]


class MemberPlaceOut(Schema):
    scope: str
    scope_id: int
    period: str
    rank: int | None = Field(description="None: nothing earned on this board in the period.")
    points: int


class MemberRanksOut(Schema):
    member_id: int
    places: list[MemberPlaceOut]


@router.get("/leaderboards", response=BoardOut, openapi_extra=problem_responses(404, 422))
def get_leaderboard(request: HttpRequest, params: Query[BoardParams]) -> dict[str, Any]:
    """A board's first `limit` places by points earned in the period (the same points share a
    rank; then the lower member id first)."""
    actor = actor_of(request)
    board = lb.get_board(actor, params.scope, params.scope_id, params.period)
    places = lb.top(actor.organization, board, params.limit)
    names = lb.names(p.member_id for p in places)
    return {
        "scope": board.scope,
        "scope_id": board.scope_id,
        "period": board.period,
        "places": [
            {
                "rank": p.rank,
                "member_id": p.member_id,
                "display_name": names.get(p.member_id, ""),
                "points": p.points,
            }
            for p in places
        ],
    }


@router.get(
    "/leaderboards/members/{member_id}",
    response=MemberRanksOut,
    openapi_extra=problem_responses(404, 422),
)
def get_member_ranks(
    request: HttpRequest, member_id: PathId, params: Query[MemberPeriod]
) -> dict[str, Any]:
    """The member's places on the organisation's board and on the boards of their chapters
    and communities that the operator may see."""
    member, places = lb.member_ranks(actor_of(request), member_id, params.period)
    return {
        "member_id": member.pk,
        "places": [
            {
                "scope": board.scope,
                "scope_id": board.scope_id,
                "period": board.period,
                "rank": place.rank if place else None,
                "points": place.points if place else 0,
            }
            for board, place in places
        ],
    }
