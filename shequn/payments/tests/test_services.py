"""Prices, quotes, orders and paying through the services (both databases)."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from shequn.activity.models import Activity
from shequn.applications.models import Application, ApplicationStatus
from shequn.joining.models import BlacklistEntry
from shequn.joining.rules import get_join_policy
from shequn.members.models import Membership, MembershipSource, MembershipStatus
from shequn.payments.counters import recount_prices
from shequn.payments.models import (
    CommunityPrice,
    MembershipTerm,
    Order,
    OrderKind,
    OrderStatus,
    PriceLabel,
)
from shequn.payments.selectors import PriceQuote, get_open_order, get_price_quote, sum_paid
from shequn.payments.services import (
    OrderNotPayableError,
    cancel_order,
    create_order,
    expire_pending_orders,
    mark_order_paid,
    refund_order,
    save_community_price,
)
from shequn.payments.templatetags.money import format_yuan

pytestmark = pytest.mark.django_db


def _order(buyer, community, **kw):
    return create_order(
        member=buyer, community=community, kind=OrderKind.JOIN, provider="manual", **kw
    )


def _quote(community, **kw) -> PriceQuote:
    result = get_price_quote(community, **kw)
    assert result is not None
    return result


def test_yuan_filter():
    assert [format_yuan(v) for v in (19900, 9950, 5, 0, None)] == [
        "¥199",
        "¥99.50",
        "¥0.05",
        "¥0",
        "",
    ]
    assert format_yuan(123456700) == "¥1,234,567"


class TestQuote:
    def test_early_bird_by_days_then_regular(self, paid_community, price):
        price.early_bird_seats = None
        price.save()
        start = paid_community.starts_at
        inside = _quote(paid_community, now=start + datetime.timedelta(days=14))
        assert (inside.amount_fen, inside.label) == (9900, PriceLabel.EARLY_BIRD)
        assert inside.early_bird_ends_at == start + datetime.timedelta(days=15)
        assert inside.early_bird_seats_left is None
        after = _quote(paid_community, now=start + datetime.timedelta(days=15))
        assert (after.amount_fen, after.label, after.early_bird_ends_at) == (19900, "regular", None)

    def test_launched_at_moves_the_start(self, paid_community, price):
        price.early_bird_seats = None
        price.launched_at = paid_community.starts_at + datetime.timedelta(days=30)
        price.save()
        quote = _quote(paid_community, now=price.launched_at + datetime.timedelta(days=1))
        assert quote.amount_fen == 9900

    def test_early_bird_by_seats(self, paid_community, price):
        price.early_bird_days = None
        price.early_bird_seats = 2
        price.paid_join_count = 1
        price.save()
        quote = _quote(paid_community)
        assert (quote.amount_fen, quote.early_bird_seats_left) == (9900, 1)
        CommunityPrice.objects.filter(pk=price.pk).update(paid_join_count=2)
        assert _quote(paid_community).amount_fen == 19900

    def test_both_whichever_ends_first(self, paid_community, price):
        price.early_bird_seats = 1
        price.save()
        assert _quote(paid_community).early_bird_seats_left == 1
        CommunityPrice.objects.filter(pk=price.pk).update(paid_join_count=1)
        assert _quote(paid_community).label == PriceLabel.REGULAR
        CommunityPrice.objects.filter(pk=price.pk).update(paid_join_count=0)
        late = paid_community.starts_at + datetime.timedelta(days=16)
        assert _quote(paid_community, now=late).label == PriceLabel.REGULAR

    def test_no_quote_for_open_or_unpriced(self, community, paid_community):
        assert get_price_quote(community) is None
        assert get_price_quote(paid_community) is None


class TestSavePrice:
    def test_chapter_head_sets_and_audits(self, paid_community, chapter_head, scope_of):
        from shequn.audit.models import AuditEntry

        price = save_community_price(
            actor=scope_of(chapter_head),
            community=paid_community,
            data={"price_fen": 19900, "early_bird_price_fen": 9900, "early_bird_days": 15},
        )
        assert (price.price_fen, price.reminder_days) == (19900, 14)
        entry = AuditEntry.objects.get(object_type="communityprice")
        assert entry.changes["price_fen"] == [None, 19900]

    def test_validation_changes_nothing(self, paid_community, org_admin, scope_of):
        bad = [
            {"price_fen": 0},
            {"price_fen": 100, "early_bird_price_fen": 100, "early_bird_days": 3},
            {"price_fen": 100, "early_bird_price_fen": 50},
            {"price_fen": 100, "term_days": 99999},
        ]
        for data in bad:
            with pytest.raises(ValidationError):
                save_community_price(actor=scope_of(org_admin), community=paid_community, data=data)
        assert CommunityPrice.objects.count() == 0

    def test_assistant_and_other_chapter_refused(
        self, paid_community, assistant, scope_of, other_chapter, org
    ):
        with pytest.raises(PermissionDenied):
            save_community_price(
                actor=scope_of(assistant), community=paid_community, data={"price_fen": 100}
            )
        assert CommunityPrice.objects.count() == 0


class TestCreateOrder:
    def test_amount_is_copied_and_price_change_does_not_touch_it(
        self, buyer, paid_community, price, org_admin, scope_of
    ):
        order = _order(buyer, paid_community)
        assert (order.amount_fen, order.price_label, order.term_days) == (9900, "early_bird", 365)
        assert order.status == OrderStatus.PENDING
        assert len(order.number) == 24
        save_community_price(
            actor=scope_of(org_admin),
            community=paid_community,
            data={"price_fen": 29900, "term_days": 30},
        )
        order.refresh_from_db()
        assert (order.amount_fen, order.term_days) == (9900, 365)
        paid = mark_order_paid(order=order, provider="manual", reference="T1", amount_fen=9900)
        term = MembershipTerm.objects.get(order=order)
        assert term.ends_at is not None
        assert paid.order.paid_at is not None
        assert term.ends_at - paid.order.paid_at == datetime.timedelta(days=365)

    def test_second_tap_and_idempotency_key_return_the_same(self, buyer, paid_community, price):
        first = _order(buyer, paid_community, idempotency_key="k1")
        assert _order(buyer, paid_community) == first
        assert _order(buyer, paid_community, idempotency_key="k1") == first
        assert get_open_order(member=buyer, community=paid_community) == first
        assert Order.objects.count() == 1

    def test_refusals_change_nothing(self, buyer, member, community, paid_community, price, org):
        with pytest.raises(ValidationError):
            _order(buyer, community)  # not paid
        BlacklistEntry.objects.create(organization=org, member=buyer, reason="spam")
        with pytest.raises(ValidationError) as exc:
            _order(buyer, paid_community)
        assert exc.value.code == "blacklisted"
        with pytest.raises(ValidationError):
            create_order(
                member=member, community=paid_community, kind=OrderKind.RENEWAL, provider="manual"
            )
        with pytest.raises(ValidationError):
            create_order(member=member, community=paid_community, kind="join", provider="bitcoin")
        assert Order.objects.count() == 0

    def test_paid_requires_application(self, buyer, paid_community, price):
        policy = get_join_policy(paid_community)
        policy.paid_requires_application = True
        policy.save()
        with pytest.raises(ValidationError) as exc:
            _order(buyer, paid_community)
        assert exc.value.code == "application_required"
        assert Order.objects.count() == 0
        Application.objects.create(
            organization=paid_community.organization,
            community=paid_community,
            member=buyer,
            status=ApplicationStatus.APPROVED,
            answers=[],
            submitted_at=timezone.now(),
        )
        assert _order(buyer, paid_community).amount_fen == 9900


class TestMarkPaid:
    def test_pays_once_admits_and_records(self, buyer, paid_community, price):
        order = _order(buyer, paid_community)
        first = mark_order_paid(order=order, provider="manual", reference="BANK-1", amount_fen=9900)
        again = mark_order_paid(order=order, provider="manual", reference="BANK-1", amount_fen=9900)
        assert (first.newly_paid, again.newly_paid) == (True, False)
        membership = Membership.objects.get(member=buyer, community=paid_community)
        assert (membership.status, membership.source) == (
            MembershipStatus.ACTIVE,
            MembershipSource.PAYMENT,
        )
        assert MembershipTerm.objects.filter(order=order).count() == 1
        price.refresh_from_db()
        assert (price.paid_join_count, price.paid_total_fen) == (1, 9900)
        purchase = Activity.objects.get(kind="purchase")
        assert purchase.properties == {"order": order.pk, "amount_fen": 9900, "kind": "join"}

    def test_wrong_amount_changes_nothing(self, buyer, paid_community, price):
        order = _order(buyer, paid_community)
        with pytest.raises(ValidationError):
            mark_order_paid(order=order, provider="manual", reference="X", amount_fen=100)
        order.refresh_from_db()
        assert order.status == OrderStatus.PENDING
        assert MembershipTerm.objects.count() == 0
        assert not Membership.objects.filter(member=buyer, community=paid_community).exists()

    def test_cancelled_order_is_not_payable(self, buyer, paid_community, price):
        order = cancel_order(order=_order(buyer, paid_community), member=buyer)
        with pytest.raises(OrderNotPayableError):
            mark_order_paid(order=order, provider="manual", reference="X", amount_fen=9900)
        assert MembershipTerm.objects.count() == 0

    def test_admission_failure_keeps_the_money_and_flags(self, buyer, paid_community, price, org):
        order = _order(buyer, paid_community)
        BlacklistEntry.objects.create(organization=org, member=buyer, reason="later")
        payment = mark_order_paid(order=order, provider="manual", reference="R", amount_fen=9900)
        assert payment.order.status == OrderStatus.PAID
        assert payment.order.needs_operator
        assert payment.order.note
        assert not Membership.objects.filter(member=buyer, community=paid_community).exists()

    def test_renewal_starts_at_the_end_of_the_term(self, buyer, paid_community, price):
        mark_order_paid(
            order=_order(buyer, paid_community), provider="manual", reference="A", amount_fen=9900
        )
        first = MembershipTerm.objects.get()
        renewal = create_order(
            member=buyer, community=paid_community, kind=OrderKind.RENEWAL, provider="manual"
        )
        assert (renewal.amount_fen, renewal.price_label) == (15900, "renewal")
        mark_order_paid(order=renewal, provider="manual", reference="B", amount_fen=15900)
        second = MembershipTerm.objects.get(order=renewal)
        assert second.starts_at == first.ends_at
        assert second.ends_at == first.ends_at + datetime.timedelta(days=365)
        price.refresh_from_db()
        assert price.paid_join_count == 1  # renewals take no early-bird seat
        assert price.paid_total_fen == 9900 + 15900

    def test_refund_ends_term_and_removes(self, buyer, paid_community, price, org_admin, scope_of):
        order = _order(buyer, paid_community)
        mark_order_paid(order=order, provider="manual", reference="A", amount_fen=9900)
        with pytest.raises(ValidationError):
            refund_order(actor=scope_of(org_admin), order=order, reason="  ")
        refund_order(actor=scope_of(org_admin), order=order, reason="asked for it")
        order.refresh_from_db()
        assert order.status == OrderStatus.REFUNDED
        membership = Membership.objects.get(member=buyer, community=paid_community)
        assert (membership.status, membership.end_reason) == ("removed", "asked for it")
        assert MembershipTerm.objects.get(order=order).ends_at == order.refunded_at
        price.refresh_from_db()
        # The seat stays taken; the money is given back.
        assert (price.paid_join_count, price.paid_total_fen) == (1, 0)
        assert recount_prices(paid_community.organization_id) == 0

    def test_paid_total_of_the_order_list(
        self, buyer, member, paid_community, price, org_admin, scope_of
    ):
        actor = scope_of(org_admin)
        mark_order_paid(
            order=_order(buyer, paid_community), provider="manual", reference="A", amount_fen=9900
        )
        create_order(
            member=member, community=paid_community, kind=OrderKind.JOIN, provider="manual"
        )  # pending: not in the total
        assert sum_paid(actor=actor) == 9900
        assert sum_paid(actor=actor, community_id=paid_community.pk, status="paid") == 9900
        assert sum_paid(actor=actor, status="pending") == 0
        assert sum_paid(actor=actor, provider="manual") == 9900
        assert sum_paid(actor=actor, provider="wechatpay") == 0
        assert sum_paid(actor=actor, member_id=member.pk) == 0
        CommunityPrice.objects.filter(pk=price.pk).update(paid_total_fen=1, paid_join_count=5)
        assert recount_prices(paid_community.organization_id) == 1
        price.refresh_from_db()
        assert (price.paid_join_count, price.paid_total_fen) == (1, 9900)


def test_expire_pending_orders_safe_twice(buyer, paid_community, price):
    order = _order(buyer, paid_community)
    assert expire_pending_orders(now=order.expires_at - datetime.timedelta(seconds=1)) == 0
    assert expire_pending_orders(now=order.expires_at) == 1
    assert expire_pending_orders(now=order.expires_at) == 0
    order.refresh_from_db()
    assert order.status == OrderStatus.EXPIRED


@pytest.mark.django_db(transaction=True)
def test_concurrent_mark_paid_pays_once(buyer, paid_community, price):
    order = _order(buyer, paid_community)
    results: list[object] = []
    barrier = threading.Barrier(2)

    def pay() -> None:
        try:
            barrier.wait(timeout=5)
            results.append(
                mark_order_paid(order=order, provider="manual", reference="C", amount_fen=9900)
            )
        except Exception as exc:
            results.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=pay) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    paid = [r for r in results if getattr(r, "newly_paid", False)]
    assert len(paid) == 1, results
    assert MembershipTerm.objects.count() == 1
    price.refresh_from_db()
    assert price.paid_join_count == 1
    assert timezone.now() > order.created_at
