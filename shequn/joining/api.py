"""API v1 of joining (docs/joining.md): join policy, waitlist, leave requests, removal, the
rejoin permission and the blacklist. A conflict with the current state (already decided,
lifted, closed) is a 409 problem; bad input 422; out of scope 404; not allowed 403."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from shequn.accounts.api import actor_of
from shequn.core.problems import problem_response, problem_responses
from shequn.core.ratelimit import rate_limit_account
from shequn.core.schemas import (
    InputSchema,
    ObjectId,
    PageMeta,
    PageParams,
    PathId,
    SearchText,
    paginate,
)
from shequn.joining import selectors, services
from shequn.joining.models import (
    JoinPolicy,
    LeaveRequestStatus,
    RejoinPolicy,
    WaitlistStatus,
)
from shequn.joining.rules import get_join_policy
from shequn.members.models import Channel
from shequn.members.selectors import get_member_for_user, get_membership_for_user
from shequn.organizations.selectors import get_community_for_user

router = Router(tags=["joining"])

CONFLICTS = frozenset(
    {"already_decided", "already_lifted", "already_closed", "not_waiting", "already_ended"}
)
TEXT = 5000
REASON = services.REASON_MAX_LENGTH


def _conflict(exc: ValidationError) -> HttpResponse:
    if getattr(exc, "code", None) in CONFLICTS:
        return problem_response(status=409, title=_("Conflict"), detail=" ".join(exc.messages))
    raise exc


class JoinPolicyOut(Schema):
    community_id: int
    waitlist_enabled: bool
    offer_hours: int
    rejoin_policy: RejoinPolicy
    leave_review: bool
    paid_requires_application: bool
    min_level: int | None
    rights_duties: str
    perks: str
    next_steps: str


class JoinPolicyIn(InputSchema):
    waitlist_enabled: bool = False
    offer_hours: int = Field(48, ge=1, le=services.MAX_OFFER_HOURS)
    rejoin_policy: RejoinPolicy = RejoinPolicy.BY_REQUEST
    leave_review: bool = False
    paid_requires_application: bool = False
    min_level: int | None = Field(
        None, ge=1, le=99, description="Only members of at least this points level enter."
    )
    rights_duties: str = Field("", max_length=TEXT)
    perks: str = Field("", max_length=TEXT)
    next_steps: str = Field("", max_length=TEXT)


class WaitlistEntryOut(Schema):
    id: int
    community_id: int
    member_id: int
    status: WaitlistStatus
    offered_at: datetime | None
    offer_expires_at: datetime | None
    created_at: datetime


class WaitlistPage(PageMeta):
    items: list[WaitlistEntryOut]


class WaitlistFilters(Schema):
    status: WaitlistStatus | None = None


class LeaveRequestOut(Schema):
    id: int
    community_id: int
    member_id: int
    membership_id: int
    reason: str
    status: LeaveRequestStatus
    decided_at: datetime | None
    created_at: datetime


class LeaveRequestPage(PageMeta):
    items: list[LeaveRequestOut]


class LeaveFilters(Schema):
    status: LeaveRequestStatus = LeaveRequestStatus.PENDING
    community_id: ObjectId | None = None


class LeaveIn(InputSchema):
    membership_id: ObjectId
    reason: str = Field("", max_length=REASON)


class ReasonIn(InputSchema):
    reason: str = Field(..., min_length=1, max_length=REASON)


class OptionalReasonIn(InputSchema):
    reason: str = Field("", max_length=REASON)


class MembershipEndOut(Schema):
    id: int
    status: str
    end_reason: str
    left_by_request: bool
    rejoin_allowed: bool


class BlacklistOut(Schema):
    id: int
    member_id: int | None
    display_name: str
    phone: str
    email: str
    identities: list[dict[str, str]]
    reason: str
    created_at: datetime
    lifted_at: datetime | None
    lift_reason: str


class BlacklistPage(PageMeta):
    items: list[BlacklistOut]


class BlacklistFilters(Schema):
    lifted: bool = False
    q: SearchText = Field("", description="Part of the name, phone, email or reason.")


class BlacklistIn(InputSchema):
    reason: str = Field(..., min_length=1, max_length=REASON)
    member_id: ObjectId | None = Field(
        None,
        description="Copies the member's phone, email and accounts; removes them from "
        "every community.",
    )
    display_name: str = Field("", max_length=64)
    phone: str = Field("", max_length=32)
    email: str = Field("", max_length=254)
    channel: Channel | None = None
    external_id: str = Field("", max_length=128)


def _policy_out(policy: JoinPolicy) -> dict[str, Any]:
    return {"community_id": policy.community_id} | {
        f: getattr(policy, f) for f in services.POLICY_FIELDS
    }


@router.get(
    "/communities/{community_id}/join-policy",
    response=JoinPolicyOut,
    openapi_extra=problem_responses(403, 404, 422),
)
def get_policy(request: HttpRequest, community_id: PathId) -> Any:
    """The community's joining rules (the defaults when none were saved)."""
    community = get_community_for_user(actor=actor_of(request), community_id=community_id)
    return _policy_out(get_join_policy(community))


