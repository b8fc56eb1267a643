"""Reads for the member pages: what a visitor may do on a community page, their memberships."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from django.db.models import QuerySet

from shequn.members.models import Member, Membership, MembershipStatus
from shequn.organizations.models import CommunityAccess, CommunityStatus

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    from shequn.organizations.models import Community


class JoinState(StrEnum):
    """What the community page offers the visitor."""

    MEMBER = "member"  # already an active member: show "leave"
    FULL = "full"  # open, but no room left
    PRIVATE = "private"  # by invitation or approval: contact the operator
    PAID = "paid"  # paid: contact the operator
    SIGN_UP = "sign_up"  # open; anonymous visitor: sign up (or sign in)
    NO_MEMBER = "no_member"  # open; signed in without a member profile (operator, outsider)
    OTHER_ORG = "other_org"  # open; signed in as a member of another organisation
    JOIN = "join"  # open; signed-in member of this organisation: one tap to join


def get_join_state(
    *,
    community: Community,
    user: AbstractBaseUser | AnonymousUser,
    member: Member | None,
    membership: Membership | None,
) -> JoinState:
    """The call to action of a community page. `community` needs `member_count` annotated."""
    if membership is not None and membership.status == MembershipStatus.ACTIVE:
        return JoinState.MEMBER
    if community.access == CommunityAccess.PRIVATE:
        return JoinState.PRIVATE
    if community.access == CommunityAccess.PAID:
        return JoinState.PAID
    if getattr(community, "member_count", 0) >= community.capacity:
        return JoinState.FULL
    if not user.is_authenticated:
        return JoinState.SIGN_UP
    if member is None:
        return JoinState.NO_MEMBER
    if member.organization_id != community.organization_id:
        return JoinState.OTHER_ORG
    return JoinState.JOIN


def list_own_memberships(*, member: Member) -> QuerySet[Membership]:
    """A member's own memberships in active communities, current ones first, newest first."""
    return (
        Membership.objects.filter(member=member, community__status=CommunityStatus.ACTIVE)
        .select_related("community", "community__organization", "community__chapter")
        .order_by("status", "-joined_at", "id")
    )
