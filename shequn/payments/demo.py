"""Demo paid access (付费入群): a price with an early bird, paid orders and their terms.

`seed_demo_payments` runs after `shequn.organizations.demo` built the demo organisation (and
after the applications demo, which uses the private 铁粉群, so this one leaves it alone): the
paid 年度会员课程交付群 (`annual-course-2026`) gets ¥199, ¥99 early bird for the first 15 days
(launched 20 days ago, so it is over now) or the first 50 paid members, a 365-day term and a
¥159 renewal. Eighteen members pay (twelve at the early-bird price, six at the regular price
after it ended) through `mark_order_paid`, so memberships, terms and purchase activities are
real; one bank transfer waits, one order expired, one was refunded, and one paid notification
came for a cancelled order (flagged for an operator). Deterministic (a seeded Random); a second
run adds nothing.
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta

from django.db import transaction

from shequn.members.models import Member, Membership
from shequn.organizations.models import Community, CommunityAccess, Organization
from shequn.payments.models import (
    CommunityPrice,
    NotificationStatus,
    Order,
    OrderKind,
    OrderStatus,
    PaymentNotification,
    PaymentProvider,
    PriceLabel,
)
from shequn.payments.services import mark_order_paid, new_order_number

COMMUNITY_SLUG = "annual-course-2026"
EARLY_PAID = 12
REGULAR_PAID = 6


def _order(
    *,
    community: Community,
    member: Member,
    at: datetime,
    amount: int,
    label: str,
    rng: random.Random,
) -> Order:
    return Order.objects.create(
        organization_id=community.organization_id,
        community=community,
        member=member,
        number=new_order_number(at)[:-8] + f"{rng.getrandbits(32):08X}",
        kind=OrderKind.JOIN,
        amount_fen=amount,
        price_label=label,
        term_days=365,
        provider=PaymentProvider.MANUAL,
        expires_at=at + timedelta(minutes=30),
    )


@transaction.atomic
def seed_demo_payments(*, organization: Organization, now: datetime) -> None:
    community = Community.objects.filter(organization=organization, slug=COMMUNITY_SLUG).first()
    if community is None or community.access != CommunityAccess.PAID:
        return
    if Order.objects.filter(community=community).exists():
        return  # seeded already
    rng = random.Random(7)  # noqa: S311 - demo data, not secrets
    CommunityPrice.objects.update_or_create(
        community=community,
        defaults={
            "price_fen": 19900,
            "early_bird_price_fen": 9900,
            "early_bird_days": 15,
            "early_bird_seats": 50,
            "launched_at": now - timedelta(days=20),
            "term_days": 365,
            "renewal_price_fen": 15900,
            "reminder_days": 14,
        },
    )
    inside = Membership.objects.filter(community=community).values("member_id")
    people = list(
        Member.objects.filter(organization=organization, merged_into=None)
        .exclude(pk__in=inside)
        .order_by("pk")[: EARLY_PAID + REGULAR_PAID + 4]
    )
    if len(people) < EARLY_PAID + REGULAR_PAID + 4:
        return
    for i, person in enumerate(people[: EARLY_PAID + REGULAR_PAID]):
        early = i < EARLY_PAID
        # The early bird ran for the first 15 of the last 20 days.
        at = now - timedelta(days=19 - i) if early else now - timedelta(days=4, hours=-i * 12)
        order = _order(
            community=community,
            member=person,
            at=at,
            amount=9900 if early else 19900,
            label=PriceLabel.EARLY_BIRD if early else PriceLabel.REGULAR,
            rng=rng,
        )
        mark_order_paid(
            order=order,
            provider=PaymentProvider.MANUAL,
            reference=f"工行转账 {rng.randint(100000, 999999)}",
            amount_fen=order.amount_fen,
            now=at + timedelta(hours=2),
        )
    waiting, expired, refunded, cancelled = people[EARLY_PAID + REGULAR_PAID :]
    _order(community=community, member=waiting, at=now, amount=9900, label="early_bird", rng=rng)
    gone = _order(
        community=community,
        member=expired,
        at=now - timedelta(days=2),
        amount=9900,
        label="early_bird",
        rng=rng,
    )
    Order.objects.filter(pk=gone.pk).update(status=OrderStatus.EXPIRED)
    back = _order(
        community=community,
        member=refunded,
        at=now - timedelta(days=3),
        amount=9900,
        label="early_bird",
        rng=rng,
    )
    Order.objects.filter(pk=back.pk).update(
        status=OrderStatus.REFUNDED,
        paid_at=now - timedelta(days=3),
        refunded_at=now - timedelta(days=1),
        provider_reference="工行转账 000001",
        note="退款:重复购买",
    )
    late = _order(
        community=community,
        member=cancelled,
        at=now - timedelta(days=1),
        amount=9900,
        label="early_bird",
        rng=rng,
    )
    Order.objects.filter(pk=late.pk).update(
        status=OrderStatus.CANCELLED, cancelled_at=now - timedelta(hours=20)
    )
    body = {
        "order_number": late.number,
        "amount_fen": 9900,
        "reference": "GW-20260001",
        "status": "paid",
    }
    PaymentNotification.objects.create(
        organization=organization,
        provider=PaymentProvider.WEBHOOK,
        remote_addr="203.0.113.7",
        headers={"X-Shequn-Event-Id": "demo-evt-1", "Content-Type": "application/json"},
        body=json.dumps(body),
        event_id="demo-evt-1",
        transaction_id="GW-20260001",
        order=late,
        amount_fen=9900,
        status=NotificationStatus.FLAGGED,
        reason="order is cancelled",
    )
