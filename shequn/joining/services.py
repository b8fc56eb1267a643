"""Writes of joining and leaving (docs/joining.md): join policy, waitlist offers, leave requests,
removal, the rejoin permission and the organisation-wide blacklist. Each audits its change."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shequn.audit.models import AuditAction
from shequn.audit.services import record_audit
from shequn.joining.models import (
    OPEN_WAITLIST_STATUSES,
    BlacklistEntry,
    BlacklistKey,
    JoinPolicy,
    LeaveRequest,
    LeaveRequestStatus,
    WaitlistEntry,
    WaitlistStatus,
)
from shequn.joining.rules import count_free_seats, get_join_policy
from shequn.members.models import Identity, Member, Membership, MembershipStatus
from shequn.members.phones import normalize_phone
from shequn.members.services import end_membership
from shequn.organizations.models import Community

if TYPE_CHECKING:
    from shequn.accounts.selectors import OperatorScope

POLICY_FIELDS = (
    "waitlist_enabled",
    "offer_hours",
    "rejoin_policy",
    "leave_review",
    "paid_requires_application",
    "min_level",
    "rights_duties",
    "perks",
    "next_steps",
)
MAX_OFFER_HOURS = 24 * 30
REASON_MAX_LENGTH = 500
# Seats one run of the offer job hands out per community (the next run continues).
MAX_OFFERS_PER_RUN = 200


def _reason(reason: str, *, required: bool) -> str:
    reason = (reason or "").strip()
    if required and not reason:
        raise ValidationError({"reason": _("Give a reason.")}, code="reason_required")
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationError(
            {"reason": _("At most %(max)s characters.") % {"max": REASON_MAX_LENGTH}},
            code="reason_too_long",
        )
    return reason


# --- join policy ------------------------------------------------------------------------------


@transaction.atomic
def update_join_policy(
    *, actor: OperatorScope, community: Community, data: Mapping[str, Any]
) -> JoinPolicy:
    """Save the community's joining rules (chapter heads of its chapter and admins)."""
    actor.require(actor.can_manage_chapter(community.chapter_id))
    policy = JoinPolicy.objects.select_for_update().filter(community_id=community.pk).first()
    policy = policy or JoinPolicy(community=community)
    before = {f: getattr(policy, f) for f in POLICY_FIELDS}
    for name in POLICY_FIELDS:
        if name in data:
            setattr(policy, name, data[name])
    if not 1 <= int(policy.offer_hours) <= MAX_OFFER_HOURS:
        raise ValidationError(
            {"offer_hours": _("Between 1 and %(max)s hours.") % {"max": MAX_OFFER_HOURS}}
        )
    policy.full_clean(exclude=["community"])
    policy.save()
    changes = {
        f: [before[f], getattr(policy, f)] for f in POLICY_FIELDS if before[f] != getattr(policy, f)
    }
    if changes:
        record_audit(
            actor=actor,
            action=AuditAction.UPDATE,
            target=policy,
            changes=changes,
            chapter_id=community.chapter_id,
            community_id=community.pk,
            organization_id=community.organization_id,
        )
    if policy.waitlist_enabled:
        offer_seats_soon(community.pk)
    return policy


# --- waitlist -----------------------------------------------------------------------------------


def offer_seats_soon(community_id: int) -> None:
    """After the commit, offer the community's free seats to the next people waiting."""
    from shequn.joining.tasks import offer_community_seats

    transaction.on_commit(lambda: offer_community_seats(community_id))


def _offer(entry: WaitlistEntry, *, hours: int, now: Any) -> None:
    entry.status = WaitlistStatus.OFFERED
    entry.offered_at = now
    entry.offer_expires_at = now + timedelta(hours=hours)
    entry.save(update_fields=["status", "offered_at", "offer_expires_at", "updated_at"])
    if entry.member.email:
        from shequn.joining.tasks import send_offer_email

        entry_id = entry.pk
        transaction.on_commit(lambda: send_offer_email(entry_id))


