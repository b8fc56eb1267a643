"""admit_member: the one way a person gets into a community from outside the console.

An open community's join button, an approved application, a paid order and a taken waitlist
offer all end here, so the blacklist, the rejoin rule, capacity (with its waitlist) and invite
attribution hold for every path (docs/joining.md). Operators adding a member in the console use
`shequn.members.services.add_membership` directly: they decide, the capacity still holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shequn.invitations.services import (
    check_invite_link_usable,
    invite_activity_properties,
    record_invite_join,
)
from shequn.joining.models import OPEN_WAITLIST_STATUSES, WaitlistEntry, WaitlistStatus
from shequn.joining.rules import count_free_seats, find_blacklist_entry, get_join_policy, may_rejoin
from shequn.members.models import Member, Membership, MembershipSource, MembershipStatus
from shequn.members.services import add_membership
from shequn.organizations.models import Community, CommunityAccess, CommunityStatus

if TYPE_CHECKING:
    from shequn.invitations.models import InviteLink


BLACKLISTED_MESSAGE = gettext_lazy("This organisation does not admit you to its communities.")


@dataclass(frozen=True)
class Admission:
    """What `admit_member` did: joined (`membership`) or put on the waitlist (`waitlist_entry`)."""

    membership: Membership | None
    waitlist_entry: WaitlistEntry | None = None

    @property
    def joined(self) -> bool:
        return self.membership is not None


def check_not_blacklisted(member: Member) -> None:
    """ValidationError `blacklisted` when a standing blacklist entry matches the member."""
    if find_blacklist_entry(organization_id=member.organization_id, member=member) is not None:
        raise ValidationError(BLACKLISTED_MESSAGE, code="blacklisted")


def check_community_open(community: Community) -> None:
    """ValidationError when the community takes nobody (archived, dissolved, past its end)."""
    if community.status != CommunityStatus.ACTIVE:
        raise ValidationError(
            _("This community is closed and takes no new members."), code="community_inactive"
        )
    if community.is_past_closing_end(timezone.now()):
        raise ValidationError(
            _("This community closed at its end; it no longer takes members."),
            code="community_ended",
        )


def check_may_rejoin(member: Member, community: Community) -> None:
    """ValidationError `rejoin_blocked` when the member's last stint bars them (the rejoin rule)."""
    membership = Membership.objects.filter(member_id=member.pk, community_id=community.pk).first()
    if membership is not None and membership.status == MembershipStatus.ACTIVE:
        raise ValidationError(
            _("You are already a member of this community."), code="already_member"
        )
    if not may_rejoin(policy=get_join_policy(community), membership=membership):
        raise ValidationError(
            _(
                "You left this community without a request or were removed: an operator must "
                "allow you back before you can join again."
            ),
            code="rejoin_blocked",
        )


def check_can_enter(member: Member, community: Community) -> None:
    """Every check of `admit_member` but capacity, for the start of an application or order."""
    if member.organization_id != community.organization_id:
        raise ValidationError(
            _("The member and the community belong to different organisations."),
            code="other_organization",
        )
    check_community_open(community)
    check_not_blacklisted(member)
    check_may_rejoin(member, community)
    check_level(member, community)


def check_level(member: Member, community: Community) -> None:
    """A level perk: the community's joining rules may admit members from a level up."""
    minimum = get_join_policy(community).min_level
    if not minimum:
        return
    from shequn.points.models import MemberPoints

    row = MemberPoints.objects.filter(pk=member.pk).select_related("level").first()
    level = row.level.number if row is not None and row.level is not None else 0
    if level < minimum:
        raise ValidationError(
            _("This community admits members from level %(min)s; you are at level %(level)s."),
            code="level_too_low",
            params={"min": minimum, "level": level},
        )


def _waitlist(
    *, member: Member, community: Community, invite_link: InviteLink | None
) -> WaitlistEntry:
    """The member's open waitlist entry, made if there is none (a second tap keeps the first)."""
    existing = WaitlistEntry.objects.filter(
        community_id=community.pk, member_id=member.pk, status__in=OPEN_WAITLIST_STATUSES
    ).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return WaitlistEntry.objects.create(
                organization_id=community.organization_id,
                community=community,
                member=member,
                invite_link=invite_link,
            )
    except IntegrityError:  # a concurrent tap made it
        return WaitlistEntry.objects.get(
            community_id=community.pk, member_id=member.pk, status__in=OPEN_WAITLIST_STATUSES
        )


@transaction.atomic
def admit_member(
    *,
    member: Member,
    community: Community,
    source: str,
    invite_link: InviteLink | None = None,
    via_application: bool = False,
    via_order: bool = False,
    properties: dict[str, Any] | None = None,
    use_waitlist: bool = True,
) -> Admission:
    """Put a person into a community, or on its waitlist when it is full and keeps one.

    Raises ValidationError (codes: other_organization, community_inactive, community_ended,
    blacklisted, already_member, rejoin_blocked, application_required, payment_required,
    invite_*, community_full) and changes nothing then. The community row is locked first, so
    concurrent joins see each other's seats: capacity is never passed.
    `via_application` / `via_order`: an approved application or a paid order lets the person
    past a private or paid community's gate (the callers check them).
    """
    community = (
        Community.objects.select_for_update(of=("self",))
        .select_related("organization")
        .get(pk=community.pk)
    )
    check_can_enter(member, community)
    if community.access == CommunityAccess.PRIVATE and not (via_application or via_order):
        raise ValidationError(
            _("This community admits members after an approved application."),
            code="application_required",
        )
    if community.access == CommunityAccess.PAID and not via_order:
        raise ValidationError(
            _("This community admits members after payment."), code="payment_required"
        )
    if invite_link is not None:
        check_invite_link_usable(invite_link)
    now = timezone.now()
    offer = WaitlistEntry.objects.filter(
        community_id=community.pk,
        member_id=member.pk,
        status=WaitlistStatus.OFFERED,
        offer_expires_at__gt=now,
    ).first()
    if count_free_seats(community=community, now=now, for_member=member) <= 0:
        if use_waitlist and get_join_policy(community).waitlist_enabled:
            entry = _waitlist(member=member, community=community, invite_link=invite_link)
            return Admission(membership=None, waitlist_entry=entry)
        raise ValidationError(
            _("This community is full (%(capacity)s members)."),
            code="community_full",
            params={"capacity": community.capacity},
        )
    if invite_link is None and offer is not None and offer.invite_link_id:
        invite_link = offer.invite_link
    activity_properties = dict(properties or {})
    if invite_link is not None:
        activity_properties |= invite_activity_properties(invite_link)
        source = MembershipSource.INVITE if source == MembershipSource.SELF_SIGNUP else source
    membership = add_membership(
        actor=None,
        member=member,
        community=community,
        source=source,
        activity_properties=activity_properties,
    )
    if invite_link is not None:
        record_invite_join(link=invite_link, membership=membership)
    WaitlistEntry.objects.filter(
        community_id=community.pk, member_id=member.pk, status__in=OPEN_WAITLIST_STATUSES
    ).update(status=WaitlistStatus.JOINED, closed_at=now, updated_at=now)
    return Admission(membership=membership)
