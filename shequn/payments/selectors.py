"""Reads of payments: the current price quote, open orders, and operator lists."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from shequn.members.models import Member
from shequn.organizations.models import Community, CommunityAccess
from shequn.payments.models import (
    CommunityPrice,
    MembershipTerm,
    Order,
    OrderKind,
    OrderStatus,
    PaymentNotification,
    PriceLabel,
)

if TYPE_CHECKING:
    from shequn.accounts.selectors import OperatorScope


@dataclass(frozen=True)
class PriceQuote:
    """What joining costs now: `amount_fen` (early-bird or regular), the rules behind it."""

    amount_fen: int
    regular_fen: int
    label: str  # PriceLabel
    early_bird_ends_at: datetime.datetime | None
    early_bird_seats_left: int | None
    term_days: int | None

    @property
    def is_early_bird(self) -> bool:
        return self.label == PriceLabel.EARLY_BIRD

    @property
    def label_text(self) -> str:
        return str(PriceLabel(self.label).label)


def get_community_price(community: Community) -> CommunityPrice | None:
    return CommunityPrice.objects.filter(community_id=community.pk).first()


def quote_price(
    price: CommunityPrice, *, community: Community, now: datetime.datetime
) -> PriceQuote:
    """The quote of a price row at `now` (no query: the caller read or locked the row)."""
    ends_at: datetime.datetime | None = None
    seats_left: int | None = None
    early = price.early_bird_price_fen is not None and (
        price.early_bird_days is not None or price.early_bird_seats is not None
    )
    if early and price.early_bird_days is not None:
        start = price.launched_at or community.starts_at
        ends_at = start + datetime.timedelta(days=price.early_bird_days)
        early = now < ends_at
    if early and price.early_bird_seats is not None:
        seats_left = max(0, price.early_bird_seats - price.paid_join_count)
        early = seats_left > 0
    if early and price.early_bird_price_fen is not None:
        return PriceQuote(
            amount_fen=price.early_bird_price_fen,
            regular_fen=price.price_fen,
            label=PriceLabel.EARLY_BIRD,
            early_bird_ends_at=ends_at,
            early_bird_seats_left=seats_left,
            term_days=price.term_days,
        )
    return PriceQuote(
        amount_fen=price.price_fen,
        regular_fen=price.price_fen,
        label=PriceLabel.REGULAR,
        early_bird_ends_at=None,
        early_bird_seats_left=None,
        term_days=price.term_days,
    )


def quote_renewal(price: CommunityPrice) -> PriceQuote:
    """A renewal costs the renewal price, else the regular price."""
    renewal = price.renewal_price_fen
    return PriceQuote(
        amount_fen=price.price_fen if renewal is None else renewal,
        regular_fen=price.price_fen,
        label=PriceLabel.REGULAR if renewal is None else PriceLabel.RENEWAL,
        early_bird_ends_at=None,
        early_bird_seats_left=None,
        term_days=price.term_days,
    )


def get_price_quote(
    community: Community, *, now: datetime.datetime | None = None
) -> PriceQuote | None:
    """The price of joining `community` now; None when it is not paid or has no price yet."""
    if community.access != CommunityAccess.PAID:
        return None
    price = get_community_price(community)
    if price is None:
        return None
    return quote_price(price, community=community, now=now or timezone.now())


def get_open_order(*, member: Member | None, community: Community) -> Order | None:
    """The member's pending joining order for the community, if any (what "pay" resumes)."""
    if member is None or member.pk is None:
        return None
    return (
        Order.objects.filter(
            member_id=member.pk,
            community_id=community.pk,
            kind=OrderKind.JOIN,
            status=OrderStatus.PENDING,
        )
        .order_by("-created_at")
        .first()
    )


# Members' own orders ----------------------------------------------------------------------


def get_own_order(*, member: Member | None, number: str) -> Order:
    """One of the member's own orders by number; Http404 for anybody else's."""
    order = (
        Order.objects.select_related("community__organization").filter(number=number[:32]).first()
    )
    if order is None or member is None or order.member_id != member.pk:
        raise Http404(_("No such order."))
    return order