@transaction.atomic
def offer_free_seats(*, community_id: int) -> list[int]:
    """Expire the community's lapsed offers, then offer each free seat to the next person
    waiting. Under the community's row lock: two runs at once offer each seat once.
    Returns the ids of the entries offered now."""
    community = Community.objects.select_for_update(of=("self",)).filter(pk=community_id).first()
    if community is None:
        return []
    now = timezone.now()
    WaitlistEntry.objects.filter(
        community_id=community_id, status=WaitlistStatus.OFFERED, offer_expires_at__lte=now
    ).update(status=WaitlistStatus.EXPIRED, closed_at=now, updated_at=now)
    free = min(count_free_seats(community=community, now=now), MAX_OFFERS_PER_RUN)
    if free <= 0:
        return []
    hours = get_join_policy(community).offer_hours
    entries = list(
        WaitlistEntry.objects.select_for_update(of=("self",))
        .select_related("member")
        .filter(community_id=community_id, status=WaitlistStatus.WAITING)
        .order_by("created_at", "id")[:free]
    )
    for entry in entries:
        _offer(entry, hours=hours, now=now)
    return [e.pk for e in entries]


def _lock_entry(entry: WaitlistEntry) -> WaitlistEntry:
    return (
        WaitlistEntry.objects.select_for_update(of=("self",))
        .select_related("member", "community")
        .get(pk=entry.pk)
    )


@transaction.atomic
def offer_seat_now(*, actor: OperatorScope, entry: WaitlistEntry) -> WaitlistEntry:
    """An operator offers a seat to this person now (out of turn; the capacity still holds)."""
    actor.require(actor.can_manage_members_of(entry.community_id, entry.community.chapter_id))
    Community.objects.select_for_update(of=("self",)).get(pk=entry.community_id)
    entry = _lock_entry(entry)
    if entry.status != WaitlistStatus.WAITING:
        raise ValidationError(_("This person is no longer waiting."), code="not_waiting")
    if count_free_seats(community=entry.community) <= 0:
        raise ValidationError(_("The community has no free seat."), code="community_full")
    _offer(entry, hours=get_join_policy(entry.community).offer_hours, now=timezone.now())
    record_audit(
        actor=actor,
        action=AuditAction.UPDATE,
        target=entry,
        changes={"status": [WaitlistStatus.WAITING, WaitlistStatus.OFFERED]},
        chapter_id=entry.community.chapter_id,
        community_id=entry.community_id,
        organization_id=entry.organization_id,
    )
    return entry


def _close_entry(entry: WaitlistEntry) -> WaitlistEntry:
    entry = _lock_entry(entry)
    if entry.status not in OPEN_WAITLIST_STATUSES:
        raise ValidationError(_("This waitlist entry is closed."), code="already_closed")
    entry.status, entry.closed_at = WaitlistStatus.CANCELLED, timezone.now()
    entry.save(update_fields=["status", "closed_at", "updated_at"])
    offer_seats_soon(entry.community_id)
    return entry


@transaction.atomic
def leave_waitlist(*, member: Member, entry: WaitlistEntry) -> WaitlistEntry:
    """The member gives up their place (or their offered seat)."""
    if entry.member_id != member.pk:
        raise ValidationError(_("This is not your waitlist entry."), code="not_yours")
    return _close_entry(entry)


@transaction.atomic
def remove_waitlist_entry(*, actor: OperatorScope, entry: WaitlistEntry) -> WaitlistEntry:
    """An operator takes a person off the waitlist."""
    actor.require(actor.can_manage_members_of(entry.community_id, entry.community.chapter_id))
    old = entry.status
    entry = _close_entry(entry)
    record_audit(
        actor=actor,
        action=AuditAction.DELETE,
        target=entry,
        changes={"status": [old, entry.status]},
        chapter_id=entry.community.chapter_id,
        community_id=entry.community_id,
        organization_id=entry.organization_id,
    )
    return entry


# --- leaving --------------------------------------------------------------------------------------


@transaction.atomic
def request_leave(*, membership: Membership, reason: str = "") -> LeaveRequest:
    """A member asks to leave (退群申请). Without leave review it takes effect at once."""
    reason = _reason(reason, required=False)
    membership = (
        Membership.objects.select_for_update(of=("self",))
        .select_related("community", "member")
        .get(pk=membership.pk)
    )
    if membership.status != MembershipStatus.ACTIVE:
        raise ValidationError(_("You are not a member of this community."), code="already_ended")
    pending = LeaveRequest.objects.filter(
        membership_id=membership.pk, status=LeaveRequestStatus.PENDING
    ).first()
    if pending is not None:
        return pending
    community = membership.community
    try:
        with transaction.atomic():
            leave = LeaveRequest.objects.create(
                organization_id=community.organization_id,
                community=community,
                member=membership.member,
                membership=membership,
                reason=reason,
            )
    except IntegrityError:  # a concurrent tap made it
        return LeaveRequest.objects.get(
            membership_id=membership.pk, status=LeaveRequestStatus.PENDING
        )
    if not get_join_policy(community).leave_review:
        _complete_leave(leave, actor=None)
    return leave


