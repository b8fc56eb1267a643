"""Jobs through Huey: expiry of pending orders, renewal reminders once per term, term end."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from shequn.members.models import Membership, MembershipStatus
from shequn.payments import tasks
from shequn.payments.models import MembershipTerm, Order, OrderStatus
from shequn.payments.services import create_order, mark_order_paid

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid_term(buyer, paid_community, price) -> MembershipTerm:
    order = create_order(member=buyer, community=paid_community, kind="join", provider="manual")
    mark_order_paid(order=order, provider="manual", reference="R", amount_fen=9900)
    return MembershipTerm.objects.get(order=order)


def test_sweeper_expires_pending_orders(huey_immediate, buyer, paid_community, price):
    order = create_order(member=buyer, community=paid_community, kind="join", provider="manual")
    Order.objects.filter(pk=order.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    tasks.expire_orders()
    tasks.expire_orders()
    order.refresh_from_db()
    assert order.status == OrderStatus.EXPIRED


def test_reminder_once_per_term(huey_immediate, paid_term, settings):
    settings.SHEQUN_SITE_URL = "https://shequn.example"
    MembershipTerm.objects.filter(pk=paid_term.pk).update(
        ends_at=timezone.now() + datetime.timedelta(days=10)
    )
    tasks.send_renewal_reminders()
    tasks.send_renewal_reminders()
    tasks.send_renewal_reminder(paid_term.pk)  # an enqueued one, run again: still once
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["wangwu@example.com"]
    assert "https://shequn.example/c/pj/vip/pay/" in mail.outbox[0].body


def test_no_reminder_before_the_window(huey_immediate, paid_term):
    tasks.send_renewal_reminders()  # 365 days left, 14-day window
    assert MembershipTerm.objects.get().reminded_at is None
    assert mail.outbox == []


def test_expiry_ends_membership_once_rejoin_allowed(huey_immediate, paid_term, buyer):
    MembershipTerm.objects.filter(pk=paid_term.pk).update(ends_at=timezone.now())
    tasks.expire_terms()
    tasks.expire_terms()
    membership = Membership.objects.get(member=buyer, community=paid_term.community)
    assert membership.status == MembershipStatus.LEFT
    assert membership.end_reason == "term ended"
    assert membership.rejoin_allowed is True


def test_renewed_term_does_not_expire(huey_immediate, paid_term, buyer):
    renewal = create_order(
        member=buyer, community=paid_term.community, kind="renewal", provider="manual"
    )
    mark_order_paid(order=renewal, provider="manual", reference="R2", amount_fen=15900)
    MembershipTerm.objects.filter(pk=paid_term.pk).update(ends_at=timezone.now())
    tasks.expire_terms()
    assert Membership.objects.get(member=buyer, community=paid_term.community).status == "active"
