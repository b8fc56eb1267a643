"""Reads for the member pages: a member's memberships and what they have under way.

What a visitor may do on a community's join page is `shequn.portal.entry.get_entry`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from shequn.members.models import Member, Membership
from shequn.organizations.models import CommunityStatus

# "My communities" lists at most this many open applications, orders and waitlist places each.
PENDING_LIMIT = 20


def list_own_memberships(*, member: Member) -> QuerySet[Membership]:
    """A member's own memberships in active communities, current ones first, newest first."""
    return (
        Membership.objects.filter(member=member, community__status=CommunityStatus.ACTIVE)
        .select_related("community", "community__organization", "community__chapter")
        .order_by("status", "-joined_at", "id")
    )


@dataclass(frozen=True)
class OwnPending:
    """What a member has under way: open applications, orders to pay, waitlist places."""

    applications: list[Any]
    orders: list[Any]
    waitlist: list[Any]

    def __bool__(self) -> bool:
        return bool(self.applications or self.orders or self.waitlist)


def list_own_pending(*, member: Member) -> OwnPending:
    """The member's open applications, pending orders and open waitlist entries (active
    communities only, newest first, at most PENDING_LIMIT of each)."""
    from shequn.applications.models import OPEN_APPLICATION_STATUSES, Application
    from shequn.joining.models import OPEN_WAITLIST_STATUSES, WaitlistEntry
    from shequn.payments.models import Order, OrderStatus

    active = {"member_id": member.pk, "community__status": CommunityStatus.ACTIVE}
    related = ("community", "community__organization")
    applications = (
        Application.objects.filter(status__in=OPEN_APPLICATION_STATUSES, **active)
        .select_related(*related)
        .order_by("-submitted_at", "-id")[:PENDING_LIMIT]
    )
    orders = (
        Order.objects.filter(status=OrderStatus.PENDING, **active)
        .select_related(*related)
        .order_by("-created_at", "-id")[:PENDING_LIMIT]
    )
    waitlist = (
        WaitlistEntry.objects.filter(status__in=OPEN_WAITLIST_STATUSES, **active)
        .select_related(*related)
        .order_by("-created_at", "-id")[:PENDING_LIMIT]
    )
    return OwnPending(applications=list(applications), orders=list(orders), waitlist=list(waitlist))
