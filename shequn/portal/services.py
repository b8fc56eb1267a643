"""Writes started from the member pages; each composes the members app's services."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from shequn.members.email_verification import (
    confirm_email_verification,
    send_verification_email_on_commit,
)
from shequn.members.models import (
    EmailVerification,
    EmailVerificationPurpose,
    Member,
    Membership,
    MembershipStatus,
)
from shequn.members.selectors import get_visitor_membership
from shequn.members.services import SignUp, join_open_community, sign_up_member
from shequn.organizations.models import Community, CommunityAccess, CommunityStatus


@dataclass(frozen=True)
class SignUpAndJoin:
    sign_up: SignUp
    membership: Membership | None  # None while the email waits for its verification


@transaction.atomic
def sign_up_and_join(
    *,
    community: Community,
    display_name: str,
    email: str,
    password: str,
    site_url: str,
    phone: str = "",
) -> SignUpAndJoin:
    """A visitor creates a web account on an open community's page and joins it.

    All or nothing: when joining fails (the community is full, say), no account is kept.
    A new member joins at once; the link to confirm their email is mailed (`site_url` is the
    start of its address). When the email belongs to a member an operator recorded, nothing of
    theirs is joined or shown: the mailed link must be used first (`verify_email_and_join`).
    """
    if community.access != CommunityAccess.OPEN:
        raise ValidationError(
            _("This community admits members by invitation or approval only."), code="not_open"
        )
    sign_up = sign_up_member(
        organization=community.organization,
        display_name=display_name,
        email=email,
        password=password,
        phone=phone,
        community=community,
    )
    membership = None
    if sign_up.member is not None:
        membership = join_open_community(member=sign_up.member, community=community)
    send_verification_email_on_commit(verification=sign_up.verification, site_url=site_url)
    return SignUpAndJoin(sign_up=sign_up, membership=membership)


def resend_verification(*, verification: EmailVerification, site_url: str) -> None:
    """Mail a pending verification's link again (a fresh link; the old one keeps its expiry)."""
    send_verification_email_on_commit(verification=verification, site_url=site_url)


@dataclass(frozen=True)
class VerifiedEmail:
    member: Member
    membership: Membership | None  # the community the person signed up on, when they are in
    join_error: str = ""  # why joining it did not work (full, closed, …)


@transaction.atomic
def verify_email_and_join(*, verification: EmailVerification) -> VerifiedEmail:
    """Use a verification link; for a recorded member, then join the sign-up's community.

    Linking stands even when joining fails (the community filled up meanwhile): the person
    is told why and may join later. A membership the operator had already given is kept.
    """
    member = confirm_email_verification(verification=verification)
    community = verification.community
    if community is None or community.status != CommunityStatus.ACTIVE:
        return VerifiedEmail(member=member, membership=None)
    existing = get_visitor_membership(member=member, community=community)
    if existing is not None and existing.status == MembershipStatus.ACTIVE:
        return VerifiedEmail(member=member, membership=existing)
    if verification.purpose != EmailVerificationPurpose.LINK:
        return VerifiedEmail(member=member, membership=None)
    try:
        with transaction.atomic():
            membership = join_open_community(member=member, community=community)
    except ValidationError as exc:
        return VerifiedEmail(member=member, membership=None, join_error=" ".join(exc.messages))
    return VerifiedEmail(member=member, membership=membership)
