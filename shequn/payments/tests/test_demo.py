"""The demo's paid community: price, paid orders through the services, the odd cases."""

from __future__ import annotations

import pytest
from django.utils import timezone

from shequn.members.models import Membership
from shequn.members.tests.factories import MemberFactory
from shequn.organizations.models import CommunityAccess
from shequn.organizations.tests.factories import CommunityFactory
from shequn.payments.demo import seed_demo_payments
from shequn.payments.models import MembershipTerm, Order, PaymentNotification
from shequn.payments.selectors import get_price_quote

pytestmark = pytest.mark.django_db


def test_seed_demo_payments(org):
    now = timezone.now()
    course = CommunityFactory(
        organization=org, chapter=None, slug="annual-course-2026", access=CommunityAccess.PAID
    )
    MemberFactory.create_batch(24, organization=org)
    seed_demo_payments(organization=org, now=now)
    statuses = sorted(Order.objects.values_list("status", flat=True))
    assert statuses == sorted(["paid"] * 18 + ["pending", "expired", "refunded", "cancelled"])
    assert Order.objects.filter(status="paid", amount_fen=9900).count() == 12
    assert MembershipTerm.objects.count() == 18
    assert Membership.objects.filter(community=course, status="active").count() == 18
    assert PaymentNotification.objects.get().status == "flagged"
    course.price.refresh_from_db()
    assert course.price.paid_join_count == 18
    quote = get_price_quote(course, now=now)
    assert quote is not None
    assert quote.amount_fen == 19900
    seed_demo_payments(organization=org, now=now)  # a second run adds nothing
    assert Order.objects.count() == 22
