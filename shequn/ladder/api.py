"""API v1 of the relationship ladder (docs/ladder.md): the funnel, movement between two dates,
transitions (who moved), a member's stage, pins and the rules. Out of scope: 404; not allowed:
403; bad input: 422."""

from __future__ import annotations

import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from shequn.accounts.api import actor_of
from shequn.core.problems import problem_responses
from shequn.core.schemas import InputSchema, ObjectId, PageMeta, PageParams, PathId, paginate
from shequn.ladder import selectors, services
from shequn.ladder.compute import rules_for
from shequn.ladder.models import PIN_REASON_MAX_LENGTH, TransitionCause
from shequn.members.selectors import get_member_for_user

router = Router(tags=["ladder"])


class ScopeParams(Schema):
    chapter_id: ObjectId | None = Field(None, description="A chapter's funnel.")
    community_id: ObjectId | None = Field(None, description="A community's funnel.")


class PeriodParams(ScopeParams):
    start: datetime.date | None = Field(
        None, description="First day (organisation's time zone); the 1st of this month."
    )
    end: datetime.date | None = Field(
        None, description="Last day, included, at most 366 days on; today by default."
    )

    def period(self, time_zone: str) -> tuple[datetime.date, datetime.date]:
        from zoneinfo import ZoneInfo

        from django.utils import timezone

        today = timezone.now().astimezone(ZoneInfo(time_zone)).date()
        return self.start or today.replace(day=1), self.end or today


class FunnelStepOut(Schema):
    stage: int
    label: str
    members: int
    share: float
    reached: int


class FunnelOut(Schema):
    scope: str
    scope_id: int
    steps: list[FunnelStepOut]


class MovementOut(Schema):
    from_stage: int | None = Field(description="Empty: placed on the ladder for the first time.")
    to_stage: int
    members: int


class TransitionOut(Schema):
    id: int
    member_id: int
    from_stage: int | None
    to_stage: int
    occurred_at: datetime.datetime
    cause: TransitionCause
    engagement_count: int
    long_engagement_count: int
    purchase_count: int
    reason: str


class TransitionPage(PageMeta):
    items: list[TransitionOut]


class TransitionFilters(PeriodParams):
    from_stage: int | None = Field(None, ge=0, le=6)
    to_stage: int | None = Field(None, ge=0, le=6)
    first_placement: bool = False


class MemberStageOut(Schema):
    member_id: int
    stage: int | None
    computed_stage: int | None
    since: datetime.datetime | None
    pinned: bool
    pin_reason: str
    last_active_at: datetime.datetime | None
    purchase_count: int


class PinIn(InputSchema):
    stage: int = Field(..., ge=0, le=6)
    reason: str = Field(..., min_length=1, max_length=PIN_REASON_MAX_LENGTH)


class LadderRulesIO(InputSchema):
    understands_min_activities: int = Field(..., ge=1, le=10_000)
    understands_window_days: int = Field(..., ge=1, le=365)
    familiar_min_member_days: int = Field(..., ge=1, le=3650)
    familiar_min_activities: int = Field(..., ge=1, le=100_000)
    familiar_window_days: int = Field(..., ge=1, le=730)
    bought_min_purchases: int = Field(..., ge=1, le=1000)
    bought_again_min_purchases: int = Field(..., ge=2, le=1000)


def _scope(request: HttpRequest, params: ScopeParams) -> selectors.LadderScope:
    return selectors.get_ladder_scope(
        actor=actor_of(request), chapter_id=params.chapter_id, community_id=params.community_id
    )


@router.get("/ladder/funnel", response=FunnelOut, openapi_extra=problem_responses(403, 404, 422))
def funnel(request: HttpRequest, params: Query[ScopeParams]) -> dict[str, Any]:
    """Members on each stage of the organisation (admins), a chapter or a community."""
    scope = _scope(request, params)
    steps = selectors.stage_funnel(actor=actor_of(request), scope=scope)
    return {"scope": scope.kind, "scope_id": scope.id, "steps": steps}


