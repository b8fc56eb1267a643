"""Members, their identities on channels, and their memberships in communities, over the API."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest
from ninja import Query, Router, Status

from shequn.accounts.api import actor_of
from shequn.accounts.selectors import OperatorScope
from shequn.core.problems import problem_responses
from shequn.core.schemas import PageParams, PathId, paginate
from shequn.members import selectors, services
from shequn.members.models import Identity, Member, Membership, MembershipSource, MembershipStatus
from shequn.members.schemas import (
    IdentityFilters,
    IdentityIn,
    IdentityOut,
    IdentityPage,
    IdentityPatch,
    MemberFilters,
    MemberIn,
    MemberOut,
    MemberPage,
    MemberPatch,
    MembershipFilters,
    MembershipIn,
    MembershipOut,
    MembershipPage,
    MembershipPatch,
)
from shequn.organizations.models import Chapter, Community
from shequn.organizations.selectors import get_chapter_for_user, get_community_for_user

router = Router()


def _chapter(actor: OperatorScope, chapter_id: int | None) -> Chapter | None:
    return None if chapter_id is None else get_chapter_for_user(actor=actor, chapter_id=chapter_id)


def _community(actor: OperatorScope, community_id: int | None) -> Community | None:
    if community_id is None:
        return None
    return get_community_for_user(actor=actor, community_id=community_id)


def _member(actor: OperatorScope, member_id: int | None) -> Member | None:
    if member_id is None:
        return None
    return selectors.get_member_for_user(actor=actor, member_id=member_id)


# Members


@router.get(
    "/members", response=MemberPage, tags=["members"], openapi_extra=problem_responses(404, 422)
)
def list_members(
    request: HttpRequest, filters: Query[MemberFilters], page: Query[PageParams]
) -> dict[str, Any]:
    """Members in the token's scope."""
    actor = actor_of(request)
    _chapter(actor, filters.chapter_id)
    _community(actor, filters.community_id)
    members = selectors.list_members(
        actor=actor,
        q=filters.q,
        chapter_id=filters.chapter_id,
        community_id=filters.community_id,
        channel=filters.channel or "",
        order=filters.order,
    )
    return paginate(members, page)


@router.post(
    "/members",
    response={201: MemberOut},
    tags=["members"],
    openapi_extra=problem_responses(403, 404, 409, 413, 422),
)
def create_member(request: HttpRequest, payload: MemberIn) -> Status[Member]:
    """A new member; with `community_id`, also their membership there (source "api")."""
    actor = actor_of(request)
    member = services.create_member(
        actor=actor,
        display_name=payload.display_name,
        chapter=_chapter(actor, payload.chapter_id),
        phone=payload.phone,
        email=payload.email,
        notes=payload.notes,
        community=_community(actor, payload.community_id),
        role=payload.role,
        source=MembershipSource.API,
    )
    return Status(201, member)


@router.get(
    "/members/{member_id}",
    response=MemberOut,
    tags=["members"],
    openapi_extra=problem_responses(404, 422),
)
def get_member(request: HttpRequest, member_id: PathId) -> Member:
    return selectors.get_member_for_user(actor=actor_of(request), member_id=member_id)


@router.patch(
    "/members/{member_id}",
    response=MemberOut,
    tags=["members"],
    openapi_extra=problem_responses(403, 404, 409, 413, 422),
)
def update_member(request: HttpRequest, member_id: PathId, payload: MemberPatch) -> Member:
    """Change the fields sent; a new home chapter must be in the token's scope."""
    actor = actor_of(request)
    member = selectors.get_member_for_user(actor=actor, member_id=member_id)
    data = payload.changes()
    if "chapter_id" in data:
        data["chapter"] = _chapter(actor, data.pop("chapter_id"))
    return services.update_member(actor=actor, member=member, data=data)


@router.delete(
    "/members/{member_id}",
    response={204: None},
    tags=["members"],
    openapi_extra=problem_responses(403, 404, 422),
)
def delete_member(request: HttpRequest, member_id: PathId) -> Status[None]:
    """Delete a member (organisation admins, or heads of the member's home chapter)."""
    actor = actor_of(request)
    member = selectors.get_member_for_user(actor=actor, member_id=member_id)
    services.delete_member(actor=actor, member=member)
    return Status(204, None)


# Identities


@router.get(
    "/identities",
    response=IdentityPage,
    tags=["identities"],
    openapi_extra=problem_responses(404, 422),
)
def list_identities(
    request: HttpRequest, filters: Query[IdentityFilters], page: Query[PageParams]
) -> dict[str, Any]:
    """Channel accounts of the members in the token's scope."""
    actor = actor_of(request)
    _member(actor, filters.member_id)
    identities = selectors.list_identities(
        actor=actor, member_id=filters.member_id, channel=filters.channel or "", q=filters.q
    )
    return paginate(identities, page)


