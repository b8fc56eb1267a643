"""Writes to members, identities and memberships. Each checks the actor and audits."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from shequn.activity.services import record_membership_activity
from shequn.audit.models import AuditAction
from shequn.audit.services import diff, record_audit, snapshot
from shequn.core.collation import sort_key_for
from shequn.core.images import prepare_image_upload
from shequn.core.text import clean_name
from shequn.members.counters import count_membership, set_member_sort_key
from shequn.members.models import (
    Channel,
    EmailVerification,
    EmailVerificationPurpose,
    Identity,
    Member,
    Membership,
    MembershipRole,
    MembershipSource,
    MembershipStatus,
)
from shequn.members.phones import normalize_phone
from shequn.members.search import index_member_names
from shequn.members.signals import send_memberships_changed
from shequn.organizations.models import (
    Chapter,
    Community,
    CommunityAccess,
    CommunityStatus,
    Organization,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from shequn.accounts.selectors import OperatorScope

MEMBER_FIELDS = ("display_name", "chapter", "phone", "email", "avatar", "notes")
IDENTITY_FIELDS = ("channel", "external_id", "display_name")
MEMBERSHIP_FIELDS = ("role", "status", "source", "joined_at", "left_at")
# Roles an assistant may not hand out: only chapter heads and organisation admins may.
LEADING_ROLES = {MembershipRole.OWNER, MembershipRole.ADMIN}


def _prepare_avatar(avatar: object) -> ContentFile[bytes] | None:
    """The re-encoded upload (shequn.core.images), or None when `avatar` is not a new upload."""
    if not isinstance(avatar, UploadedFile):
        return None
    try:
        return prepare_image_upload(avatar)
    except ValidationError as exc:
        raise ValidationError({"avatar": [exc]}) from exc


def _member_chapter_allowed(actor: OperatorScope, chapter: Chapter | None) -> bool:
    if chapter is not None and chapter.organization_id != actor.organization.pk:
        return False
    if actor.is_org_admin:
        return True
    return actor.is_chapter_head and chapter is not None and chapter.pk in actor.chapter_ids


def _normalized_phone(phone: str) -> str:
    try:
        return normalize_phone(phone)
    except ValidationError as exc:
        raise ValidationError({"phone": [exc]}) from exc


def _check_no_duplicate_member(
    *, organization_id: int, phone: str, email: str, exclude_pk: int | None = None
) -> None:
    """Refuse a second member with the phone or email of one the organisation has.

    The ValidationError (code "duplicate_member") carries the existing member's id in its
    params (`existing_id`): the console offers that member, the API answers 409 with it.
    Callers lock the organisation row first, so two concurrent creations cannot both pass.
    """
    members = Member.objects.filter(organization_id=organization_id)
    if exclude_pk is not None:
        members = members.exclude(pk=exclude_pk)
    checks = (
        ("phone", {"phone": phone}, _("A member with this phone number already exists.")),
        ("email", {"email__iexact": email}, _("A member with this email already exists.")),
    )
    for field, lookup, message in checks:
        if not next(iter(lookup.values())):
            continue
        existing = members.filter(**lookup).order_by("pk").values_list("pk", flat=True).first()
        if existing is not None:
            raise ValidationError(
                {
                    field: ValidationError(
                        message, code="duplicate_member", params={"existing_id": existing}
                    )
                }
            )


def _lock_organization(organization_id: int) -> None:
    """Serialise the creation of members of one organisation (see the duplicate check)."""
    list(Organization.objects.select_for_update().filter(pk=organization_id).values("pk"))


def _check_identity_unique(
    *, organization_id: int, channel: str, external_id: str, exclude_pk: int | None
) -> None:
    qs = Identity.objects.filter(
        organization_id=organization_id, channel=channel, external_id=external_id
    )
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    if qs.exists():
        raise ValidationError(
            {"external_id": _("This account is already linked to a member on this channel.")},
            code="duplicate_identity",
        )


@transaction.atomic
def create_member(
    *,
    actor: OperatorScope,
    display_name: str,
    chapter: Chapter | None = None,
    phone: str = "",
    email: str = "",
    notes: str = "",
    avatar: UploadedFile[bytes] | None = None,
    community: Community | None = None,
    role: str = MembershipRole.MEMBER,
    source: str = MembershipSource.CONSOLE,
) -> Member:
    """A new member; with `community`, also their membership in it.

    An assistant may only create members into one of their communities. The name loses its
    control characters (shequn.core.text), the phone is stored in E.164 (shequn.members.phones),
    and a phone or email another member of the organisation has is refused ("duplicate_member").
    """
    if community is not None:
        actor.require(actor.can_manage_members_of(community.pk, community.chapter_id))
        if chapter is None:
            chapter = community.chapter
    else:
        actor.require(_member_chapter_allowed(actor, chapter))
    member = Member(
        organization=actor.organization,
        chapter=chapter,
        display_name=clean_name(display_name),
        phone=_normalized_phone(phone),
        email=email.strip(),
        notes=notes,
    )
    prepared_avatar = _prepare_avatar(avatar)
    member.full_clean(exclude=["avatar", "user"])
    if member.phone or member.email:
        _lock_organization(actor.organization.pk)
        _check_no_duplicate_member(
            organization_id=actor.organization.pk, phone=member.phone, email=member.email
        )
    if prepared_avatar is not None:
        member.avatar = prepared_avatar
    member.sort_key = sort_key_for(member.display_name)
    member.save()
    index_member_names([member.pk])
    record_audit(
        actor=actor,
        action=AuditAction.CREATE,
        target=member,
        changes=snapshot(member, MEMBER_FIELDS),
        chapter_id=member.chapter_id,
        community_id=community.pk if community else None,
    )
    if community is not None:
        add_membership(actor=actor, member=member, community=community, role=role, source=source)
    return member


@transaction.atomic
def update_member(*, actor: OperatorScope, member: Member, data: Mapping[str, Any]) -> Member:
    """Change a member's profile. Moving them to another chapter needs rights on it.

    Names, phones and emails are cleaned as in `create_member`; a new phone or email another
    member has is refused ("duplicate_member").
    """
    member = Member.objects.select_for_update().get(pk=member.pk)
    if "chapter" in data and data["chapter"] != member.chapter:
        actor.require(_member_chapter_allowed(actor, data["chapter"]))
    prepared_avatar = _prepare_avatar(data.get("avatar"))
    before = snapshot(member, MEMBER_FIELDS)
    for name in MEMBER_FIELDS:
        if name not in data:
            continue
        value = data[name]
        if name == "avatar":
            if value is False:
                value = ""
            elif not value:
                continue
            elif prepared_avatar is not None:
                value = prepared_avatar
        if name == "display_name":
            value = clean_name(value)
        elif name == "phone":
            value = _normalized_phone(value)
        elif name == "email":
            value = value.strip()
        setattr(member, name, value)
    member.full_clean(exclude=["avatar", "user"])
    changes = diff(before, snapshot(member, MEMBER_FIELDS))
    new_phone = member.phone if "phone" in changes else ""
    new_email = member.email if "email" in changes else ""
    if new_phone or new_email:
        _lock_organization(member.organization_id)
        _check_no_duplicate_member(
            organization_id=member.organization_id,
            phone=new_phone,
            email=new_email,
            exclude_pk=member.pk,
        )
    if changes:
        renamed = "display_name" in changes
        member.sort_key = sort_key_for(member.display_name)
        member.save(update_fields=[*changes, *(["sort_key"] if renamed else []), "updated_at"])
        if renamed:
            set_member_sort_key(member)
            index_member_names([member.pk])
        record_audit(
            actor=actor,
            action=AuditAction.UPDATE,
            target=member,
            changes=changes,
            chapter_id=member.chapter_id,
        )
    return member


@transaction.atomic
def delete_member(*, actor: OperatorScope, member: Member) -> None:
    """Delete a member with their identities and memberships.

    Only an organisation admin, or a chapter head of the member's home chapter, may.
    """
    actor.require(
        member.organization_id == actor.organization.pk
        and (
            actor.is_org_admin or (actor.is_chapter_head and member.chapter_id in actor.chapter_ids)
        )
    )
    member = Member.objects.select_for_update().get(pk=member.pk)
    record_audit(
        actor=actor,
        action=AuditAction.DELETE,
        target=member,
        changes=snapshot(member, MEMBER_FIELDS),
        chapter_id=member.chapter_id,
    )
    for community_id in member.memberships.filter(status=MembershipStatus.ACTIVE).values_list(
        "community_id", flat=True
    ):
        count_membership(community_id=community_id, member_id=member.pk, delta=-1)
    member.delete()


@transaction.atomic
def add_identity(
    *,
    actor: OperatorScope | None,
    member: Member,
    channel: str,
    external_id: str,
    display_name: str = "",
) -> Identity:
    """Link an account on a channel to a member (one member per channel account)."""
    identity = Identity(
        organization_id=member.organization_id,
        member=member,
        channel=channel,
        external_id=external_id.strip(),
        display_name=clean_name(display_name),
    )
    identity.full_clean(exclude=["organization", "member"], validate_constraints=False)
    _check_identity_unique(
        organization_id=member.organization_id,
        channel=channel,
        external_id=identity.external_id,
        exclude_pk=None,
    )
    try:
        with transaction.atomic():
            identity.save()
    except IntegrityError as exc:  # a concurrent insert of the same account
        raise ValidationError(
            {"external_id": _("This account is already linked to a member on this channel.")}
        ) from exc
    record_audit(
        actor=actor,
        action=AuditAction.CREATE,
        target=identity,
        changes=snapshot(identity, IDENTITY_FIELDS),
        chapter_id=member.chapter_id,
        organization_id=member.organization_id,
    )
    return identity


@transaction.atomic
def update_identity(
    *, actor: OperatorScope, identity: Identity, data: Mapping[str, Any]
) -> Identity:
    identity = Identity.objects.select_for_update().select_related("member").get(pk=identity.pk)
    before = snapshot(identity, IDENTITY_FIELDS)
    for name in IDENTITY_FIELDS:
        if name in data:
            value = str(data[name])
            setattr(identity, name, clean_name(value) if name == "display_name" else value.strip())
    identity.full_clean(exclude=["organization", "member"], validate_constraints=False)
    _check_identity_unique(
        organization_id=identity.organization_id,
        channel=identity.channel,
        external_id=identity.external_id,
        exclude_pk=identity.pk,
    )
    changes = diff(before, snapshot(identity, IDENTITY_FIELDS))
    if changes:
        identity.save(update_fields=[*changes, "updated_at"])
        record_audit(
            actor=actor,
            action=AuditAction.UPDATE,
            target=identity,
            changes=changes,
            chapter_id=identity.member.chapter_id,
        )
    return identity


@transaction.atomic
def remove_identity(*, actor: OperatorScope, identity: Identity) -> None:
    """Unlink a channel account from its member."""
    record_audit(
        actor=actor,
        action=AuditAction.DELETE,
        target=identity,
        changes=snapshot(identity, IDENTITY_FIELDS),
        chapter_id=identity.member.chapter_id,
    )
    identity.delete()


def _check_can_join(community: Community) -> None:
    if community.status != CommunityStatus.ACTIVE:
        raise ValidationError(_("This community is not active."), code="community_inactive")
    if community.is_past_closing_end(timezone.now()):  # closed even before the job has run
        raise ValidationError(
            _("This community closed at its end; it no longer takes members."),
            code="community_ended",
        )
    if community.member_count >= community.capacity:  # the maintained count, row locked
        raise ValidationError(
            _("This community is full (%(capacity)s members)."),
            code="community_full",
            params={"capacity": community.capacity},
        )


@transaction.atomic
def add_membership(
    *,
    actor: OperatorScope | None,
    member: Member,
    community: Community,
    role: str = MembershipRole.MEMBER,
    source: str = MembershipSource.CONSOLE,
    activity_properties: Mapping[str, Any] | None = None,
) -> Membership:
    """Put a member into a community (or back into it after they left).

    `activity_properties` go on the join activity (the invite link and inviter, the order).
    Rejoining starts a new stint: how the last one ended is cleared (shequn.joining reads it).
    """
    if actor is not None:
        actor.require(actor.can_manage_members_of(community.pk, community.chapter_id))
        if role in LEADING_ROLES:
            actor.require(actor.can_manage_chapter(community.chapter_id))
    if member.organization_id != community.organization_id:
        raise ValidationError(
            _("The member and the community belong to different organisations."),
            code="other_organization",
        )
    if role not in MembershipRole.values:
        raise ValidationError({"role": _("Unknown role.")}, code="invalid_role")
    if source not in MembershipSource.values:
        raise ValidationError({"source": _("Unknown source.")}, code="invalid_source")
    community = (
        Community.objects.select_for_update(of=("self",))
        .select_related("organization")
        .get(pk=community.pk)
    )
    existing = Membership.objects.select_for_update().filter(member=member, community=community)
    membership = existing.first()
    if membership is not None and membership.status == MembershipStatus.ACTIVE:
        raise ValidationError(
            _("%(name)s is already a member of this community."),
            code="already_member",
            params={"name": member.display_name},
        )
    _check_can_join(community)
    now = timezone.now()
    if membership is None:
        try:
            with transaction.atomic():  # a concurrent insert loses on the unique constraint
                membership = Membership.objects.create(
                    member=member,
                    community=community,
                    role=role,
                    source=source,
                    joined_at=now,
                    member_sort_key=member.sort_key,
                )
        except IntegrityError as exc:
            raise ValidationError(
                _("%(name)s is already a member of this community."),
                code="already_member",
                params={"name": member.display_name},
            ) from exc
        action, changes = AuditAction.JOIN, snapshot(membership, MEMBERSHIP_FIELDS)
    else:
        before = snapshot(membership, MEMBERSHIP_FIELDS)
        membership.role, membership.source = role, source
        membership.status, membership.joined_at, membership.left_at = (
            MembershipStatus.ACTIVE,
            now,
            None,
        )
        membership.member_sort_key = member.sort_key
        membership.left_by_request, membership.end_reason, membership.rejoin_allowed = (
            False,
            "",
            False,
        )
        membership.save(
            update_fields=[
                "role",
                "source",
                "status",
                "joined_at",
                "left_at",
                "member_sort_key",
                "left_by_request",
                "end_reason",
                "rejoin_allowed",
                "updated_at",
            ]
        )
        action = AuditAction.JOIN
        changes = diff(before, snapshot(membership, MEMBERSHIP_FIELDS))
    count_membership(community_id=community.pk, member_id=member.pk, delta=1)
    membership.member, membership.community = member, community
    record_membership_activity(
        membership=membership,
        organization=community.organization,
        kind="join",
        at=now,
        properties=activity_properties,
    )
    record_audit(
        actor=actor,
        action=action,
        target=membership,
        changes=changes,
        chapter_id=community.chapter_id,
        community_id=community.pk,
        organization_id=community.organization_id,
    )
    return membership


@transaction.atomic
def change_membership_role(
    *, actor: OperatorScope, membership: Membership, role: str
) -> Membership:
    """Give a member another role in a community (chapter heads and admins only).

    Only an active membership changes role; the same role again changes nothing (no audit).
    The row is locked first, so of concurrent changes each sees the one before it.
    """
    actor.require(actor.can_manage_chapter(membership.community.chapter_id))
    if role not in MembershipRole.values:
        raise ValidationError({"role": _("Unknown role.")}, code="invalid_role")
    membership = (
        Membership.objects.select_for_update().select_related("community").get(pk=membership.pk)
    )
    if membership.status != MembershipStatus.ACTIVE:
        raise ValidationError(_("This membership has already ended."), code="already_ended")
    if membership.role == role:
        return membership
    old = membership.role
    membership.role = role
    membership.save(update_fields=["role", "updated_at"])
    record_audit(
        actor=actor,
        action=AuditAction.UPDATE,
        target=membership,
        changes={"role": [old, role]},
        chapter_id=membership.community.chapter_id,
        community_id=membership.community_id,
    )
    return membership


@transaction.atomic
def end_membership(
    *,
    actor: OperatorScope | None,
    membership: Membership,
    status: str = MembershipStatus.REMOVED,
    reason: str = "",
    by_request: bool = False,
) -> Membership:
    """Record that a member left (by themselves) or was removed from a community.

    `reason` is kept on the membership and the leave activity; `by_request` says the member
    asked to leave (shequn.joining's leave request), which lets them rejoin by default.

    The row is locked and re-read first: of concurrent attempts one ends it, the others get
    the "already ended" ValidationError a second attempt gets.
    """
    if status not in (MembershipStatus.LEFT, MembershipStatus.REMOVED):
        raise ValidationError({"status": _("A membership can only end as left or removed.")})
    if actor is not None:
        actor.require(
            actor.can_manage_members_of(membership.community_id, membership.community.chapter_id)
        )
    membership = (
        Membership.objects.select_for_update(of=("self",))
        .select_related("community__organization", "member")
        .get(pk=membership.pk)
    )
    if membership.status != MembershipStatus.ACTIVE:
        raise ValidationError(_("This membership has already ended."), code="already_ended")
    old = membership.status
    now = timezone.now()
    membership.status, membership.left_at = status, now
    membership.left_by_request = by_request and status == MembershipStatus.LEFT
    membership.end_reason, membership.rejoin_allowed = reason, False
    membership.save(
        update_fields=[
            "status",
            "left_at",
            "left_by_request",
            "end_reason",
            "rejoin_allowed",
            "updated_at",
        ]
    )
    count_membership(community_id=membership.community_id, member_id=membership.member_id, delta=-1)
    send_memberships_changed([membership.pk])
    leave_properties: dict[str, Any] = {}
    if reason:
        leave_properties["reason"] = reason
    if membership.left_by_request:
        leave_properties["by_request"] = True
    record_membership_activity(
        membership=membership,
        organization=membership.community.organization,
        kind="leave",
        at=now,
        properties=leave_properties,
    )
    record_audit(
        actor=actor,
        action=AuditAction.LEAVE,
        target=membership,
        changes={"status": [old, status]} | ({"reason": ["", reason]} if reason else {}),
        chapter_id=membership.community.chapter_id,
        community_id=membership.community_id,
        organization_id=membership.community.organization_id,
    )
    return membership


@dataclass(frozen=True)
class SignUp:
    """The outcome of a sign-up: the new web account, and its member once there is one.

    `member` is None while the email belongs to a member an operator recorded: the account
    stays unlinked until the person proves the email with `verification`'s link.
    """

    user: User
    member: Member | None
    verification: EmailVerification


def _recorded_member_with_email(organization: Organization, email: str) -> Member | None:
    """The member an operator recorded with this email: by email identity, else by profile."""
    known = (
        Identity.objects.select_related("member")
        .filter(organization=organization, channel=Channel.EMAIL, external_id=email)
        .first()
    )
    if known is not None:
        return known.member
    return (
        Member.objects.filter(organization=organization, email__iexact=email)
        .order_by(F("user_id").asc(nulls_first=True), "pk")
        .first()
    )


@transaction.atomic
def sign_up_member(
    *,
    organization: Organization,
    display_name: str,
    email: str,
    password: str,
    phone: str = "",
    community: Community | None = None,
) -> SignUp:
    """A visitor creates a web account; a new member only when nobody recorded their email.

    A visitor's email proves nothing: when an operator already recorded a member with it, the
    account is created unlinked and a LINK verification waits for the emailed link
    (shequn.members.email_verification); the recorded member is not touched. Otherwise a new
    member is created with the account, and a CONFIRM verification proves the email later.
    """
    user_model = get_user_model()
    email = email.strip().lower()
    display_name = clean_name(display_name)
    phone = _normalized_phone(phone)
    duplicate = ValidationError(
        {"email": _("An account with this email already exists. Sign in instead.")},
        code="duplicate_account",
    )
    if not email:
        raise ValidationError({"email": _("Enter your email address.")})
    if user_model.objects.filter(username__iexact=email).exists():
        raise duplicate
    recorded = _recorded_member_with_email(organization, email)
    if recorded is not None and recorded.user_id is not None:
        raise duplicate
    typed = Member(organization=organization, display_name=display_name, email=email, phone=phone)
    typed.full_clean(exclude=["avatar", "user", "chapter"])
    user = user_model(username=email, email=email)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.error_list}) from exc
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:  # a simultaneous sign-up with this email won the race
        raise duplicate from exc
    verification = EmailVerification(
        organization=organization,
        user=user,
        community=community,
        email=email,
        display_name=display_name,
        phone=phone,
    )
    if recorded is not None:
        verification.member = recorded
        verification.purpose = EmailVerificationPurpose.LINK
        verification.save()
        return SignUp(user=user, member=None, verification=verification)
    member = typed
    member.user = user
    member.sort_key = sort_key_for(member.display_name)
    member.save()
    index_member_names([member.pk])
    for channel, external_id in ((Channel.WEB, str(user.pk)), (Channel.EMAIL, email)):
        Identity.objects.create(
            organization=organization,
            member=member,
            channel=channel,
            external_id=external_id,
            display_name=member.display_name,
        )
    record_audit(
        actor=None,
        action=AuditAction.CREATE,
        target=member,
        changes={"user": [None, user.pk], "email": email},
        chapter_id=member.chapter_id,
        organization_id=organization.pk,
    )
    verification.member = member
    verification.purpose = EmailVerificationPurpose.CONFIRM
    verification.save()
    return SignUp(user=user, member=member, verification=verification)


def join_open_community(*, member: Member, community: Community) -> Membership:
    """A member joins an open community from its public page."""
    if community.access != CommunityAccess.OPEN:
        raise ValidationError(
            _("This community admits members by invitation or approval only."),
            code="not_open",
        )
    return add_membership(
        actor=None, member=member, community=community, source=MembershipSource.SELF_SIGNUP
    )
