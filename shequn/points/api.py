"""API v1 of points (docs/points.md): rules, settings, levels (reads: every operator; writes:
organisation admins), a member's points and ledger (the members in the token's scope), and
adjustments and reversals (organisation admins and chapter heads). What the zero rule refuses
(not enough points), a second reversal and the reversal of a reversal are 409 problems."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from shequn.accounts.api import actor_of
from shequn.activity.models import ActivityKind
from shequn.core.problems import django_errors, problem_response, problem_responses
from shequn.core.schemas import (
    InputSchema,
    ObjectId,
    PageMeta,
    PageParams,
    PatchSchema,
    PathId,
    paginate,
)
from shequn.points import selectors, services
from shequn.points.ledger import NotEnoughPointsError
from shequn.points.models import (
    CUSTOM_NAME_MAX_LENGTH,
    MAX_COOLDOWN_MINUTES,
    MAX_DAILY_CAP,
    MAX_POINTS,
    NOTE_MAX_LENGTH,
    EntryReason,
    LedgerEntry,
    Level,
    PointRule,
    PointSettings,
)

router = Router(tags=["points"])

Points = Annotated[int, Field(ge=-MAX_POINTS, le=MAX_POINTS)]
DailyCap = Annotated[int, Field(ge=1, le=MAX_DAILY_CAP)]
Cooldown = Annotated[int, Field(ge=0, le=MAX_COOLDOWN_MINUTES)]
CustomName = Annotated[str, Field(max_length=CUSTOM_NAME_MAX_LENGTH)]
Note = Annotated[str, Field(min_length=1, max_length=NOTE_MAX_LENGTH)]
# Conflicts with the ledger's state (409): the codes of shequn.points.ledger.
LEDGER_CONFLICTS = frozenset({"not_enough_points", "already_reversed", "reverse_reversal"})


def _invalid(exc: ValidationError) -> HttpResponse:
    errors = django_errors(exc)
    detail = errors[0]["msg"] if len(errors) == 1 else _("The request has invalid fields.")
    return problem_response(status=422, title=_("Invalid input"), detail=detail, errors=errors)


def _refused(exc: ValidationError) -> HttpResponse:
    """A 409 for a conflict with the ledger's state, else a 422."""
    codes = {getattr(e, "code", None) for e in getattr(exc, "error_list", [])}
    if isinstance(exc, NotEnoughPointsError) or codes & LEDGER_CONFLICTS:
        return problem_response(status=409, title=_("Conflict"), detail=" ".join(exc.messages))
    return _invalid(exc)


# --- schemas ------------------------------------------------------------------------------------


class RuleOut(Schema):
    id: int
    kind: ActivityKind
    custom_name: str = Field(description="Custom activities: their `properties.name`.")
    community_id: int | None = Field(description="Null: the organisation's rule.")
    points: int = Field(description="Negative: a penalty.")
    daily_cap: int | None = Field(description="Points a member may get a day; null: no cap.")
    cooldown_minutes: int = Field(description="At most one award per N-minute slot; 0: none.")
    is_active: bool
    updated_at: datetime


class RulePage(PageMeta):
    items: list[RuleOut]


class RuleIn(InputSchema):
    kind: ActivityKind
    custom_name: CustomName = ""
    community_id: ObjectId | None = Field(None, description="A community's override.")
    points: Points
    daily_cap: DailyCap | None = None
    cooldown_minutes: Cooldown = 0
    is_active: bool = True


class RulePatch(PatchSchema):
    nullable_fields = frozenset({"community_id", "daily_cap"})

    kind: ActivityKind | None = None
    custom_name: CustomName | None = None
    community_id: ObjectId | None = None
    points: Points | None = None
    daily_cap: DailyCap | None = None
    cooldown_minutes: Cooldown | None = None
    is_active: bool | None = None


class SettingsOut(Schema):
    expiry_months: int | None = Field(description="Points expire after N months; null: never.")
    referral_points: int
    referral_days: int


class SettingsIn(InputSchema):
    expiry_months: Annotated[int, Field(ge=1, le=120)] | None = None
    referral_points: Annotated[int, Field(ge=0, le=MAX_POINTS)] = 20
    referral_days: Annotated[int, Field(ge=1, le=365)] = 7