def list_own_orders(*, member: Member, limit: int = 50) -> list[Order]:
    return list(
        Order.objects.filter(member_id=member.pk)
        .select_related("community__organization")
        .order_by("-created_at")[:limit]
    )


def get_current_term(*, member: Member, community: Community) -> MembershipTerm | None:
    """The member's latest term in the community (the one a renewal extends)."""
    return (
        MembershipTerm.objects.filter(member_id=member.pk, community_id=community.pk)
        .order_by("-starts_at", "-id")
        .first()
    )


# Operators ----------------------------------------------------------------------------------


def can_manage_payments(actor: OperatorScope, community: Community) -> bool:
    """Change prices and orders: organisation admins, chapter heads of the community's chapter
    (assistants read the orders of their communities, nothing more)."""
    return actor.can_manage_chapter(community.chapter_id)


def list_orders(
    *,
    actor: OperatorScope,
    community_id: int | None = None,
    status: str = "",
    provider: str = "",
    member_id: int | None = None,
) -> QuerySet[Order]:
    orders = Order.objects.filter(actor.row_filter())
    if community_id is not None:
        orders = orders.filter(community_id=community_id)
    if status:
        orders = orders.filter(status=status)
    if provider:
        orders = orders.filter(provider=provider)
    if member_id is not None:
        orders = orders.filter(member_id=member_id)
    return orders.select_related("community", "member").order_by("-created_at", "-id")


def sum_paid(
    *,
    actor: OperatorScope,
    community_id: int | None = None,
    status: str = "",
    provider: str = "",
    member_id: int | None = None,
) -> int:
    """The paid amount of the orders `list_orders` lists with the same filters, net of refunds.

    Without a provider or member filter it adds up the prices' kept `paid_total_fen` (one row
    per paid community, however many orders); with one, it sums those orders."""
    if status and status != OrderStatus.PAID:
        return 0
    if not provider and member_id is None:
        prices = CommunityPrice.objects.filter(
            Q(community__organization_id=actor.organization.pk)
            & (Q() if actor.is_org_admin else Q(community_id__in=actor._scope_community_ids()))
        )
        if community_id is not None:
            prices = prices.filter(community_id=community_id)
        return int(prices.aggregate(total=Sum("paid_total_fen", default=0))["total"] or 0)
    orders = list_orders(
        actor=actor,
        community_id=community_id,
        status=OrderStatus.PAID,
        provider=provider,
        member_id=member_id,
    )
    return int(orders.order_by().aggregate(total=Sum("amount_fen", default=0))["total"] or 0)


def get_order_for_user(*, actor: OperatorScope, order_id: int) -> Order:
    order = (
        Order.objects.filter(actor.row_filter(), pk=order_id)
        .select_related("community__organization", "member", "marked_by", "invite_link")
        .first()
    )
    if order is None:
        raise Http404(_("No such order."))
    return order


def _notifications_in_scope(actor: OperatorScope) -> QuerySet[PaymentNotification]:
    rows = PaymentNotification.objects.filter(organization_id=actor.organization.pk)
    if actor.is_org_admin:
        return rows
    return rows.filter(actor.community_filter("order__community__"))


def list_notifications(*, actor: OperatorScope, status: str = "") -> QuerySet[PaymentNotification]:
    """Notifications in scope, newest first (the console shows the flagged ones in a block of
    their own above: `list_notifications(status="flagged")`). Refused requests that named no
    known order belong to no organisation: only the Django admin shows those."""
    rows = _notifications_in_scope(actor)
    if status:
        rows = rows.filter(status=status)
    return rows.select_related("order").defer("body", "headers").order_by("-received_at", "-id")


def get_notification_for_user(*, actor: OperatorScope, notification_id: int) -> PaymentNotification:
    row = (
        _notifications_in_scope(actor)
        .filter(pk=notification_id)
        .select_related("order", "resolved_by")
        .first()
    )
    if row is None:
        raise Http404(_("No such notification."))
    return row
