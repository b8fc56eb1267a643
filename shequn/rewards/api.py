"""API v1 of rewards (docs/rewards.md), for operators: rewards (list, create, get, patch; the
catalogue is for organisation admins, 403 otherwise), coupon codes (add), redemptions (list,
get, fulfil, cancel: organisation admins and chapter heads, for the members of their chapter).
Members redeem in the member pages, not here. Assistants get a 403 on every operation."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from shequn.accounts.api import actor_of
from shequn.core.problems import problem_response, problem_responses
from shequn.core.schemas import (
    InputSchema,
    ObjectId,
    PageMeta,
    PageParams,
    PatchSchema,
    PathId,
    paginate,
)
from shequn.rewards import selectors, services
from shequn.rewards.models import (
    DESCRIPTION_MAX_LENGTH,
    MAX_CODES_PER_UPLOAD,
    MAX_COST,
    MAX_STOCK,
    NAME_MAX_LENGTH,
    NOTE_MAX_LENGTH,
    CouponCode,
    Redemption,
    RedemptionStatus,
    RewardKind,
)

router = Router(tags=["rewards"])

Name = Annotated[str, Field(min_length=1, max_length=NAME_MAX_LENGTH)]
Description = Annotated[str, Field(max_length=DESCRIPTION_MAX_LENGTH)]
Cost = Annotated[int, Field(ge=1, le=MAX_COST)]
Stock = Annotated[int, Field(ge=0, le=MAX_STOCK)]
Positive = Annotated[int, Field(ge=1, le=MAX_STOCK)]
Note = Annotated[str, Field(max_length=NOTE_MAX_LENGTH)]


class RewardOut(Schema):
    id: int
    kind: RewardKind
    name: str
    description: str
    community_id: int | None
    cost: int
    stock: int | None = Field(description="Null: unlimited. Coupons: the free codes.")
    per_member_limit: int | None
    min_level: int | None = Field(description="The lowest `Level.number`; null: every level.")
    available_from: datetime | None
    available_until: datetime | None
    is_active: bool
    created_at: datetime


class RewardPage(PageMeta):
    items: list[RewardOut]


class RewardIn(InputSchema):
    kind: RewardKind
    name: Name
    description: Description = ""
    community_id: ObjectId | None = None
    cost: Cost
    stock: Stock | None = Field(None, description="Null: unlimited. Ignored for coupons.")
    per_member_limit: Positive | None = None
    min_level: Positive | None = None
    available_from: datetime | None = None
    available_until: datetime | None = None
    is_active: bool = True


class RewardPatch(PatchSchema):
    nullable_fields = frozenset(
        {
            "community_id",
            "stock",
            "per_member_limit",
            "min_level",
            "available_from",
            "available_until",
        }
    )

    name: Name | None = None
    description: Description | None = None
    community_id: ObjectId | None = None
    cost: Cost | None = None
    stock: Stock | None = Field(None, description="Not for coupons (their free codes).")
    per_member_limit: Positive | None = None
    min_level: Positive | None = None
    available_from: datetime | None = None
    available_until: datetime | None = None
    is_active: bool | None = None


class CodesIn(InputSchema):
    codes: list[Annotated[str, Field(min_length=1)]] = Field(
        ..., min_length=1, max_length=MAX_CODES_PER_UPLOAD
    )


class CodesOut(Schema):
    added: int
    free: int


class RedemptionOut(Schema):
    id: int
    reward_id: int
    member_id: int
    status: RedemptionStatus
    cost: int
    coupon_code: str | None
    note: str
    created_at: datetime
    fulfilled_at: datetime | None
    cancelled_at: datetime | None

    @staticmethod
    def resolve_coupon_code(obj: Redemption) -> str | None:
        try:
            return obj.coupon.code
        except CouponCode.DoesNotExist:
            return None


class RedemptionPage(PageMeta):
    items: list[RedemptionOut]


class RedemptionFilters(Schema):
    status: RedemptionStatus | None = None
    reward_id: ObjectId | None = None


class FulfilIn(InputSchema):
    note: Annotated[str, Field(min_length=1, max_length=NOTE_MAX_LENGTH)] = Field(
        ..., description="A note or a tracking number."
    )


class CancelIn(InputSchema):
    note: Note = ""


def _conflict(exc: ValidationError) -> HttpResponse | None:
    if getattr(exc, "code", None) != "not_requested":
        return None
    return problem_response(status=409, title=_("Conflict"), detail=" ".join(exc.messages))


def _fulfiller(request: HttpRequest) -> Any:
    actor = actor_of(request)
    actor.require(selectors.can_fulfil(actor))
    return actor


# --- rewards ------------------------------------------------------------------------------------


@router.get("/rewards", response=RewardPage, openapi_extra=problem_responses(403, 422))
def list_rewards(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    """The organisation's rewards, by cost (organisation admins and chapter heads)."""
    actor = _fulfiller(request)
    return paginate(selectors.list_rewards(actor=actor), page)


