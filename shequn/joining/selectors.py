"""Reads of joining: permission-checked lists and objects for the console and the API."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from shequn.joining.models import (
    OPEN_WAITLIST_STATUSES,
    BlacklistEntry,
    LeaveRequest,
    LeaveRequestStatus,
    WaitlistEntry,
    WaitlistStatus,
)
from shequn.joining.rules import find_blacklist_entry
from shequn.members.models import Member
from shequn.organizations.models import Community

if TYPE_CHECKING:
    from shequn.accounts.selectors import OperatorScope

# Counts on panels stop here ("200+"): a bounded count, never the whole table.
COUNT_CAP = 200


def bounded_count(queryset: QuerySet[WaitlistEntry] | QuerySet[LeaveRequest]) -> int:
    return len(queryset.order_by().values_list("pk", flat=True)[: COUNT_CAP + 1])


def list_waitlist(*, community: Community, status: str = "") -> QuerySet[WaitlistEntry]:
    """A community's waitlist in its order (first come, first offered); open entries first."""
    entries = WaitlistEntry.objects.filter(community_id=community.pk).select_related("member")
    if status:
        return entries.filter(status=status).order_by("created_at", "id")
    return entries.filter(status__in=OPEN_WAITLIST_STATUSES).order_by("created_at", "id")


def get_waitlist_entry_for_user(*, actor: OperatorScope, entry_id: int) -> WaitlistEntry:
    entry = (
        WaitlistEntry.objects.select_related("member", "community")
        .filter(actor.community_filter("community__"), pk=entry_id)
        .first()
    )
    if entry is None:
        raise Http404(_("No such waitlist entry."))
    return entry


def get_own_waitlist_entry(*, member: Member, community: Community) -> WaitlistEntry | None:
    """The member's open entry on the community's waitlist."""
    return (
        WaitlistEntry.objects.filter(
            member_id=member.pk, community_id=community.pk, status__in=OPEN_WAITLIST_STATUSES
        )
        .order_by("-id")
        .first()
    )


def get_waitlist_position(entry: WaitlistEntry) -> int:
    """1 for the next person offered a seat (people waiting before them, plus one)."""
    ahead = WaitlistEntry.objects.filter(
        Q(created_at__lt=entry.created_at) | Q(created_at=entry.created_at, id__lt=entry.pk),
        community_id=entry.community_id,
        status=WaitlistStatus.WAITING,
    )
    return ahead.count() + 1


def count_waiting(community: Community) -> int:
    return bounded_count(
        WaitlistEntry.objects.filter(community_id=community.pk, status=WaitlistStatus.WAITING)
    )


def list_leave_requests(
    *, actor: OperatorScope, community_id: int | None = None, status: str = ""
) -> QuerySet[LeaveRequest]:
    """Leave requests in the actor's scope, newest first; pending ones by default."""
    requests = LeaveRequest.objects.filter(actor.row_filter()).select_related("member", "community")
    if community_id is not None:
        requests = requests.filter(community_id=community_id)
    return requests.filter(status=status or LeaveRequestStatus.PENDING).order_by(
        "-created_at", "-id"
    )


def get_leave_request_for_user(*, actor: OperatorScope, leave_id: int) -> LeaveRequest:
    found = (
        LeaveRequest.objects.filter(actor.row_filter(), pk=leave_id)
        .select_related("member", "community", "membership")
        .first()
    )
    if found is None:
        raise Http404(_("No such leave request."))
    return found


def get_pending_leave(*, member: Member, community: Community) -> LeaveRequest | None:
    return LeaveRequest.objects.filter(
        member_id=member.pk, community_id=community.pk, status=LeaveRequestStatus.PENDING
    ).first()


def count_pending_leaves(community: Community) -> int:
    return bounded_count(
        LeaveRequest.objects.filter(community_id=community.pk, status=LeaveRequestStatus.PENDING)
    )


def list_blacklist(
    *, actor: OperatorScope, lifted: bool = False, q: str = ""
) -> QuerySet[BlacklistEntry]:
    """The organisation's blacklist (admins and chapter heads see all of it), newest first."""
    entries = BlacklistEntry.objects.filter(
        organization_id=actor.organization.pk, lifted_at__isnull=not lifted
    ).select_related("added_by", "member")
    q = q.strip()[:100]
    if q:
        entries = entries.filter(
            Q(display_name__icontains=q) | Q(phone__contains=q) | Q(email__icontains=q)
        )
    return entries.order_by("-created_at", "-id")


def can_see_blacklist(actor: OperatorScope) -> bool:
    return actor.is_org_admin or actor.is_chapter_head


def get_blacklist_entry_for_user(*, actor: OperatorScope, entry_id: int) -> BlacklistEntry:
    actor.require(can_see_blacklist(actor))
    entry = (
        BlacklistEntry.objects.select_related("member", "added_by", "lifted_by")
        .filter(organization_id=actor.organization.pk, pk=entry_id)
        .first()
    )
    if entry is None:
        raise Http404(_("No such blacklist entry."))
    return entry


def get_member_blacklist_entry(member: Member) -> BlacklistEntry | None:
    """The standing entry that matches a member (by member, identity, phone or email)."""
    return find_blacklist_entry(organization_id=member.organization_id, member=member)


def offer_is_open(entry: WaitlistEntry) -> bool:
    return (
        entry.status == WaitlistStatus.OFFERED
        and entry.offer_expires_at is not None
        and entry.offer_expires_at > timezone.now()
    )
