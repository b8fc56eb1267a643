"""API v1 of invitations: invite links, their QR codes and joins, and who brought whom.

Operators whose token may manage the members of a community create and change its links;
every operator token reads the links of its scope (docs/invitations.md).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from shequn.accounts.api import actor_of
from shequn.core.problems import problem_responses
from shequn.core.schemas import (
    DEFAULT_PAGE_LIMIT,
    MAX_PAGE_LIMIT,
    ApiDatetime,
    InputSchema,
    ObjectId,
    PageMeta,
    PageParams,
    PatchSchema,
    PathId,
    paginate,
)
from shequn.invitations.models import PURPOSE_MAX_LENGTH, InviteLink
from shequn.invitations.qr import landing_url, qr_download
from shequn.invitations.selectors import (
    LinkStatus,
    get_invite_link_for_user,
    get_link_status,
    list_invite_links,
    list_invitees,
    list_inviters,
    list_link_joins,
)
from shequn.invitations.services import (
    MAX_USES_LIMIT,
    create_invite_link,
    set_invite_link_enabled,
    update_invite_link,
)
from shequn.members.selectors import get_member_for_user
from shequn.organizations.selectors import get_community_for_user

router = Router(tags=["invitations"])


class InviterKind(StrEnum):
    ME = "me"
    MEMBER = "member"
    NONE = "none"


class InviteLinkOut(Schema):
    id: int
    community_id: int
    code: str
    url: str = Field(description="The landing address the QR code encodes.")
    purpose: str
    inviter_member_id: int | None
    inviter_operator_id: int | None
    personal: bool = Field(description="A member's own link (made on their invite page).")
    expires_at: datetime | None
    max_uses: int | None
    use_count: int
    still_in: int = Field(description="Joins through the link whose membership is still on.")
    status: LinkStatus
    disabled_at: datetime | None
    created_at: datetime

    @staticmethod
    def resolve_url(obj: InviteLink, context: dict[str, Any]) -> str:
        return landing_url(context["request"], obj)

    @staticmethod
    def resolve_personal(obj: InviteLink) -> bool:
        return obj.is_personal

    @staticmethod
    def resolve_status(obj: InviteLink) -> str:
        return get_link_status(obj).value

    @staticmethod
    def resolve_still_in(obj: InviteLink) -> int:
        return obj.still_in_count


class InviteLinkPage(PageMeta):
    items: list[InviteLinkOut]


class InviteLinkFilters(Schema):
    community_id: ObjectId | None = None
    inviter_member_id: ObjectId | None = None
    inviter_operator_id: ObjectId | None = None
    status: LinkStatus | None = None


class InviteLinkIn(InputSchema):
    community_id: ObjectId
    inviter: InviterKind = Field(
        InviterKind.ME,
        description="`me`: the token's operator; `member`: `inviter_member_id`; `none`: a "
        "purpose link (then `purpose` is required).",
    )
    inviter_member_id: ObjectId | None = None
    purpose: str = Field("", max_length=PURPOSE_MAX_LENGTH)
    expires_at: ApiDatetime | None = None
    max_uses: int | None = Field(None, ge=1, le=MAX_USES_LIMIT)


class InviteLinkPatch(PatchSchema):
    nullable_fields: ClassVar[frozenset[str]] = frozenset({"expires_at", "max_uses"})

    purpose: str | None = Field(None, max_length=PURPOSE_MAX_LENGTH)
    expires_at: ApiDatetime | None = None
    max_uses: int | None = Field(None, ge=1, le=MAX_USES_LIMIT)


class MemberRef(Schema):
    id: int
    display_name: str


class InviteJoinOut(Schema):
    id: int
    link_id: int
    community_id: int
    member: MemberRef
    inviter_member_id: int | None
    inviter_operator_id: int | None
    joined_at: datetime
    still_in: bool


class InviteJoinPage(PageMeta):
    items: list[InviteJoinOut]


class InviterOut(Schema):
    kind: str = Field(description="`member` or `operator`.")
    id: int
    name: str
    invitees: int
    still_in: int
    last_joined_at: datetime | None


class InviterList(Schema):
    items: list[InviterOut]


class InviterFilters(Schema):
    community_id: ObjectId | None = None
    limit: int = Field(DEFAULT_PAGE_LIMIT, ge=1, le=MAX_PAGE_LIMIT)


def _fresh(request: HttpRequest, link: InviteLink) -> InviteLink:
    return get_invite_link_for_user(actor=actor_of(request), link_id=link.pk)


@router.get("/invite-links", response=InviteLinkPage, openapi_extra=problem_responses(422))
def list_links(
    request: HttpRequest, filters: Query[InviteLinkFilters], page: Query[PageParams]
) -> dict[str, Any]:
    """Invite links into the token's communities, newest first."""
    links = list_invite_links(
        actor=actor_of(request),
        community_id=filters.community_id,
        inviter_member_id=filters.inviter_member_id,
        inviter_operator_id=filters.inviter_operator_id,
        status=filters.status.value if filters.status else "",
    )
    return paginate(links, page)