@router.post(
    "/identities",
    response={201: IdentityOut},
    tags=["identities"],
    openapi_extra=problem_responses(403, 404, 413, 422),
)
def create_identity(request: HttpRequest, payload: IdentityIn) -> Status[Identity]:
    """Link a channel account to a member (unique per channel and external id)."""
    actor = actor_of(request)
    member = selectors.get_member_for_user(actor=actor, member_id=payload.member_id)
    identity = services.add_identity(
        actor=actor,
        member=member,
        channel=payload.channel,
        external_id=payload.external_id,
        display_name=payload.display_name,
    )
    return Status(201, identity)


@router.get(
    "/identities/{identity_id}",
    response=IdentityOut,
    tags=["identities"],
    openapi_extra=problem_responses(404, 422),
)
def get_identity(request: HttpRequest, identity_id: PathId) -> Identity:
    return selectors.get_identity_for_user(actor=actor_of(request), identity_id=identity_id)


@router.patch(
    "/identities/{identity_id}",
    response=IdentityOut,
    tags=["identities"],
    openapi_extra=problem_responses(403, 404, 413, 422),
)
def update_identity(request: HttpRequest, identity_id: PathId, payload: IdentityPatch) -> Identity:
    actor = actor_of(request)
    identity = selectors.get_identity_for_user(actor=actor, identity_id=identity_id)
    return services.update_identity(actor=actor, identity=identity, data=payload.changes())


@router.delete(
    "/identities/{identity_id}",
    response={204: None},
    tags=["identities"],
    openapi_extra=problem_responses(403, 404, 422),
)
def delete_identity(request: HttpRequest, identity_id: PathId) -> Status[None]:
    """Unlink a channel account from its member."""
    actor = actor_of(request)
    identity = selectors.get_identity_for_user(actor=actor, identity_id=identity_id)
    services.remove_identity(actor=actor, identity=identity)
    return Status(204, None)


# Memberships


@router.get(
    "/memberships",
    response=MembershipPage,
    tags=["memberships"],
    openapi_extra=problem_responses(404, 422),
)
def list_memberships(
    request: HttpRequest, filters: Query[MembershipFilters], page: Query[PageParams]
) -> dict[str, Any]:
    """Memberships in the token's communities, newest first by default."""
    actor = actor_of(request)
    community = _community(actor, filters.community_id)
    _member(actor, filters.member_id)
    memberships = selectors.list_memberships(
        actor=actor,
        community_id=filters.community_id,
        member_id=filters.member_id,
        role=filters.role or "",
        status=filters.status or "",
        q=filters.q,
        order=filters.order,
    )
    # A community's active members, unfiltered: the maintained counter is the exact total.
    unfiltered = not (filters.role or filters.q or filters.member_id)
    active = filters.status == MembershipStatus.ACTIVE
    count = community.member_count if community and active and unfiltered else None
    return paginate(memberships, page, count=count)


@router.post(
    "/memberships",
    response={201: MembershipOut},
    tags=["memberships"],
    openapi_extra=problem_responses(403, 404, 409, 413, 422),
)
def create_membership(request: HttpRequest, payload: MembershipIn) -> Status[Membership]:
    """Put a member into a community (or back into it after they left)."""
    actor = actor_of(request)
    member = selectors.get_member_for_user(actor=actor, member_id=payload.member_id)
    community = get_community_for_user(actor=actor, community_id=payload.community_id)
    membership = services.add_membership(
        actor=actor,
        member=member,
        community=community,
        role=payload.role,
        source=MembershipSource.API,
    )
    return Status(201, selectors.get_membership_for_user(actor=actor, membership_id=membership.pk))


@router.get(
    "/memberships/{membership_id}",
    response=MembershipOut,
    tags=["memberships"],
    openapi_extra=problem_responses(404, 422),
)
def get_membership(request: HttpRequest, membership_id: PathId) -> Membership:
    return selectors.get_membership_for_user(actor=actor_of(request), membership_id=membership_id)


@router.patch(
    "/memberships/{membership_id}",
    response=MembershipOut,
    tags=["memberships"],
    openapi_extra=problem_responses(403, 404, 409, 413, 422),
)
def update_membership(
    request: HttpRequest, membership_id: PathId, payload: MembershipPatch
) -> Membership:
    """Change the role, and/or end the membership (status "left" or "removed")."""
    actor = actor_of(request)
    membership = selectors.get_membership_for_user(actor=actor, membership_id=membership_id)
    with transaction.atomic():  # both changes or neither
        if payload.role is not None:
            membership = services.change_membership_role(
                actor=actor, membership=membership, role=payload.role
            )
        if payload.status is not None:
            services.end_membership(actor=actor, membership=membership, status=payload.status)
    return selectors.get_membership_for_user(actor=actor, membership_id=membership_id)


@router.delete(
    "/memberships/{membership_id}",
    response={204: None},
    tags=["memberships"],
    openapi_extra=problem_responses(403, 404, 409, 422),
)
def delete_membership(request: HttpRequest, membership_id: PathId) -> Status[None]:
    """End the membership as "removed" (the record stays, for history)."""
    actor = actor_of(request)
    membership = selectors.get_membership_for_user(actor=actor, membership_id=membership_id)
    services.end_membership(actor=actor, membership=membership)
    return Status(204, None)