def _complete_leave(leave: LeaveRequest, *, actor: OperatorScope | None) -> None:
    end_membership(
        actor=None,
        membership=leave.membership,
        status=MembershipStatus.LEFT,
        reason=leave.reason,
        by_request=True,
    )
    leave.status, leave.decided_at = LeaveRequestStatus.DONE, timezone.now()
    leave.decided_by_id = actor.user.pk if actor else None
    leave.save(update_fields=["status", "decided_at", "decided_by", "updated_at"])
    offer_seats_soon(leave.community_id)


def _lock_leave(leave: LeaveRequest) -> LeaveRequest:
    leave = (
        LeaveRequest.objects.select_for_update(of=("self",))
        .select_related("community", "membership__community")
        .get(pk=leave.pk)
    )
    if leave.status != LeaveRequestStatus.PENDING:
        raise ValidationError(_("This leave request is already closed."), code="already_decided")
    return leave


@transaction.atomic
def confirm_leave_request(*, actor: OperatorScope, leave: LeaveRequest) -> LeaveRequest:
    """An operator confirms a pending leave request: the member leaves (by request)."""
    actor.require(actor.can_manage_members_of(leave.community_id, leave.community.chapter_id))
    leave = _lock_leave(leave)
    _complete_leave(leave, actor=actor)
    record_audit(
        actor=actor,
        action=AuditAction.UPDATE,
        target=leave,
        changes={"status": [LeaveRequestStatus.PENDING, LeaveRequestStatus.DONE]},
        chapter_id=leave.community.chapter_id,
        community_id=leave.community_id,
        organization_id=leave.organization_id,
    )
    return leave


@transaction.atomic
def withdraw_leave_request(*, member: Member, leave: LeaveRequest) -> LeaveRequest:
    """The member takes back a pending leave request: they stay."""
    if leave.member_id != member.pk:
        raise ValidationError(_("This is not your request."), code="not_yours")
    leave = _lock_leave(leave)
    leave.status, leave.decided_at = LeaveRequestStatus.WITHDRAWN, timezone.now()
    leave.save(update_fields=["status", "decided_at", "updated_at"])
    return leave


@transaction.atomic
def remove_member(*, actor: OperatorScope, membership: Membership, reason: str) -> Membership:
    """An operator removes a member from a community, with the reason (required)."""
    reason = _reason(reason, required=True)
    membership = end_membership(
        actor=actor, membership=membership, status=MembershipStatus.REMOVED, reason=reason
    )
    LeaveRequest.objects.filter(
        membership_id=membership.pk, status=LeaveRequestStatus.PENDING
    ).update(status=LeaveRequestStatus.WITHDRAWN, decided_at=timezone.now())
    offer_seats_soon(membership.community_id)
    return membership


@transaction.atomic
def allow_rejoin(*, actor: OperatorScope, membership: Membership, reason: str = "") -> Membership:
    """Let a member who may not come back under the rejoin rule join again."""
    actor.require(actor.can_manage_chapter(membership.community.chapter_id))
    reason = _reason(reason, required=False)
    membership = (
        Membership.objects.select_for_update(of=("self",))
        .select_related("community")
        .get(pk=membership.pk)
    )
    if membership.status == MembershipStatus.ACTIVE:
        raise ValidationError(_("This member is in the community."), code="already_member")
    if membership.rejoin_allowed:
        return membership
    membership.rejoin_allowed = True
    membership.save(update_fields=["rejoin_allowed", "updated_at"])
    record_audit(
        actor=actor,
        action=AuditAction.UPDATE,
        target=membership,
        changes={"rejoin_allowed": [False, True]} | ({"reason": reason} if reason else {}),
        chapter_id=membership.community.chapter_id,
        community_id=membership.community_id,
        organization_id=membership.community.organization_id,
    )
    return membership


# --- blacklist ----------------------------------------------------------------------------------