class LevelOut(Schema):
    number: int
    name: str
    threshold: int = Field(description="From this many points earned in all.")
    badge: str


class LevelIn(InputSchema):
    name: Annotated[str, Field(min_length=1, max_length=30)]
    threshold: Annotated[int, Field(ge=0, le=10**9)]
    badge: Annotated[str, Field(max_length=8)] = ""


class LevelsIn(InputSchema):
    levels: list[LevelIn] = Field(..., min_length=1, max_length=services.MAX_LEVELS)


class LevelsOut(Schema):
    levels: list[LevelOut]


class MemberPointsOut(Schema):
    member_id: int
    balance: int
    earned: int = Field(description="Earned in all (levels follow it; spending never lowers it).")
    level: LevelOut | None
    next_level: LevelOut | None
    progress: int = Field(description="Percent of the way from the level to the next one.")


class EntryOut(Schema):
    id: int
    member_id: int
    delta: int
    reason: EntryReason
    note: str
    community_id: int | None
    activity_id: int | None
    rule_id: int | None
    actor: str | None = Field(description="The operator who wrote it; null: automatic.")
    reverses_id: int | None
    earning: bool = Field(description="Counts towards the points earned in all.")
    occurred_at: datetime
    created_at: datetime

    @staticmethod
    def resolve_actor(obj: LedgerEntry) -> str | None:
        return obj.actor.get_username() if obj.actor else None


class EntryPage(PageMeta):
    items: list[EntryOut]


class AdjustmentIn(InputSchema):
    points: Points = Field(description="Positive to add, negative to take away (not 0).")
    note: Note = Field(description="The reason, shown to the member.")
    penalty: bool = Field(False, description="A penalty: always taken away, may go below 0.")


class ReversalIn(InputSchema):
    note: Note


def _settings_out(row: PointSettings) -> dict[str, Any]:
    return {
        "expiry_months": row.expiry_months,
        "referral_points": row.referral_points,
        "referral_days": row.referral_days,
    }


def _levels_out(levels: list[Level]) -> dict[str, Any]:
    return {"levels": levels}


def _rule_data(rule: PointRule) -> dict[str, Any]:
    return {
        "kind": rule.kind,
        "custom_name": rule.custom_name,
        "community": rule.community_id,
        "points": rule.points,
        "daily_cap": rule.daily_cap,
        "cooldown_minutes": rule.cooldown_minutes,
        "is_active": rule.is_active,
    }


def _data(fields: dict[str, Any]) -> dict[str, Any]:
    data = dict(fields)
    if "community_id" in data:
        data["community"] = data.pop("community_id")
    return data


# --- rules --------------------------------------------------------------------------------------