@router.post("/rewards", response={201: RewardOut}, openapi_extra=problem_responses(403, 422))
def create_reward(request: HttpRequest, payload: RewardIn) -> Any:
    """A new reward (organisation admins). A coupon reward starts with no codes."""
    data = payload.dict()
    kind = data.pop("kind")
    reward = services.create_reward(actor=actor_of(request), kind=kind, data=data)
    return Status(201, reward)


@router.get(
    "/rewards/{reward_id}", response=RewardOut, openapi_extra=problem_responses(403, 404, 422)
)
def get_reward(request: HttpRequest, reward_id: PathId) -> Any:
    return selectors.get_reward(actor=_fulfiller(request), reward_id=reward_id)


@router.patch(
    "/rewards/{reward_id}", response=RewardOut, openapi_extra=problem_responses(403, 404, 422)
)
def update_reward(request: HttpRequest, reward_id: PathId, payload: RewardPatch) -> Any:
    """Change a reward (organisation admins); `is_active: false` switches it off."""
    actor = actor_of(request)
    actor.require(selectors.can_manage_rewards(actor))
    reward = selectors.get_reward(actor=actor, reward_id=reward_id)
    changes = payload.changes()
    if reward.is_coupon and "stock" in changes:
        raise ValidationError(
            {"stock": [_("A coupon reward's stock is its free codes: add codes instead.")]}
        )
    return services.update_reward(actor=actor, reward=reward, data=changes)


@router.post(
    "/rewards/{reward_id}/codes",
    response={201: CodesOut},
    openapi_extra=problem_responses(403, 404, 422),
)
def add_codes(request: HttpRequest, reward_id: PathId, payload: CodesIn) -> Any:
    """Add coupon codes (all or none: a bad or duplicate code is a 422 that adds nothing)."""
    actor = actor_of(request)
    actor.require(selectors.can_manage_rewards(actor))
    reward = selectors.get_reward(actor=actor, reward_id=reward_id)
    added = services.add_codes(actor=actor, reward=reward, text="\n".join(payload.codes))
    reward.refresh_from_db()
    return Status(201, {"added": added, "free": reward.stock or 0})


# --- redemptions --------------------------------------------------------------------------------


@router.get("/redemptions", response=RedemptionPage, openapi_extra=problem_responses(403, 422))
def list_redemptions(
    request: HttpRequest, filters: Query[RedemptionFilters], page: Query[PageParams]
) -> dict[str, Any]:
    """Redemptions of the members in the token's scope, newest first."""
    rows = selectors.list_redemptions(actor=_fulfiller(request))
    if filters.status:
        rows = rows.filter(status=filters.status)
    if filters.reward_id:
        rows = rows.filter(reward_id=filters.reward_id)
    return paginate(rows, page)


@router.get(
    "/redemptions/{redemption_id}",
    response=RedemptionOut,
    openapi_extra=problem_responses(403, 404, 422),
)
def get_redemption(request: HttpRequest, redemption_id: PathId) -> Any:
    return selectors.get_redemption(actor=_fulfiller(request), redemption_id=redemption_id)


@router.post(
    "/redemptions/{redemption_id}/fulfil",
    response=RedemptionOut,
    openapi_extra=problem_responses(403, 404, 409, 422),
)
def fulfil_redemption(request: HttpRequest, redemption_id: PathId, payload: FulfilIn) -> Any:
    """Requested → fulfilled, with a note or a tracking number (409 in another status)."""
    actor = _fulfiller(request)
    redemption = selectors.get_redemption(actor=actor, redemption_id=redemption_id)
    try:
        services.fulfil(actor=actor, redemption=redemption, note=payload.note)
    except ValidationError as exc:
        conflict = _conflict(exc)
        if conflict is None:
            raise
        return conflict
    return selectors.get_redemption(actor=actor, redemption_id=redemption_id)


@router.post(
    "/redemptions/{redemption_id}/cancel",
    response=RedemptionOut,
    openapi_extra=problem_responses(403, 404, 409, 422),
)
def cancel_redemption(request: HttpRequest, redemption_id: PathId, payload: CancelIn) -> Any:
    """Cancel: the points come back (a refund entry), the stock too (409 when not possible)."""
    actor = _fulfiller(request)
    redemption = selectors.get_redemption(actor=actor, redemption_id=redemption_id)
    try:
        services.cancel(actor=actor, redemption=redemption, note=payload.note)
    except ValidationError as exc:
        conflict = _conflict(exc)
        if conflict is None:
            raise
        return conflict
    return selectors.get_redemption(actor=actor, redemption_id=redemption_id)
