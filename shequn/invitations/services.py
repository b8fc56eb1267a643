"""Writes of invite links and the joins they bring (docs/invitations.md)."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shequn.accounts.selectors import OperatorScope
from shequn.audit.services import record_audit
from shequn.invitations.counters import add_join
from shequn.invitations.models import INVITE_CODE_LENGTH, PURPOSE_MAX_LENGTH, InviteJoin, InviteLink
from shequn.members.models import Member, Membership, MembershipStatus
from shequn.organizations.models import Community

# Letters and digits a person reads off a poster without doubt: no 0/o, 1/l/i.
CODE_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
MAX_USES_LIMIT = 1_000_000
EDITABLE_FIELDS = ("purpose", "expires_at", "max_uses")


def generate_invite_code() -> str:
    """An unguessable code: 12 characters of 31 (about 59 bits), from `secrets`."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(INVITE_CODE_LENGTH))


def _require_manager(actor: OperatorScope, community: Community) -> None:
    actor.require(
        community.organization_id == actor.organization.pk
        and actor.can_manage_members_of(community.pk, community.chapter_id)
    )


def _clean_fields(
    *,
    purpose: str,
    expires_at: datetime | None,
    max_uses: int | None,
    use_count: int = 0,
    check_expiry: bool = True,
) -> dict[str, Any]:
    errors: dict[str, str] = {}
    purpose = (purpose or "").strip()
    if len(purpose) > PURPOSE_MAX_LENGTH:
        errors["purpose"] = _("Keep the purpose to %(max)s characters.") % {
            "max": PURPOSE_MAX_LENGTH
        }
    if expires_at is not None and check_expiry and expires_at <= timezone.now():
        errors["expires_at"] = _("Choose an expiry in the future.")
    if max_uses is not None:
        if not 1 <= max_uses <= MAX_USES_LIMIT:
            errors["max_uses"] = _("Enter a number of uses between 1 and %(max)s.") % {
                "max": MAX_USES_LIMIT
            }
        elif max_uses < use_count:
            errors["max_uses"] = _(
                "This link has already brought %(count)s people: the maximum cannot be lower."
            ) % {"count": use_count}
    if errors:
        raise ValidationError(errors)
    return {"purpose": purpose, "expires_at": expires_at, "max_uses": max_uses}


def _audit(actor: OperatorScope | None, action: str, link: InviteLink, **changes: Any) -> None:
    record_audit(
        actor=actor,
        action=action,
        target=link,
        changes={k: str(v) if isinstance(v, datetime) else v for k, v in changes.items()},
        chapter_id=link.community.chapter_id,
        community_id=link.community_id,
        organization_id=link.organization_id,
    )


def _new_link(**fields: Any) -> InviteLink:
    """Create a link with a fresh code (a collision, once in 10^17, draws again)."""
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return InviteLink.objects.create(code=generate_invite_code(), **fields)
        except IntegrityError:
            if fields.get("is_personal"):
                raise
    raise RuntimeError("no free invite code")  # pragma: no cover


@transaction.atomic
def create_invite_link(
    *,
    actor: OperatorScope,
    community: Community,
    purpose: str = "",
    inviter_member: Member | None = None,
    inviter_operator: bool = False,
    expires_at: datetime | None = None,
    max_uses: int | None = None,
) -> InviteLink:
    """A new link into `community`: the operator's own (`inviter_operator`), a member's
    (`inviter_member`, who must be in the community's organisation) or a purpose-only one."""
    _require_manager(actor, community)
    fields = _clean_fields(purpose=purpose, expires_at=expires_at, max_uses=max_uses)
    if inviter_member is not None and inviter_member.organization_id != community.organization_id:
        raise ValidationError({"inviter": _("This member belongs to another organisation.")})
    if inviter_member is None and not inviter_operator and not fields["purpose"]:
        raise ValidationError({"purpose": _("Name the purpose of a link nobody hands out.")})
    link = _new_link(
        organization_id=community.organization_id,
        community=community,
        inviter_member=inviter_member,
        inviter_operator=actor.operator if inviter_operator and inviter_member is None else None,
        created_by_id=actor.user.pk,
        **fields,
    )
    _audit(
        actor,
        "invite_link.create",
        link,
        code=link.code,
        inviter_member=link.inviter_member_id,
        inviter_operator=link.inviter_operator_id,
        **fields,
    )
    return link