@router.post(
    "/invite-links",
    response={201: InviteLinkOut},
    openapi_extra=problem_responses(403, 404, 422),
)
def create_link(request: HttpRequest, payload: InviteLinkIn) -> Any:
    """A new link: the operator's own, a member's, or one for a purpose."""
    actor = actor_of(request)
    community = get_community_for_user(actor=actor, community_id=payload.community_id)
    member = None
    if payload.inviter == InviterKind.MEMBER:
        if payload.inviter_member_id is None:
            raise ValidationError({"inviter_member_id": _("Name the inviting member.")})
        member = get_member_for_user(actor=actor, member_id=payload.inviter_member_id)
    link = create_invite_link(
        actor=actor,
        community=community,
        purpose=payload.purpose,
        inviter_member=member,
        inviter_operator=payload.inviter == InviterKind.ME,
        expires_at=payload.expires_at,
        max_uses=payload.max_uses,
    )
    return Status(201, _fresh(request, link))


@router.get(
    "/invite-links/{link_id}", response=InviteLinkOut, openapi_extra=problem_responses(404, 422)
)
def get_link(request: HttpRequest, link_id: PathId) -> InviteLink:
    return get_invite_link_for_user(actor=actor_of(request), link_id=link_id)


@router.patch(
    "/invite-links/{link_id}",
    response=InviteLinkOut,
    openapi_extra=problem_responses(403, 404, 422),
)
def patch_link(request: HttpRequest, link_id: PathId, payload: InviteLinkPatch) -> InviteLink:
    """Change the purpose, expiry or maximum uses (null: none)."""
    actor = actor_of(request)
    link = get_invite_link_for_user(actor=actor, link_id=link_id)
    update_invite_link(actor=actor, link=link, **payload.changes())
    return _fresh(request, link)


def _switch(request: HttpRequest, link_id: int, *, enabled: bool) -> InviteLink:
    actor = actor_of(request)
    link = get_invite_link_for_user(actor=actor, link_id=link_id)
    set_invite_link_enabled(actor=actor, link=link, enabled=enabled)
    return _fresh(request, link)


@router.post(
    "/invite-links/{link_id}/disable",
    response=InviteLinkOut,
    openapi_extra=problem_responses(403, 404, 422),
)
def disable_link(request: HttpRequest, link_id: PathId) -> InviteLink:
    """Switch the link off: it brings nobody in; its joins stay attributed."""
    return _switch(request, link_id, enabled=False)


@router.post(
    "/invite-links/{link_id}/enable",
    response=InviteLinkOut,
    openapi_extra=problem_responses(403, 404, 422),
)
def enable_link(request: HttpRequest, link_id: PathId) -> InviteLink:
    return _switch(request, link_id, enabled=True)


def _qr_openapi(media_type: str) -> dict[str, Any]:
    return {
        "responses": {
            **problem_responses(404, 422)["responses"],
            200: {
                "description": "The QR code of the landing address, as an attachment.",
                "content": {media_type: {"schema": {"type": "string", "format": "binary"}}},
            },
        }
    }


@router.get(
    "/invite-links/{link_id}/qr.png", response={200: None}, openapi_extra=_qr_openapi("image/png")
)
def link_qr_png(request: HttpRequest, link_id: PathId) -> HttpResponse:
    link = get_invite_link_for_user(actor=actor_of(request), link_id=link_id)
    return qr_download(request, link, kind="png")


@router.get(
    "/invite-links/{link_id}/qr.svg",
    response={200: None},
    openapi_extra=_qr_openapi("image/svg+xml"),
)
def link_qr_svg(request: HttpRequest, link_id: PathId) -> HttpResponse:
    link = get_invite_link_for_user(actor=actor_of(request), link_id=link_id)
    return qr_download(request, link, kind="svg")


@router.get(
    "/invite-links/{link_id}/joins",
    response=InviteJoinPage,
    openapi_extra=problem_responses(404, 422),
)
def list_joins(request: HttpRequest, link_id: PathId, page: Query[PageParams]) -> dict[str, Any]:
    """The joins the link brought, newest first."""
    actor = actor_of(request)
    link = get_invite_link_for_user(actor=actor, link_id=link_id)
    return paginate(list_link_joins(actor=actor, link=link), page)


@router.get("/inviters", response=InviterList, openapi_extra=problem_responses(422))
def inviters(request: HttpRequest, filters: Query[InviterFilters]) -> dict[str, Any]:
    """Who brought whom: per inviter (member or operator), invitees and how many are still
    in, most invitees first (the first `limit`: 50 unless asked, at most 200)."""
    rows = list_inviters(
        actor=actor_of(request), community_id=filters.community_id, limit=filters.limit
    )
    return {"items": rows}


@router.get(
    "/inviters/members/{member_id}/invitees",
    response=InviteJoinPage,
    openapi_extra=problem_responses(404, 422),
)
def member_invitees(
    request: HttpRequest, member_id: PathId, page: Query[PageParams]
) -> dict[str, Any]:
    """The people a member brought into the token's communities, newest first."""
    actor = actor_of(request)
    member = get_member_for_user(actor=actor, member_id=member_id)
    joins: Any = list_invitees(actor=actor, inviter_member_id=member.pk)
    return paginate(joins, page)
