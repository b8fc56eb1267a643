"""Request and response shapes of the members, identities and memberships API."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from ninja import Field, Schema

from shequn.core.schemas import InputSchema, ObjectId, PageMeta, PatchSchema, SearchText
from shequn.members.models import (
    DISPLAY_NAME_MAX_LENGTH,
    Channel,
    Membership,
    MembershipRole,
    MembershipSource,
    MembershipStatus,
)
from shequn.members.phones import PHONE_INPUT_MAX_LENGTH

EMAIL_MAX_LENGTH = 254
EXTERNAL_ID_MAX_LENGTH = 128

# The keys of MEMBER_ORDERINGS and MEMBERSHIP_ORDERINGS in shequn.members.selectors.
MemberOrder = Literal["name", "-name", "created", "-created"]
MembershipOrder = Literal["name", "-name", "joined", "-joined", "role"]


class MemberOut(Schema):
    id: int
    display_name: str
    phone: str
    email: str
    notes: str
    chapter_id: ObjectId | None = Field(description="The member's home chapter.")
    created_at: datetime
    updated_at: datetime


class MemberPage(PageMeta):
    items: list[MemberOut]


class MemberFilters(Schema):
    q: SearchText = Field("", description="Part of the display name, phone or email.")
    chapter_id: ObjectId | None = None
    community_id: ObjectId | None = None
    channel: Channel | None = Field(None, description="Has an identity on this channel.")
    order: MemberOrder = Field("name", description="Sort order; '-' reverses it.")


class MemberIn(InputSchema):
    display_name: str = Field(min_length=1, max_length=DISPLAY_NAME_MAX_LENGTH)
    phone: str = Field("", max_length=PHONE_INPUT_MAX_LENGTH)
    email: str = Field("", max_length=EMAIL_MAX_LENGTH)
    notes: str = ""
    chapter_id: ObjectId | None = Field(None, description="Home chapter; default: the community's.")
    community_id: ObjectId | None = Field(
        None, description="Also add the member to this community."
    )
    role: MembershipRole = Field(
        MembershipRole.MEMBER, description="The role in `community_id`, when given."
    )


class MemberPatch(PatchSchema):
    nullable_fields: ClassVar[frozenset[str]] = frozenset({"chapter_id"})

    display_name: str | None = Field(None, min_length=1, max_length=DISPLAY_NAME_MAX_LENGTH)
    phone: str | None = Field(None, max_length=PHONE_INPUT_MAX_LENGTH)
    email: str | None = Field(None, max_length=EMAIL_MAX_LENGTH)
    notes: str | None = None
    chapter_id: ObjectId | None = None


class IdentityOut(Schema):
    id: int
    member_id: ObjectId
    channel: Channel
    external_id: str
    display_name: str
    created_at: datetime
    updated_at: datetime


class IdentityPage(PageMeta):
    items: list[IdentityOut]


class IdentityFilters(Schema):
    member_id: ObjectId | None = None
    channel: Channel | None = None
    q: SearchText = Field("", description="Part of the external id or display name.")


class IdentityIn(InputSchema):
    member_id: ObjectId
    channel: Channel
    external_id: str = Field(min_length=1, max_length=EXTERNAL_ID_MAX_LENGTH)
    display_name: str = Field("", max_length=DISPLAY_NAME_MAX_LENGTH)


class IdentityPatch(PatchSchema):
    channel: Channel | None = None
    external_id: str | None = Field(None, min_length=1, max_length=EXTERNAL_ID_MAX_LENGTH)
    display_name: str | None = Field(None, max_length=DISPLAY_NAME_MAX_LENGTH)


class MembershipOut(Schema):
    id: int
    member_id: ObjectId
    member_name: str
    community_id: ObjectId
    community_name: str
    role: MembershipRole
    status: MembershipStatus
    source: MembershipSource
    joined_at: datetime
    left_at: datetime | None

    @staticmethod
    def resolve_member_name(obj: Membership) -> str:
        return obj.member.display_name

    @staticmethod
    def resolve_community_name(obj: Membership) -> str:
        return obj.community.name


class MembershipPage(PageMeta):
    items: list[MembershipOut]


class MembershipFilters(Schema):
    community_id: ObjectId | None = None
    member_id: ObjectId | None = None
    role: MembershipRole | None = None
    status: MembershipStatus | None = None
    q: SearchText = Field("", description="Part of the member's display name, phone or email.")
    order: MembershipOrder = Field("-joined", description="Sort order; '-' reverses it.")


class MembershipIn(InputSchema):
    member_id: ObjectId
    community_id: ObjectId
    role: MembershipRole = MembershipRole.MEMBER


class MembershipPatch(PatchSchema):
    role: MembershipRole | None = Field(None, description="A new role in the community.")
    status: Literal["left", "removed"] | None = Field(
        None, description="End the membership: the member left, or was removed."
    )