@router.put(
    "/communities/{community_id}/join-policy",
    response=JoinPolicyOut,
    openapi_extra=problem_responses(403, 404, 422),
)
def put_policy(request: HttpRequest, community_id: PathId, payload: JoinPolicyIn) -> Any:
    """Replace the community's joining rules (chapter heads of its chapter and admins)."""
    actor = actor_of(request)
    community = get_community_for_user(actor=actor, community_id=community_id)
    policy = services.update_join_policy(actor=actor, community=community, data=payload.dict())
    return _policy_out(policy)


@router.get(
    "/communities/{community_id}/waitlist",
    response=WaitlistPage,
    openapi_extra=problem_responses(403, 404, 422),
)
def list_waitlist(
    request: HttpRequest,
    community_id: PathId,
    filters: Query[WaitlistFilters],
    page: Query[PageParams],
) -> dict[str, Any]:
    """The waitlist in its order; waiting and offered entries unless `status` says."""
    community = get_community_for_user(actor=actor_of(request), community_id=community_id)
    entries = selectors.list_waitlist(community=community, status=filters.status or "")
    return paginate(entries, page)


@router.post(
    "/waitlist/{entry_id}/offer",
    response=WaitlistEntryOut,
    openapi_extra=problem_responses(403, 404, 409, 422),
)
def offer_waitlist_entry(request: HttpRequest, entry_id: PathId) -> Any:
    """Offer a free seat to this person now (422 when the community has none)."""
    actor = actor_of(request)
    entry = selectors.get_waitlist_entry_for_user(actor=actor, entry_id=entry_id)
    try:
        return services.offer_seat_now(actor=actor, entry=entry)
    except ValidationError as exc:
        return _conflict(exc)


@router.delete(
    "/waitlist/{entry_id}",
    response={204: None},
    openapi_extra=problem_responses(403, 404, 409, 422),
)
def delete_waitlist_entry(request: HttpRequest, entry_id: PathId) -> Any:
    """Take the person off the waitlist (the entry is kept as CANCELLED)."""
    actor = actor_of(request)
    entry = selectors.get_waitlist_entry_for_user(actor=actor, entry_id=entry_id)
    try:
        services.remove_waitlist_entry(actor=actor, entry=entry)
    except ValidationError as exc:
        return _conflict(exc)
    return Status(204, None)


@router.get("/leave-requests", response=LeaveRequestPage, openapi_extra=problem_responses(422))
def list_leave_requests(
    request: HttpRequest, filters: Query[LeaveFilters], page: Query[PageParams]
) -> dict[str, Any]:
    """Leave requests in the token's scope, newest first (pending unless `status` says)."""
    leaves = selectors.list_leave_requests(
        actor=actor_of(request), community_id=filters.community_id, status=filters.status
    )
    return paginate(leaves, page)


@router.post(
    "/leave-requests",
    response={201: LeaveRequestOut},
    openapi_extra=problem_responses(403, 404, 409, 422, 429),
)
def create_leave_request(request: HttpRequest, payload: LeaveIn) -> Any:
    """An integrator records a member's request to leave (e.g. asked in the chat). Without
    leave review it takes effect at once (status `done`)."""
    actor = actor_of(request)
    rate_limit_account(request, "leave", user=actor.user)
    membership = get_membership_for_user(actor=actor, membership_id=payload.membership_id)
    actor.require(
        actor.can_manage_members_of(membership.community_id, membership.community.chapter_id)
    )
    try:
        leave = services.request_leave(membership=membership, reason=payload.reason)
    except ValidationError as exc:
        return _conflict(exc)
    return Status(201, leave)


