"""Writes to members, identities and memberships. Each checks the actor and audits."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shequn.audit.models import AuditAction
from shequn.audit.services import diff, record_audit, snapshot
from shequn.core.images import validate_image_upload
from shequn.members.models import (
    Channel,
    Identity,
    Member,
    Membership,
    MembershipRole,
    MembershipSource,
    MembershipStatus,
)
from shequn.organizations.models import Chapter, Community, CommunityAccess, CommunityStatus

if TYPE_CHECKING:
    from shequn.accounts.selectors import OperatorScope
    from shequn.organizations.models import Organization

MEMBER_FIELDS = ("display_name", "chapter", "phone", "email", "avatar", "notes")
IDENTITY_FIELDS = ("channel", "external_id", "display_name")
MEMBERSHIP_FIELDS = ("role", "status", "source", "joined_at", "left_at")
# Roles an assistant may not hand out: only chapter heads and organisation admins may.
LEADING_ROLES = {MembershipRole.OWNER, MembershipRole.ADMIN}


def _validate_avatar(avatar: UploadedFile[bytes] | None) -> None:
    if avatar is not None:
        try:
            validate_image_upload(avatar)
        except ValidationError as exc:
            raise ValidationError({"avatar": [exc]}) from exc


def _member_chapter_allowed(actor: OperatorScope, chapter: Chapter | None) -> bool:
    if chapter is not None and chapter.organization_id != actor.organization.pk:
        return False
    if actor.is_org_admin:
        return True
    return actor.is_chapter_head and chapter is not None and chapter.pk in actor.chapter_ids


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

    An assistant may only create members into one of their communities.
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
        display_name=display_name.strip(),
        phone=phone.strip(),
        email=email.strip(),
        notes=notes,
    )
    _validate_avatar(avatar)
    member.full_clean(exclude=["avatar", "user"])
    if avatar:
        member.avatar = avatar
    member.save()
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
    """Change a member's profile. Moving them to another chapter needs rights on it."""
    member = Member.objects.select_for_update().get(pk=member.pk)
    if "chapter" in data and data["chapter"] != member.chapter:
        actor.require(_member_chapter_allowed(actor, data["chapter"]))
    avatar = data.get("avatar")
    _validate_avatar(avatar if isinstance(avatar, UploadedFile) else None)
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
        setattr(
            member, name, value.strip() if name in {"display_name", "phone", "email"} else value
        )
    member.full_clean(exclude=["avatar", "user"])
    changes = diff(before, snapshot(member, MEMBER_FIELDS))
    if changes:
        member.save(update_fields=[*changes, "updated_at"])
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
        display_name=display_name.strip(),
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
            setattr(identity, name, str(data[name]).strip())
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
    active = Membership.objects.filter(community=community, status=MembershipStatus.ACTIVE).count()
    if active >= community.capacity:
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
) -> Membership:
    """Put a member into a community (or back into it after they left)."""
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
    community = Community.objects.select_for_update().get(pk=community.pk)
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
        membership = Membership.objects.create(
            member=member, community=community, role=role, source=source, joined_at=now
        )
        action, changes = AuditAction.JOIN, snapshot(membership, MEMBERSHIP_FIELDS)
    else:
        before = snapshot(membership, MEMBERSHIP_FIELDS)
        membership.role, membership.source = role, source
        membership.status, membership.joined_at, membership.left_at = (
            MembershipStatus.ACTIVE,
            now,
            None,
        )
        membership.save(
            update_fields=["role", "source", "status", "joined_at", "left_at", "updated_at"]
        )
        action = AuditAction.JOIN
        changes = diff(before, snapshot(membership, MEMBERSHIP_FIELDS))
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
    """Give a member another role in a community (chapter heads and admins only)."""
    actor.require(actor.can_manage_chapter(membership.community.chapter_id))
    if role not in MembershipRole.values:
        raise ValidationError({"role": _("Unknown role.")}, code="invalid_role")
    membership = (
        Membership.objects.select_for_update().select_related("community").get(pk=membership.pk)
    )
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
) -> Membership:
    """Record that a member left (by themselves) or was removed from a community."""
    if status not in (MembershipStatus.LEFT, MembershipStatus.REMOVED):
        raise ValidationError({"status": _("A membership can only end as left or removed.")})
    if actor is not None:
        actor.require(
            actor.can_manage_members_of(membership.community_id, membership.community.chapter_id)
        )
    membership = (
        Membership.objects.select_for_update().select_related("community").get(pk=membership.pk)
    )
    if membership.status != MembershipStatus.ACTIVE:
        raise ValidationError(_("This membership has already ended."), code="already_ended")
    old = membership.status
    membership.status, membership.left_at = status, timezone.now()
    membership.save(update_fields=["status", "left_at", "updated_at"])
    record_audit(
        actor=actor,
        action=AuditAction.LEAVE,
        target=membership,
        changes={"status": [old, status]},
        chapter_id=membership.community.chapter_id,
        community_id=membership.community_id,
        organization_id=membership.community.organization_id,
    )
    return membership


@transaction.atomic
def sign_up_member(
    *,
    organization: Organization,
    display_name: str,
    email: str,
    password: str,
    phone: str = "",
) -> Member:
    """A visitor creates a web account and becomes a member of the organisation.

    When an operator already recorded a member with this email (and no web account), the
    new account is linked to that member instead of creating a second person.
    """
    user_model = get_user_model()
    email = email.strip().lower()
    display_name = display_name.strip()
    if not email:
        raise ValidationError({"email": _("Enter your email address.")})
    if user_model.objects.filter(username__iexact=email).exists():
        raise ValidationError(
            {"email": _("An account with this email already exists. Sign in instead.")},
            code="duplicate_account",
        )
    known = (
        Identity.objects.select_related("member")
        .filter(organization=organization, channel=Channel.EMAIL, external_id=email)
        .first()
    )
    if known is not None and known.member.user_id is not None:
        raise ValidationError(
            {"email": _("An account with this email already exists. Sign in instead.")},
            code="duplicate_account",
        )
    member = known.member if known is not None else Member(organization=organization)
    member.display_name = display_name or member.display_name
    member.email = email
    member.phone = phone.strip() or member.phone
    member.full_clean(exclude=["avatar", "user", "chapter"])
    user = user_model(username=email, email=email)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.error_list}) from exc
    user.set_password(password)
    user.save()
    member.user = user
    member.save()
    Identity.objects.create(
        organization=organization,
        member=member,
        channel=Channel.WEB,
        external_id=str(user.pk),
        display_name=member.display_name,
    )
    if known is None:
        Identity.objects.create(
            organization=organization,
            member=member,
            channel=Channel.EMAIL,
            external_id=email,
            display_name=member.display_name,
        )
    record_audit(
        actor=None,
        action=AuditAction.CREATE if known is None else AuditAction.UPDATE,
        target=member,
        changes={"user": [None, user.pk], "email": email},
        chapter_id=member.chapter_id,
        organization_id=organization.pk,
    )
    return member


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
