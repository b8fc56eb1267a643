"""The counters a community's price keeps of its orders: `paid_join_count` (the early-bird
seats taken) and `paid_total_fen` (what paid orders brought in, net of refunds).

`mark_order_paid` and `refund_order` keep them; `recount_prices` recomputes them from the orders
(after rows loaded in bulk, or to repair drift; `manage.py recount_members` runs it).
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Count, Q, Sum

from shequn.payments.models import CommunityPrice, Order, OrderKind, OrderStatus

# A join order that was paid counts its seat even once refunded (the seat was taken).
PAID_JOIN = Q(kind=OrderKind.JOIN, paid_at__isnull=False)


def recount_prices(organization_id: int | None = None) -> int:
    """Recompute the counters of every price (of one organisation); returns how many were
    wrong."""
    prices = CommunityPrice.objects.select_for_update().order_by("pk")
    if organization_id is not None:
        prices = prices.filter(community__organization_id=organization_id)
    wrong: list[CommunityPrice] = []
    with transaction.atomic():
        rows = list(prices.only("pk", "community_id", "paid_join_count", "paid_total_fen"))
        counts: dict[int, tuple[int, int]] = {
            row["community_id"]: (row["joins"], int(row["total"] or 0))
            for row in Order.objects.filter(community_id__in=[p.community_id for p in rows])
            .order_by()
            .values("community_id")
            .annotate(
                joins=Count("pk", filter=PAID_JOIN),
                total=Sum("amount_fen", filter=Q(status=OrderStatus.PAID), default=0),
            )
        }
        for price in rows:
            values = counts.get(price.community_id, (0, 0))
            if values != (price.paid_join_count, price.paid_total_fen):
                price.paid_join_count, price.paid_total_fen = values
                wrong.append(price)
        CommunityPrice.objects.bulk_update(wrong, ["paid_join_count", "paid_total_fen"])
    return len(wrong)
