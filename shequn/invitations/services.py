"""Writes of invite links and the joins they bring (docs/invitations.md)."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from shequn.invitations.models import InviteJoin, InviteLink
from shequn.members.models import Membership


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
        InviteLink.objects.filter(pk=link.pk).update(use_count=F("use_count") + 1)
    return join
