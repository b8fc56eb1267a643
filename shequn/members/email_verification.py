"""Proving that a person owns an email: signed, expiring, single-use links.

Sign-up (`shequn.members.services.sign_up_member`) starts an EmailVerification. Its link carries
the verification's id signed with Django's TimestampSigner (salted, so no other signed value of
the site passes) and stops working after SHEQUN_EMAIL_VERIFICATION_MAX_AGE seconds (3 days) or
once it has been used. Using a LINK verification joins the web account to the member an operator
recorded with that email, without changing anything they recorded: what the person typed and
what differs is kept in `Member.signup_differences` for operators to see.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from shequn.audit.models import AuditAction
from shequn.audit.services import record_audit
from shequn.members.models import (
    Channel,
    EmailVerification,
    EmailVerificationPurpose,
    Identity,
    Member,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

SALT = "shequn.members.email-verification"


class VerificationLinkError(Exception):
    """A verification link that cannot be used; `code` is invalid, expired or used."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def make_verification_token(verification: EmailVerification) -> str:
    return signing.TimestampSigner(salt=SALT).sign(str(verification.pk))


def get_verification_for_token(token: str) -> EmailVerification:
    """The verification a link names; VerificationLinkError when it is not valid any more."""
    signer = signing.TimestampSigner(salt=SALT)
    try:
        pk = int(signer.unsign(token, max_age=settings.SHEQUN_EMAIL_VERIFICATION_MAX_AGE))
    except signing.SignatureExpired as exc:
        raise VerificationLinkError("expired") from exc
    except (signing.BadSignature, ValueError) as exc:
        raise VerificationLinkError("invalid") from exc
    verification = (
        EmailVerification.objects.select_related("user", "member", "community", "organization")
        .filter(pk=pk)
        .first()
    )
    if verification is None:
        raise VerificationLinkError("invalid")
    if verification.verified_at is not None:
        raise VerificationLinkError("used")
    return verification


def get_pending_verification(user: AbstractBaseUser | AnonymousUser) -> EmailVerification | None:
    """The newest unused verification of a web account, if any."""
    if not user.is_authenticated:
        return None
    return (
        EmailVerification.objects.select_related("community", "community__organization")
        .filter(user_id=user.pk, verified_at__isnull=True)
        .order_by("-created_at", "-id")
        .first()
    )


def send_verification_email(*, verification: EmailVerification, site_url: str) -> None:
    """Mail the link, in the language active now (the visitor's)."""
    link = site_url.rstrip("/") + reverse(
        "portal:verify_email", kwargs={"token": make_verification_token(verification)}
    )
    context = {
        "verification": verification,
        "organization": verification.organization,
        "link": link,
        "days": max(1, settings.SHEQUN_EMAIL_VERIFICATION_MAX_AGE // (24 * 3600)),
        "is_link": verification.purpose == EmailVerificationPurpose.LINK,
    }
    subject = render_to_string("members/email/verification_subject.txt", context).strip()
    message = EmailMultiAlternatives(
        subject=" ".join(subject.splitlines()),
        body=render_to_string("members/email/verification.txt", context),
        to=[verification.email],
    )
    message.attach_alternative(
        render_to_string("members/email/verification.html", context), "text/html"
    )
    message.send()


def send_verification_email_on_commit(*, verification: EmailVerification, site_url: str) -> None:
    """Send the link once the sign-up is committed (never for a sign-up rolled back).

    Robust: a mail server that is down is logged (django.db.backends.base) and does not turn
    the committed sign-up into an error page; the person lands on "check your mail", where
    "Send the link again" retries.
    """
    language = translation.get_language() or settings.LANGUAGE_CODE

    def send() -> None:
        with translation.override(language):
            send_verification_email(verification=verification, site_url=site_url)

    transaction.on_commit(send, robust=True)


def _link_error(message: str, code: str) -> ValidationError:
    return ValidationError(message, code=code)


def _verify_email_identity(member: Member, email: str, now: datetime) -> None:
    identity = Identity.objects.filter(
        organization_id=member.organization_id, channel=Channel.EMAIL, external_id=email
    ).first()
    if identity is None:
        Identity.objects.create(
            organization_id=member.organization_id,
            member=member,
            channel=Channel.EMAIL,
            external_id=email,
            display_name=member.display_name,
            verified_at=now,
        )
    elif identity.member_id == member.pk:
        identity.verified_at = now
        identity.save(update_fields=["verified_at", "updated_at"])


def _still_has_email(member: Member, email: str) -> bool:
    """Whether the member is still recorded with this email (profile or email identity).

    An operator may have corrected a wrong email between the sign-up and the click: proving the
    old address then proves nothing about this member.
    """
    if member.email.strip().lower() == email:
        return True
    return Identity.objects.filter(
        member=member, channel=Channel.EMAIL, external_id__iexact=email
    ).exists()


def _differences(member: Member, verification: EmailVerification) -> dict[str, str]:
    typed = {"display_name": verification.display_name, "phone": verification.phone}
    return {
        name: value for name, value in typed.items() if value and value != getattr(member, name)
    }


@transaction.atomic
def confirm_email_verification(*, verification: EmailVerification) -> Member:
    """Use a verification: link the web account (LINK) or mark the email proven (CONFIRM).

    Nothing an operator recorded is overwritten. A second use, a member who meanwhile got
    another web account or whose email was changed is refused with a ValidationError and
    changes nothing.
    """
    verification = EmailVerification.objects.select_for_update().get(pk=verification.pk)
    if verification.verified_at is not None:
        raise _link_error(_("This link has already been used."), "used")
    member = Member.objects.select_for_update().get(pk=verification.member_id)
    if not _still_has_email(member, verification.email):
        raise _link_error(_("This link is not valid."), "invalid")
    now = timezone.now()
    if verification.purpose == EmailVerificationPurpose.LINK:
        if (
            member.user_id is not None
            or Member.objects.filter(user_id=verification.user_id).exists()
        ):
            raise _link_error(
                _("This member already has a web account. Sign in with it instead."),
                "already_linked",
            )
        member.user_id = verification.user_id
        member.signup_differences = _differences(member, verification)
        fields = ["user", "signup_differences", "updated_at"]
        if not member.email:
            member.email = verification.email
            fields.append("email")
        member.save(update_fields=fields)
        Identity.objects.create(
            organization_id=member.organization_id,
            member=member,
            channel=Channel.WEB,
            external_id=str(verification.user_id),
            display_name=member.display_name,
        )
        record_audit(
            actor=None,
            action=AuditAction.UPDATE,
            target=member,
            changes={"user": [None, verification.user_id]},
            chapter_id=member.chapter_id,
            organization_id=member.organization_id,
        )
    elif member.user_id != verification.user_id:
        raise _link_error(_("This link is not valid."), "invalid")
    _verify_email_identity(member, verification.email, now)
    verification.verified_at = now
    verification.save(update_fields=["verified_at", "updated_at"])
    return member
