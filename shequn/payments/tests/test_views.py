"""Member pages (checkout, order, cancel, my orders) and console pages of payments."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from shequn.members.models import Membership
from shequn.payments.models import (
    CommunityPrice,
    MembershipTerm,
    Order,
    OrderKind,
    OrderStatus,
    PaymentNotification,
)
from shequn.payments.services import create_order, mark_order_paid

pytestmark = pytest.mark.django_db

MICROMESSENGER = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) MicroMessenger/8.0.47 NetType/WIFI"


def checkout_url(community) -> str:
    return reverse("payments_portal:checkout", args=[community.organization.slug, community.slug])


class TestCheckout:
    def test_shows_price_early_bird_and_term(self, client, buyer, paid_community, price):
        client.force_login(buyer.user)
        page = client.get(checkout_url(paid_community), HTTP_USER_AGENT=MICROMESSENGER)
        html = page.content.decode()
        assert page.status_code == 200
        assert "¥99" in html
        assert "¥199" in html
        assert "50 early-bird seats left" in html
        assert "Membership for 365 days" in html

    def test_in_chinese(self, client, buyer, paid_community, price):
        client.force_login(buyer.user)
        html = client.get(checkout_url(paid_community), HTTP_ACCEPT_LANGUAGE="zh-hans").content
        text = html.decode()
        assert "早鸟价" in text
        assert "会员有效期 365 天" in text

    def test_post_creates_one_order_and_redirects(self, client, buyer, paid_community, price):
        client.force_login(buyer.user)
        first = client.post(checkout_url(paid_community), {"provider": "manual"})
        second = client.post(checkout_url(paid_community), {"provider": "manual"})
        order = Order.objects.get()
        assert first.status_code == second.status_code == 302
        assert first["Location"] == reverse("payments_portal:order", args=[order.number])
        assert (order.amount_fen, order.member, order.kind) == (9900, buyer, OrderKind.JOIN)

    def test_order_page_shows_transfer_and_cancel(self, client, buyer, paid_community, price):
        order = create_order(
            member=buyer, community=paid_community, kind=OrderKind.JOIN, provider="manual"
        )
        client.force_login(buyer.user)
        html = client.get(reverse("payments_portal:order", args=[order.number])).content.decode()
        assert order.number in html
        assert "bank transfer" in html
        client.post(reverse("payments_portal:cancel", args=[order.number]))
        order.refresh_from_db()
        assert order.status == OrderStatus.CANCELLED

    def test_others_get_404(self, client, buyer, member, paid_community, price):
        order = create_order(
            member=buyer, community=paid_community, kind=OrderKind.JOIN, provider="manual"
        )
        client.force_login(member.user)
        assert client.get(reverse("payments_portal:order", args=[order.number])).status_code == 404
        assert (
            client.post(reverse("payments_portal:cancel", args=[order.number])).status_code == 404
        )
        order.refresh_from_db()
        assert order.status == OrderStatus.PENDING

    def test_blacklisted_sees_a_message_not_an_error(self, client, buyer, paid_community, price):
        from shequn.joining.models import BlacklistEntry

        BlacklistEntry.objects.create(organization=buyer.organization, member=buyer, reason="x")
        client.force_login(buyer.user)
        page = client.post(checkout_url(paid_community), {"provider": "manual"})
        assert page.status_code == 422
        assert "does not admit you" in page.content.decode()
        assert Order.objects.count() == 0

    def test_rate_limited_per_account(self, client, buyer, paid_community, price, settings):
        settings.SHEQUN_RATE_LIMITS = {**settings.SHEQUN_RATE_LIMITS, "pay": "2/3600"}
        client.force_login(buyer.user)
        codes = [client.post(checkout_url(paid_community)).status_code for _ in range(3)]
        assert codes == [302, 302, 429]

    def test_renewal_for_a_member(self, client, buyer, paid_community, price):
        order = create_order(
            member=buyer, community=paid_community, kind=OrderKind.JOIN, provider="manual"
        )
        mark_order_paid(order=order, provider="manual", reference="R", amount_fen=9900)
        client.force_login(buyer.user)
        page = client.get(checkout_url(paid_community))
        assert "¥159" in page.content.decode()
        assert client.post(checkout_url(paid_community)).status_code == 302
        renewal = Order.objects.get(kind=OrderKind.RENEWAL)
        assert renewal.amount_fen == 15900

    def test_no_renewal_without_a_term(self, client, buyer, paid_community, price):
        price.term_days = None
        price.save()
        order = create_order(
            member=buyer, community=paid_community, kind=OrderKind.JOIN, provider="manual"
        )
        mark_order_paid(order=order, provider="manual", reference="R", amount_fen=9900)
        client.force_login(buyer.user)
        page = client.post(checkout_url(paid_community))
        assert "already a member" in page.content.decode()
        assert Order.objects.count() == 1

    def test_my_orders(self, client, buyer, paid_community, price, django_assert_num_queries):
        create_order(member=buyer, community=paid_community, kind=OrderKind.JOIN, provider="manual")
        client.force_login(buyer.user)
        client.get(reverse("payments_portal:my_orders"))
        with django_assert_num_queries(5):  # session, user, member, orders, (savepoint)
            page = client.get(reverse("payments_portal:my_orders"))
        assert paid_community.name in page.content.decode()


class TestConsole:
    def _orders(self, buyer, paid_community, n=3):
        from shequn.members.tests.factories import MemberFactory

        orders = []
        for i in range(n):
            person = MemberFactory(organization=buyer.organization, display_name=f"买家{i}")
            orders.append(
                create_order(
                    member=person, community=paid_community, kind=OrderKind.JOIN, provider="manual"
                )
            )
        return orders

    def test_list_totals_and_queries(
        self, client_as, buyer, paid_community, price, django_assert_num_queries
    ):
        orders = self._orders(buyer, paid_community)
        mark_order_paid(order=orders[0], provider="manual", reference="A", amount_fen=9900)
        client = client_as("chapter_head")
        client.get("/payments/orders/")
        with django_assert_num_queries(6):  # whatever the number of orders
            page = client.get("/payments/orders/")
        html = page.content.decode()
        assert "¥99" in html
        assert orders[2].number in html
        filtered = client.get("/payments/orders/?status=paid").content.decode()
        assert orders[0].number in filtered
        assert orders[1].number not in filtered

    def test_mark_paid_needs_reference(self, client_as, buyer, paid_community, price):
        order = self._orders(buyer, paid_community, 1)[0]
        client = client_as("chapter_head")
        url = f"/payments/orders/{order.pk}/mark-paid/"
        assert client.post(url, {"reference": "", "amount_fen": "99"}).status_code == 422
        assert client.post(url, {"reference": "T", "amount_fen": "98"}).status_code == 422
        order.refresh_from_db()
        assert order.status == OrderStatus.PENDING
        assert (
            client.post(url, {"reference": "工行 8812", "amount_fen": "99.00"}).status_code == 302
        )
        order.refresh_from_db()
        assert (order.status, order.provider_reference) == ("paid", "工行 8812")
        assert Membership.objects.filter(member=order.member, community=paid_community).exists()

    def test_assistant_cannot_act(self, client_as, buyer, community, price):
        CommunityPrice.objects.create(community=community, price_fen=100)
        order = Order.objects.create(
            organization=community.organization,
            community=community,
            member=buyer,
            number="SQ-A",
            amount_fen=100,
            price_label="regular",
            expires_at=timezone.now() + datetime.timedelta(minutes=30),
        )
        client = client_as("assistant")
        assert client.get(f"/payments/orders/{order.pk}/").status_code == 200
        url = f"/payments/orders/{order.pk}/mark-paid/"
        assert client.post(url, {"reference": "T", "amount_fen": "1"}).status_code == 403
        order.refresh_from_db()
        assert order.status == OrderStatus.PENDING
        assert MembershipTerm.objects.count() == 0

    def test_resolve_an_order_that_needs_an_operator(
        self, client_as, buyer, paid_community, price, org
    ):
        from shequn.audit.models import AuditEntry
        from shequn.joining.models import BlacklistEntry

        order = create_order(
            member=buyer, community=paid_community, kind=OrderKind.JOIN, provider="manual"
        )
        BlacklistEntry.objects.create(organization=org, member=buyer, reason="later")
        mark_order_paid(order=order, provider="manual", reference="R", amount_fen=9900)
        order.refresh_from_db()
        assert order.needs_operator
        url = f"/payments/orders/{order.pk}/resolve/"
        page = client_as("chapter_head").get(f"/payments/orders/{order.pk}/").content.decode()
        assert url in page
        # An assistant may read the order, not act on it: nothing changes.
        assert client_as("assistant").post(url, {"resolution": "已退款"}).status_code == 404
        head = client_as("chapter_head")
        assert head.post(url, {"resolution": "  "}).status_code == 422
        order.refresh_from_db()
        assert order.needs_operator
        audits = AuditEntry.objects.count()
        assert head.post(url, {"resolution": "已原路退款"}).status_code == 302
        order.refresh_from_db()
        assert not order.needs_operator
        assert order.note.endswith("已原路退款")
        assert AuditEntry.objects.count() == audits + 1
        assert url not in head.get(f"/payments/orders/{order.pk}/").content.decode()
        # Twice: a clear message, nothing changes.
        assert head.post(url, {"resolution": "again"}).status_code == 422
        order.refresh_from_db()
        assert "again" not in order.note

    def test_price_page_parses_yuan(self, client_as, paid_community):
        client = client_as("chapter_head")
        url = f"/payments/communities/{paid_community.pk}/price/"
        data = {"price_fen": "199.00", "early_bird_price_fen": "99", "early_bird_days": "15"}
        assert client.post(url, data | {"reminder_days": "7"}).status_code == 302
        price = CommunityPrice.objects.get()
        assert (price.price_fen, price.early_bird_price_fen, price.reminder_days) == (
            19900,
            9900,
            7,
        )
        bad = client.post(url, data | {"early_bird_price_fen": "299", "reminder_days": "7"})
        assert bad.status_code == 422
        price.refresh_from_db()
        assert price.early_bird_price_fen == 9900

    def test_notifications_flagged_block_and_resolve(
        self, client_as, buyer, paid_community, price, django_assert_num_queries
    ):
        order = self._orders(buyer, paid_community, 1)[0]
        base = {
            "organization": buyer.organization,
            "provider": "webhook",
            "body": "{}",
            "order": order,
        }
        PaymentNotification.objects.create(**base, status="rejected", reason="bad signature")
        flagged = PaymentNotification.objects.create(**base, status="flagged", event_id="e1")
        client = client_as("chapter_head")
        client.get("/payments/notifications/")
        with django_assert_num_queries(6):
            response = client.get("/payments/notifications/")
        assert [n.pk for n in response.context["flagged"]] == [flagged.pk]
        assert [n.pk for n in response.context["page"]] == [flagged.pk, flagged.pk - 1]
        html = response.content.decode()
        url = f"/payments/notifications/{flagged.pk}/"
        block = html[html.index('id="flagged-heading"') : html.index("All notifications")]
        assert url in block
        assert "bad signature" not in block
        assert client.post(url, {"resolution": "已退款"}).status_code == 302
        flagged.refresh_from_db()
        assert (flagged.status, flagged.resolution) == ("resolved", "已退款")
        response = client.get("/payments/notifications/")
        assert response.context["flagged"] == []
        assert 'id="flagged-heading"' not in response.content.decode()


def test_console_panels(client_as, buyer, paid_community, price):
    order = create_order(
        member=buyer, community=paid_community, kind=OrderKind.JOIN, provider="manual"
    )
    mark_order_paid(order=order, provider="manual", reference="R", amount_fen=9900)
    client: Client = client_as("org_admin")
    community_page = client.get(f"/communities/{paid_community.pk}/").content.decode()
    assert order.number in community_page
    member_page = client.get(f"/members/{buyer.pk}/").content.decode()
    assert order.number in member_page