@router.get("/points/rules", response=RulePage, openapi_extra=problem_responses(422))
def list_rules(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    """The organisation's rules, then the communities' overrides."""
    return paginate(selectors.list_rules(actor=actor_of(request)), page)


@router.post("/points/rules", response={201: RuleOut}, openapi_extra=problem_responses(403, 422))
def create_rule(request: HttpRequest, payload: RuleIn) -> Any:
    """A new rule (organisation admins); with `community_id`, that community's override."""
    try:
        rule = services.save_rule(actor=actor_of(request), data=_data(payload.dict()))
    except ValidationError as exc:
        return _invalid(exc)
    return Status(201, rule)


@router.get("/points/rules/{rule_id}", response=RuleOut, openapi_extra=problem_responses(404, 422))
def get_rule(request: HttpRequest, rule_id: PathId) -> PointRule:
    return selectors.get_rule(actor=actor_of(request), rule_id=rule_id)


@router.patch(
    "/points/rules/{rule_id}", response=RuleOut, openapi_extra=problem_responses(403, 404, 422)
)
def update_rule(request: HttpRequest, rule_id: PathId, payload: RulePatch) -> Any:
    """Change a rule: only the fields sent (`is_active: false` switches it off)."""
    actor = actor_of(request)
    actor.require(selectors.can_manage_points(actor))
    rule = selectors.get_rule(actor=actor, rule_id=rule_id)
    data = _rule_data(rule) | _data(payload.changes())
    try:
        return services.save_rule(actor=actor, data=data, rule=rule)
    except ValidationError as exc:
        return _invalid(exc)


@router.delete(
    "/points/rules/{rule_id}",
    response={204: None},
    openapi_extra=problem_responses(403, 404, 422),
)
def delete_rule(request: HttpRequest, rule_id: PathId) -> Any:
    """Delete a rule: it stops awarding; the points it gave stay in the ledger."""
    actor = actor_of(request)
    actor.require(selectors.can_manage_points(actor))
    rule = selectors.get_rule(actor=actor, rule_id=rule_id)
    services.delete_rule(actor=actor, rule=rule)
    return Status(204, None)


# --- settings and levels ------------------------------------------------------------------------


@router.get("/points/settings", response=SettingsOut, openapi_extra=problem_responses())
def get_settings(request: HttpRequest) -> dict[str, Any]:
    return _settings_out(selectors.get_settings(actor_of(request).organization))


@router.put("/points/settings", response=SettingsOut, openapi_extra=problem_responses(403, 422))
def put_settings(request: HttpRequest, payload: SettingsIn) -> Any:
    """Expiry and the referral award (organisation admins)."""
    try:
        row = services.save_settings(actor=actor_of(request), data=payload.dict())
    except ValidationError as exc:
        return _invalid(exc)
    return _settings_out(row)


@router.get("/points/levels", response=LevelsOut, openapi_extra=problem_responses())
def get_levels(request: HttpRequest) -> dict[str, Any]:
    return _levels_out(selectors.list_levels(actor_of(request).organization))


@router.put("/points/levels", response=LevelsOut, openapi_extra=problem_responses(403, 422))
def put_levels(request: HttpRequest, payload: LevelsIn) -> Any:
    """Replace the whole list of levels (organisation admins): thresholds rising from 0."""
    levels = [level.dict() for level in payload.levels]
    try:
        made = services.save_levels(actor=actor_of(request), levels=levels)
    except ValidationError as exc:
        return _invalid(exc)
    return _levels_out(made)


# --- a member's points --------------------------------------------------------------------------


@router.get(
    "/members/{member_id}/points",
    response=MemberPointsOut,
    openapi_extra=problem_responses(404, 422),
)
def member_points(request: HttpRequest, member_id: PathId) -> dict[str, Any]:
    member = selectors.get_member(actor=actor_of(request), member_id=member_id)
    points = selectors.points_of(member)
    current, nxt, percent = selectors.progress(member)
    return {
        "member_id": member.pk,
        "balance": points.balance,
        "earned": points.earned,
        "level": current,
        "next_level": nxt,
        "progress": percent,
    }


@router.get(
    "/members/{member_id}/points/entries",
    response=EntryPage,
    openapi_extra=problem_responses(404, 422),
)
def member_entries(
    request: HttpRequest, member_id: PathId, page: Query[PageParams]
) -> dict[str, Any]:
    """The member's ledger, newest first."""
    member = selectors.get_member(actor=actor_of(request), member_id=member_id)
    return paginate(selectors.member_ledger(member).select_related("actor"), page)


@router.post(
    "/members/{member_id}/points/adjustments",
    response={201: EntryOut},
    openapi_extra=problem_responses(403, 404, 409, 422),
)
def adjust(request: HttpRequest, member_id: PathId, payload: AdjustmentIn) -> Any:
    """An adjustment with a reason (organisation admins, chapter heads); a taking away the
    balance cannot cover is a 409, unless it is a `penalty`."""
    actor = actor_of(request)
    member = selectors.get_member(actor=actor, member_id=member_id)
    try:
        entry = services.adjust_points(
            actor=actor,
            member=member,
            points=payload.points,
            note=payload.note,
            penalty=payload.penalty,
        )
    except ValidationError as exc:
        return _refused(exc)
    return Status(201, entry)


@router.post(
    "/points/entries/{entry_id}/reversal",
    response={201: EntryOut},
    openapi_extra=problem_responses(403, 404, 409, 422),
)
def reverse_entry(request: HttpRequest, entry_id: PathId, payload: ReversalIn) -> Any:
    """Reverse an entry with a reason (organisation admins, chapter heads): 409 when it is
    reversed already, is a reversal, or the balance cannot cover it."""
    actor = actor_of(request)
    entry = selectors.get_entry(actor=actor, entry_id=entry_id)
    try:
        reversal = services.reverse(actor=actor, entry=entry, note=payload.note)
    except ValidationError as exc:
        return _refused(exc)
    return Status(201, reversal)
