"""Writes started from the member pages; each composes the members app's services."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction

from shequn.members.email_verification import (
    confirm_email_verification,
    send_verification_email_on_commit,
)
from shequn.members.models import (
    EmailVerification,
    EmailVerificationPurpose,
    Member,
    Membership,
    MembershipSource,
    MembershipStatus,
)
from shequn.members.phones import normalize_phone
from shequn.members.selectors import get_visitor_membership
from shequn.members.services import SignUp, sign_up_member
from shequn.organizations.models import Community, CommunityAccess, CommunityStatus

if TYPE_CHECKING:
    from shequn.invitations.models import InviteLink
    from shequn.joining.admission import Admission
    from shequn.joining.models import WaitlistEntry


@dataclass(frozen=True)
class SignUpAndJoin:
    sign_up: SignUp
    membership: Membership | None  # None while the email waits for its verification
    waitlist_entry: WaitlistEntry | None = None  # full: on the waitlist instead


def join_community(
    *, member: Member, community: Community, invite_link: InviteLink | None = None
) -> Admission:
    """A member joins an open community from its page (or waits for a seat): admit_member,
    attributed to the invite link the visitor came through."""
    from shequn.joining.admission import admit_member

    return admit_member(
        member=member,
        community=community,
        source=MembershipSource.SELF_SIGNUP,
        invite_link=invite_link,
    )


def check_sign_up_not_blacklisted(*, community: Community, email: str, phone: str) -> None:
    """Refuse a sign-up whose typed phone or email matches a standing blacklist entry."""
    from shequn.joining.admission import BLACKLISTED_MESSAGE
    from shequn.joining.rules import find_blacklist_entry

    try:
        phone = normalize_phone(phone) if phone else ""
    except ValidationError:
        phone = ""  # sign_up_member reports the bad number
    entry = find_blacklist_entry(
        organization_id=community.organization_id, phone=phone, email=email.strip().lower()
    )
    if entry is not None:
        raise ValidationError(BLACKLISTED_MESSAGE, code="blacklisted")


@transaction.atomic
def sign_up_and_join(
    *,
    community: Community,
    display_name: str,
    email: str,
    password: str,
    site_url: str,
    phone: str = "",
    invite_link: InviteLink | None = None,
) -> SignUpAndJoin:
    """A visitor creates a web account on a community's page and, when it is open, joins it.

    A private or paid community is not joined: the new member goes on to apply or to pay
    (its page says which). All or nothing: when joining fails (the community is full, say),
    no account is kept.
    A new member joins at once; the link to confirm their email is mailed (`site_url` is the
    start of its address). A blacklisted phone or email is refused before anything is made;
    a full community that keeps a waitlist puts the new member on it. When the email belongs
    to a member an operator recorded, nothing of theirs is joined or shown: the mailed link
    must be used first (`verify_email_and_join`).
    """
    check_sign_up_not_blacklisted(community=community, email=email, phone=phone)
    sign_up = sign_up_member(
        organization=community.organization,
        display_name=display_name,
        email=email,
        password=password,
        phone=phone,
        community=community,
    )
    membership = waitlist_entry = None
    if sign_up.member is not None and community.access == CommunityAccess.OPEN:
        admission = join_community(
            member=sign_up.member, community=community, invite_link=invite_link
        )
        membership, waitlist_entry = admission.membership, admission.waitlist_entry
    send_verification_email_on_commit(verification=sign_up.verification, site_url=site_url)
    return SignUpAndJoin(sign_up=sign_up, membership=membership, waitlist_entry=waitlist_entry)


def resend_verification(*, verification: EmailVerification, site_url: str) -> None:
    """Mail a pending verification's link again (a fresh link; the old one keeps its expiry)."""
    send_verification_email_on_commit(verification=verification, site_url=site_url)


@dataclass(frozen=True)
class VerifiedEmail:
    member: Member
    membership: Membership | None  # the community the person signed up on, when they are in
    join_error: str = ""  # why joining it did not work (full, closed, …)
    waitlist_entry: WaitlistEntry | None = None  # full: on the waitlist instead


@transaction.atomic
def verify_email_and_join(
    *, verification: EmailVerification, invite_link: InviteLink | None = None
) -> VerifiedEmail:
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
    if (
        verification.purpose != EmailVerificationPurpose.LINK
        or community.access != CommunityAccess.OPEN  # private or paid: apply or pay next
    ):
        return VerifiedEmail(member=member, membership=None)
    try:
        with transaction.atomic():
            admission = join_community(member=member, community=community, invite_link=invite_link)
    except ValidationError as exc:
        return VerifiedEmail(member=member, membership=None, join_error=" ".join(exc.messages))
    return VerifiedEmail(
        member=member, membership=admission.membership, waitlist_entry=admission.waitlist_entry
    )