@router.post(
    "/leave-requests/{leave_id}/confirm",
    response=LeaveRequestOut,
    openapi_extra=problem_responses(403, 404, 409, 422),
)
def confirm_leave_request(request: HttpRequest, leave_id: PathId) -> Any:
    """Confirm a pending leave request: the member leaves (by request)."""
    actor = actor_of(request)
    leave = selectors.get_leave_request_for_user(actor=actor, leave_id=leave_id)
    try:
        return services.confirm_leave_request(actor=actor, leave=leave)
    except ValidationError as exc:
        return _conflict(exc)


@router.post(
    "/memberships/{membership_id}/remove",
    response=MembershipEndOut,
    openapi_extra=problem_responses(403, 404, 409, 422),
)
def remove_membership(request: HttpRequest, membership_id: PathId, payload: ReasonIn) -> Any:
    """Remove the member from the community, with the reason (they may not rejoin by default)."""
    actor = actor_of(request)
    membership = get_membership_for_user(actor=actor, membership_id=membership_id)
    try:
        return services.remove_member(actor=actor, membership=membership, reason=payload.reason)
    except ValidationError as exc:
        return _conflict(exc)


@router.post(
    "/memberships/{membership_id}/allow-rejoin",
    response=MembershipEndOut,
    openapi_extra=problem_responses(403, 404, 409, 422),
)
def allow_rejoin(
    request: HttpRequest, membership_id: PathId, payload: OptionalReasonIn | None = None
) -> Any:
    """Let a member whose last stint bars them join again."""
    actor = actor_of(request)
    membership = get_membership_for_user(actor=actor, membership_id=membership_id)
    reason = payload.reason if payload else ""
    try:
        return services.allow_rejoin(actor=actor, membership=membership, reason=reason)
    except ValidationError as exc:
        if exc.code == "already_member":
            return problem_response(status=409, title=_("Conflict"), detail=" ".join(exc.messages))
        raise


@router.get("/blacklist", response=BlacklistPage, openapi_extra=problem_responses(403, 422))
def list_blacklist(
    request: HttpRequest, filters: Query[BlacklistFilters], page: Query[PageParams]
) -> dict[str, Any]:
    """Standing entries (or lifted ones with `lifted=true`), newest first."""
    actor = actor_of(request)
    actor.require(selectors.can_see_blacklist(actor))
    return paginate(selectors.list_blacklist(actor=actor, lifted=filters.lifted, q=filters.q), page)


@router.post(
    "/blacklist", response={201: BlacklistOut}, openapi_extra=problem_responses(403, 404, 422)
)
def create_blacklist_entry(request: HttpRequest, payload: BlacklistIn) -> Any:
    """Blacklist a member (`member_id`) or a person by phone, email or channel account."""
    actor = actor_of(request)
    actor.require(selectors.can_see_blacklist(actor))
    member = None
    if payload.member_id is not None:
        member = get_member_for_user(actor=actor, member_id=payload.member_id)
    entry = services.add_to_blacklist(
        actor=actor,
        member=member,
        reason=payload.reason,
        display_name=payload.display_name,
        phone=payload.phone,
        email=payload.email,
        channel=payload.channel or "",
        external_id=payload.external_id,
    )
    return Status(201, entry)


@router.get(
    "/blacklist/{entry_id}", response=BlacklistOut, openapi_extra=problem_responses(403, 404, 422)
)
def get_blacklist_entry(request: HttpRequest, entry_id: PathId) -> Any:
    return selectors.get_blacklist_entry_for_user(actor=actor_of(request), entry_id=entry_id)


@router.post(
    "/blacklist/{entry_id}/lift",
    response=BlacklistOut,
    openapi_extra=problem_responses(403, 404, 409, 422),
)
def lift_blacklist_entry(request: HttpRequest, entry_id: PathId, payload: ReasonIn) -> Any:
    """Lift the entry (kept as a record): the person may join again."""
    actor = actor_of(request)
    entry = selectors.get_blacklist_entry_for_user(actor=actor, entry_id=entry_id)
    try:
        return services.lift_blacklist_entry(actor=actor, entry=entry, reason=payload.reason)
    except ValidationError as exc:
        return _conflict(exc)