@router.get(
    "/ladder/movement",
    response=list[MovementOut],
    openapi_extra=problem_responses(403, 404, 422),
)
def movement(request: HttpRequest, params: Query[PeriodParams]) -> list[selectors.Movement]:
    """How many members moved between each pair of stages from `start` to `end`."""
    actor = actor_of(request)
    start, end = params.period(actor.organization.time_zone)
    return selectors.stage_movement(
        actor=actor, scope=_scope(request, params), start=start, end=end
    )


@router.get(
    "/ladder/transitions",
    response=TransitionPage,
    openapi_extra=problem_responses(403, 404, 422),
)
def transitions(
    request: HttpRequest, filters: Query[TransitionFilters], page: Query[PageParams]
) -> dict[str, Any]:
    """The stage changes of the period (newest first): who moved, when and why."""
    actor = actor_of(request)
    start, end = filters.period(actor.organization.time_zone)
    rows = selectors.list_movers(
        actor=actor,
        scope=_scope(request, filters),
        start=start,
        end=end,
        from_stage=filters.from_stage,
        to_stage=filters.to_stage,
        first_placement=filters.first_placement,
    )
    return paginate(rows, page)


def _stage_out(member_id: int, row: Any) -> dict[str, Any]:
    if row is None:
        return {
            "member_id": member_id,
            "stage": None,
            "computed_stage": None,
            "since": None,
            "pinned": False,
            "pin_reason": "",
            "last_active_at": None,
            "purchase_count": 0,
        }
    return {
        "member_id": member_id,
        "stage": row.stage,
        "computed_stage": row.computed_stage,
        "since": row.since,
        "pinned": row.pinned,
        "pin_reason": row.pin_reason,
        "last_active_at": row.last_active_at,
        "purchase_count": row.purchase_count,
    }


@router.get(
    "/members/{member_id}/stage",
    response=MemberStageOut,
    openapi_extra=problem_responses(403, 404, 422),
)
def member_stage(request: HttpRequest, member_id: PathId) -> dict[str, Any]:
    """A member's stage (empty before the first recompute)."""
    member = get_member_for_user(actor=actor_of(request), member_id=member_id)
    return _stage_out(member.pk, selectors.get_member_stage(member=member))


@router.get(
    "/members/{member_id}/stage/history",
    response=TransitionPage,
    openapi_extra=problem_responses(403, 404, 422),
)
def member_stage_history(
    request: HttpRequest, member_id: PathId, page: Query[PageParams]
) -> dict[str, Any]:
    """A member's stage changes, newest first."""
    member = get_member_for_user(actor=actor_of(request), member_id=member_id)
    return paginate(selectors.list_member_transitions(member=member), page)


@router.put(
    "/members/{member_id}/stage/pin",
    response=MemberStageOut,
    openapi_extra=problem_responses(403, 404, 422),
)
def pin(request: HttpRequest, member_id: PathId, payload: PinIn) -> dict[str, Any]:
    """Pin the member's stage by hand, with a reason (admins and chapter heads)."""
    actor = actor_of(request)
    member = get_member_for_user(actor=actor, member_id=member_id)
    row = services.pin_stage(actor=actor, member=member, stage=payload.stage, reason=payload.reason)
    return _stage_out(member.pk, row)


@router.delete(
    "/members/{member_id}/stage/pin",
    response=MemberStageOut,
    openapi_extra=problem_responses(403, 404, 422),
)
def unpin(request: HttpRequest, member_id: PathId) -> dict[str, Any]:
    """Remove the pin: the computed stage applies again (422 when not pinned)."""
    actor = actor_of(request)
    member = get_member_for_user(actor=actor, member_id=member_id)
    return _stage_out(member.pk, services.unpin_stage(actor=actor, member=member))


@router.get("/ladder/rules", response=LadderRulesIO, openapi_extra=problem_responses(403))
def get_rules(request: HttpRequest) -> Any:
    """The organisation's ladder rules (the documented defaults when none were saved)."""
    actor = actor_of(request)
    actor.require(actor.is_org_admin)
    return rules_for(actor.organization)


@router.put("/ladder/rules", response=LadderRulesIO, openapi_extra=problem_responses(403, 422))
def put_rules(request: HttpRequest, payload: LadderRulesIO) -> Any:
    """Replace the ladder rules (organisation admins); stages follow at the next recompute."""
    return services.save_ladder_rules(actor=actor_of(request), data=payload.dict())