@transaction.atomic
def update_invite_link(*, actor: OperatorScope, link: InviteLink, **changes: Any) -> InviteLink:
    """Change the purpose, expiry or maximum uses (only the keywords given)."""
    _require_manager(actor, link.community)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    link = InviteLink.objects.select_for_update().select_related("community").get(pk=link.pk)
    current = {name: getattr(link, name) for name in EDITABLE_FIELDS}
    wanted = current | changes
    cleaned = _clean_fields(
        use_count=link.use_count,
        check_expiry="expires_at" in changes and changes["expires_at"] != link.expires_at,
        **wanted,
    )
    nobody = not (link.is_personal or link.inviter_member_id or link.inviter_operator_id)
    if nobody and not cleaned["purpose"]:
        raise ValidationError({"purpose": _("Name the purpose of a link nobody hands out.")})
    changed = {k: v for k, v in cleaned.items() if v != current[k]}
    if changed:
        for name, value in changed.items():
            setattr(link, name, value)
        link.save(update_fields=[*changed, "updated_at"])
        _audit(actor, "invite_link.update", link, **changed)
    return link


@transaction.atomic
def set_invite_link_enabled(*, actor: OperatorScope, link: InviteLink, enabled: bool) -> InviteLink:
    """Switch a link off (it brings nobody in; its joins stay) or on again."""
    _require_manager(actor, link.community)
    link = InviteLink.objects.select_for_update().select_related("community").get(pk=link.pk)
    if enabled == (link.disabled_at is None):
        return link
    link.disabled_at = None if enabled else timezone.now()
    link.save(update_fields=["disabled_at", "updated_at"])
    _audit(actor, "invite_link.enable" if enabled else "invite_link.disable", link)
    return link


def get_or_create_member_link(member: Member, community: Community) -> InviteLink:
    """The member's own link into a community they are an active member of (one per member
    and community; made on first use). ValidationError `not_member` otherwise."""
    active = Membership.objects.filter(
        member_id=member.pk, community_id=community.pk, status=MembershipStatus.ACTIVE
    ).exists()
    if not active:
        raise ValidationError(
            _("Only members of this community have an invite link to it."), code="not_member"
        )
    existing = InviteLink.objects.filter(
        community_id=community.pk, inviter_member_id=member.pk, is_personal=True
    ).first()
    if existing is not None:
        return existing
    try:
        link = _new_link(
            organization_id=community.organization_id,
            community=community,
            inviter_member=member,
            is_personal=True,
        )
    except IntegrityError:  # made concurrently
        return InviteLink.objects.get(
            community_id=community.pk, inviter_member_id=member.pk, is_personal=True
        )
    link.community = community
    _audit(None, "invite_link.create", link, code=link.code, inviter_member=member.pk)
    return link


def check_invite_link_usable(link: InviteLink, *, now: datetime | None = None) -> None:
    """ValidationError (code `invite_off`, `invite_expired` or `invite_used_up`) when the link
    no longer brings anybody in."""
    now = now or timezone.now()
    if link.disabled_at is not None:
        raise ValidationError(_("This invite link has been switched off."), code="invite_off")
    if link.expires_at is not None and link.expires_at <= now:
        raise ValidationError(_("This invite link has expired."), code="invite_expired")
    if link.max_uses is not None and link.use_count >= link.max_uses:
        raise ValidationError(
            _("This invite link has been used as often as it may be."), code="invite_used_up"
        )


def invite_activity_properties(link: InviteLink) -> dict[str, int]:
    """What a join through `link` records on its join activity."""
    properties = {"invite_link": link.pk}
    if link.inviter_member_id:
        properties["inviter_member"] = link.inviter_member_id
    if link.inviter_operator_id:
        properties["inviter_operator"] = link.inviter_operator_id
    return properties


@transaction.atomic
def record_invite_join(*, link: InviteLink, membership: Membership) -> InviteJoin:
    """Attribute a join to the link it came through: one InviteJoin, one more use.

    The link row is locked and re-checked, so concurrent joins never pass `max_uses`; a link
    that ran out meanwhile raises the ValidationError of `check_invite_link_usable` (the
    caller's transaction, and so the join, is rolled back).
    """
    link = InviteLink.objects.select_for_update().get(pk=link.pk)
    check_invite_link_usable(link)
    join, created = InviteJoin.objects.get_or_create(
        membership=membership,
        joined_at=membership.joined_at,
        defaults={
            "organization_id": link.organization_id,
            "community_id": membership.community_id,
            "link": link,
            "member_id": membership.member_id,
            "inviter_member_id": link.inviter_member_id,
            "inviter_operator_id": link.inviter_operator_id,
        },
    )
    if created:
        add_join(link, join)
    return join
