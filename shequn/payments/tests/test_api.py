"""API v1 of payments: prices, orders (Idempotency-Key), mark-paid, refund, notifications."""

from __future__ import annotations

import json

import pytest

from shequn.payments.models import CommunityPrice, Order, OrderStatus, PaymentNotification
from shequn.payments.services import create_order

pytestmark = pytest.mark.django_db


def test_price_get_and_put(api_client_as, paid_community, price):
    client = api_client_as("chapter_head")
    url = f"/api/v1/communities/{paid_community.pk}/price"
    got = client.get(url).json()
    assert got["quote"]["amount_fen"] == 9900
    assert got["quote"]["early_bird_seats_left"] == 50
    bad = client.put(
        url, {"price_fen": 100, "early_bird_price_fen": 200}, content_type="application/json"
    )
    assert bad.status_code == 422
    assert CommunityPrice.objects.get().price_fen == 19900
    ok = client.put(url, {"price_fen": 29900}, content_type="application/json")
    assert ok.json()["quote"] == {
        "amount_fen": 29900,
        "regular_fen": 29900,
        "label": "regular",
        "early_bird_ends_at": None,
        "early_bird_seats_left": None,
        "term_days": None,
    }


def test_create_order_idempotent(api_client_as, buyer, paid_community, price):
    client = api_client_as("org_admin")
    body = {"member_id": buyer.pk, "community_id": paid_community.pk, "kind": "join"}
    first = client.post(
        "/api/v1/orders", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    again = client.post(
        "/api/v1/orders", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert first.json()["amount_fen"] == 9900
    assert Order.objects.count() == 1


def test_mark_paid_wrong_amount_then_right(api_client_as, buyer, paid_community, price):
    order = create_order(member=buyer, community=paid_community, kind="join", provider="manual")
    client = api_client_as("chapter_head")
    url = f"/api/v1/orders/{order.pk}/mark-paid"
    wrong = client.post(url, {"reference": "B1", "amount_fen": 1}, content_type="application/json")
    assert wrong.status_code == 422
    assert Order.objects.get().status == OrderStatus.PENDING
    ok = client.post(url, {"reference": "B1", "amount_fen": 9900}, content_type="application/json")
    assert ok.json()["status"] == "paid"
    refund = client.post(
        f"/api/v1/orders/{order.pk}/refund", {"reason": "重复付款"}, content_type="application/json"
    )
    assert refund.json()["status"] == "refunded"


def test_assistant_cannot_create_or_pay(api_client_as, buyer, community, price):
    client = api_client_as("assistant")
    body = {"member_id": buyer.pk, "community_id": community.pk}
    assert client.post("/api/v1/orders", body, content_type="application/json").status_code == 403
    assert Order.objects.count() == 0


def test_lists_bounded_queries(
    api_client_as, buyer, paid_community, price, django_assert_num_queries
):
    order = create_order(member=buyer, community=paid_community, kind="join", provider="manual")
    for i in range(3):
        PaymentNotification.objects.create(
            organization=buyer.organization,
            provider="webhook",
            body="{}",
            order=order,
            status="rejected",
            reason=f"r{i}",
        )
    client = api_client_as("org_admin")
    client.get("/api/v1/orders")  # the token's first use is recorded
    with django_assert_num_queries(2):  # the token, the page
        orders = client.get("/api/v1/orders?limit=10").json()
    assert [o["number"] for o in orders["items"]] == [order.number]
    with django_assert_num_queries(2):
        rows = client.get("/api/v1/payment-notifications").json()
    assert len(rows["items"]) == 3
    assert client.get("/api/v1/orders?offset=99999999999").status_code == 422
    detail = client.get(f"/api/v1/payment-notifications/{rows['items'][0]['id']}").json()
    assert json.loads(detail["body"]) == {}