def can_blacklist(actor: OperatorScope, member: Member | None) -> bool:
    """Organisation admins always; chapter heads for members of their chapter (home chapter)."""
    if actor.is_org_admin:
        return True
    return (
        actor.is_chapter_head
        and member is not None
        and member.chapter_id is not None
        and member.chapter_id in actor.chapter_ids
    )


def _phone(value: str) -> str:
    try:
        return normalize_phone(value)
    except ValidationError as exc:
        raise ValidationError({"phone": exc.messages}, code="invalid_phone") from exc


@transaction.atomic
def add_to_blacklist(
    *,
    actor: OperatorScope,
    reason: str,
    member: Member | None = None,
    phone: str = "",
    email: str = "",
    channel: str = "",
    external_id: str = "",
    display_name: str = "",
) -> BlacklistEntry:
    """Blacklist a person across the organisation (拉黑).

    A member: their phone, email and identities are copied into the entry; they are removed
    from every community of the organisation (REMOVED, with the reason) and their open
    waitlist entries are cancelled. Without a member: by phone, email or a channel account.
    """
    actor.require(can_blacklist(actor, member))
    reason = _reason(reason, required=True)
    org_id = actor.organization.pk
    keys: list[tuple[str, str]] = []
    if member is not None:
        if member.organization_id != org_id:
            raise ValidationError(_("Unknown member."), code="other_organization")
        display_name = member.display_name
        phone, email = member.phone, member.email
        keys = list(
            Identity.objects.filter(member_id=member.pk).values_list("channel", "external_id")
        )
    else:
        phone, email = _phone(phone), email.strip().lower()
        if channel and external_id:
            keys = [(channel, external_id.strip()[:128])]
        if not (phone or email or keys):
            raise ValidationError(
                _("Give a phone number, an email address or a channel account."),
                code="nothing_to_match",
            )
    entry = BlacklistEntry.objects.create(
        organization_id=org_id,
        member=member,
        display_name=display_name[:64],
        phone=phone,
        email=(email or "").lower(),
        identities=[{"channel": c, "external_id": e} for c, e in keys],
        reason=reason,
        added_by_id=actor.user.pk,
    )
    BlacklistKey.objects.bulk_create(
        [
            BlacklistKey(entry=entry, organization_id=org_id, channel=c, external_id=e)
            for c, e in keys
        ]
    )
    record_audit(
        actor=actor,
        action=AuditAction.CREATE,
        target=entry,
        changes={"reason": reason, "member": member.pk if member else None},
        organization_id=org_id,
    )
    if member is not None:
        _expel(member=member, reason=reason)
    return entry


def _expel(*, member: Member, reason: str) -> None:
    """Remove a blacklisted member from every community and cancel their waiting."""
    now = timezone.now()
    for membership in Membership.objects.select_related("community").filter(
        member_id=member.pk, status=MembershipStatus.ACTIVE
    ):
        end_membership(
            actor=None, membership=membership, status=MembershipStatus.REMOVED, reason=reason
        )
        offer_seats_soon(membership.community_id)
    WaitlistEntry.objects.filter(member_id=member.pk, status__in=OPEN_WAITLIST_STATUSES).update(
        status=WaitlistStatus.CANCELLED, closed_at=now, updated_at=now
    )
    LeaveRequest.objects.filter(member_id=member.pk, status=LeaveRequestStatus.PENDING).update(
        status=LeaveRequestStatus.WITHDRAWN, decided_at=now
    )


@transaction.atomic
def lift_blacklist_entry(
    *, actor: OperatorScope, entry: BlacklistEntry, reason: str
) -> BlacklistEntry:
    """Lift a blacklist entry (kept as a record): the person may join again."""
    actor.require(can_blacklist(actor, entry.member))
    reason = _reason(reason, required=True)
    entry = BlacklistEntry.objects.select_for_update().get(pk=entry.pk)
    if entry.lifted_at is not None:
        raise ValidationError(_("This entry is already lifted."), code="already_lifted")
    entry.lifted_at, entry.lifted_by_id, entry.lift_reason = timezone.now(), actor.user.pk, reason
    entry.save(update_fields=["lifted_at", "lifted_by", "lift_reason", "updated_at"])
    record_audit(
        actor=actor,
        action=AuditAction.UPDATE,
        target=entry,
        changes={"lifted_at": [None, entry.lifted_at], "lift_reason": reason},
        organization_id=entry.organization_id,
    )
    return entry
