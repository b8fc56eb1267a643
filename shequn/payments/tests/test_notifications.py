"""Notification endpoints: the signed webhook and WeChat Pay (a local fake server, keys the
tests generate). Every request is kept raw; refusals are 4xx and change nothing else."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from shequn.members.models import Channel, Membership
from shequn.members.tests.factories import IdentityFactory
from shequn.payments.models import (
    MembershipTerm,
    NotificationStatus,
    Order,
    OrderKind,
    OrderStatus,
    PaymentNotification,
)
from shequn.payments.providers.webhook import webhook_signature
from shequn.payments.services import cancel_order, create_order
from shequn.payments.tests import wechatpay_fake as wx

SECRET = "whsec-test-secret"
WEBHOOK = "/api/v1/payments/webhook/notify"
WECHAT = "/api/v1/payments/wechatpay/notify"


@pytest.fixture
def webhook(settings) -> None:
    settings.SHEQUN_PAY_WEBHOOK_SECRET = SECRET
    settings.SHEQUN_PAYMENT_PROVIDERS = ["manual", "webhook", "wechatpay"]


@pytest.fixture
def order(buyer, paid_community, price, webhook) -> Order:
    return create_order(
        member=buyer, community=paid_community, kind=OrderKind.JOIN, provider="webhook"
    )


def post_webhook(
    client: Client,
    payload: dict[str, Any],
    *,
    event_id: str = "evt-1",
    secret: str = SECRET,
    timestamp: int | None = None,
) -> Any:
    body = json.dumps(payload).encode()
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    return client.post(
        WEBHOOK,
        data=body,
        content_type="application/json",
        HTTP_X_SHEQUN_TIMESTAMP=stamp,
        HTTP_X_SHEQUN_EVENT_ID=event_id,
        HTTP_X_SHEQUN_SIGNATURE=webhook_signature(secret, stamp, body),
    )


def paid_payload(order: Order, **changes: Any) -> dict[str, Any]:
    return {
        "order_number": order.number,
        "amount_fen": order.amount_fen,
        "reference": "GW-123",
        "status": "paid",
    } | changes


def counts() -> tuple[int, int, int]:
    return (
        Order.objects.filter(status=OrderStatus.PAID).count(),
        MembershipTerm.objects.count(),
        Membership.objects.filter(community__slug="vip").count(),
    )


@pytest.mark.django_db
class TestWebhook:
    def test_paid_once_and_kept(self, order):
        client = Client(enforce_csrf_checks=True)  # no CSRF token: providers send none
        first = post_webhook(client, paid_payload(order))
        assert first.status_code == 200
        assert first.json() == {"code": "SUCCESS", "message": "OK"}
        second = post_webhook(client, paid_payload(order), event_id="evt-2")  # a retry, new id
        assert second.status_code == 200
        order.refresh_from_db()
        assert (order.status, order.provider_reference) == (OrderStatus.PAID, "GW-123")
        assert counts() == (1, 1, 1)
        statuses = list(
            PaymentNotification.objects.order_by("id").values_list("status", "event_id")
        )
        assert statuses == [("accepted", "evt-1"), ("duplicate", "evt-2")]
        row = PaymentNotification.objects.order_by("id")[0]
        assert row.headers["X-Shequn-Event-Id"] == "evt-1"
        assert json.loads(row.body)["amount_fen"]

    @pytest.mark.parametrize(
        ("case", "status"),
        [
            ("bad_signature", 401),
            ("stale", 401),
            ("replayed", 409),
            ("wrong_amount", 422),
            ("unknown_order", 422),
            ("malformed", 400),
            ("not_paid_status", 422),
        ],
    )
    def test_refusals_change_nothing(self, client, order, case, status):
        if case == "replayed":
            assert post_webhook(client, paid_payload(order), event_id="evt-r").status_code == 200
        before = counts()
        kept = PaymentNotification.objects.count()
        if case == "bad_signature":
            response = post_webhook(client, paid_payload(order), secret="wrong")
        elif case == "stale":
            response = post_webhook(client, paid_payload(order), timestamp=int(time.time()) - 301)
        elif case == "replayed":
            response = post_webhook(client, paid_payload(order), event_id="evt-r")
        elif case == "wrong_amount":
            response = post_webhook(client, paid_payload(order, amount_fen=1))
        elif case == "unknown_order":
            response = post_webhook(client, paid_payload(order, order_number="SQ-NOPE"))
        elif case == "malformed":
            response = post_webhook(client, {"order_number": order.number})
        else:
            response = post_webhook(client, paid_payload(order, status="failed"))
        assert response.status_code == status
        assert response.json()["code"] == "FAIL"
        assert counts() == before
        assert PaymentNotification.objects.count() == kept + 1
        row = PaymentNotification.objects.order_by("-id")[0]
        assert row.status == NotificationStatus.REJECTED
        assert row.reason
        if case != "replayed":
            order.refresh_from_db()
            assert order.status == OrderStatus.PENDING

    def test_cancelled_order_is_flagged_not_lost(self, client, order, buyer):
        cancel_order(order=order, member=buyer)
        response = post_webhook(client, paid_payload(order))
        assert response.status_code == 200
        row = PaymentNotification.objects.get()
        assert (row.status, row.order_id, row.amount_fen) == ("flagged", order.pk, 9900)
        order.refresh_from_db()
        assert order.status == OrderStatus.CANCELLED
        assert counts() == (0, 0, 0)

    def test_not_configured_is_404_and_kept(self, client, order, settings):
        settings.SHEQUN_PAY_WEBHOOK_SECRET = ""
        assert post_webhook(client, paid_payload(order)).status_code == 404
        assert PaymentNotification.objects.get().status == "rejected"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("same_id", [True, False])
def test_concurrent_double_notification_pays_once(order, same_id):
    results: list[int] = []
    barrier = threading.Barrier(2)

    def send(n: int) -> None:
        try:
            barrier.wait(timeout=5)
            event = "evt-c" if same_id else f"evt-c{n}"
            results.append(post_webhook(Client(), paid_payload(order), event_id=event).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert counts() == (1, 1, 1)
    assert sorted(results) == ([200, 409] if same_id else [200, 200])
    assert PaymentNotification.objects.filter(status="accepted").count() == 1


# WeChat Pay --------------------------------------------------------------------------------


@pytest.fixture
def wechat(settings, tmp_path, webhook):
    keys = wx.Keys.generate(tmp_path)
    fake = wx.FakeWeChatPay(keys).start()
    settings.SHEQUN_WECHATPAY = {
        "MCHID": wx.MCHID,
        "APPID": wx.APPID,
        "APIV3_KEY": wx.APIV3_KEY,
        "PRIVATE_KEY_PATH": str(keys.merchant_key_path),
        "CERT_SERIAL_NO": wx.MERCHANT_SERIAL,
        "PUBLIC_KEY_PATH": str(keys.platform_public_path),
        "PUBLIC_KEY_ID": wx.PUBLIC_KEY_ID,
        "CERT_DIR": "",
        "NOTIFY_URL": "https://shequn.example/api/v1/payments/wechatpay/notify",
        "GATEWAY": fake.url,
    }
    yield fake
    fake.stop()


@pytest.fixture
def wx_order(buyer, paid_community, price, wechat) -> Order:
    return create_order(
        member=buyer, community=paid_community, kind=OrderKind.JOIN, provider="wechatpay"
    )


def post_wechat(
    client: Client, body: str, keys: wx.Keys, *, timestamp: int | None = None, key: Any = None
) -> Any:
    headers = wx.signed_headers(key or keys.platform, body, timestamp=timestamp)
    extra: dict[str, Any] = {
        "HTTP_" + name.upper().replace("-", "_"): value for name, value in headers.items()
    }
    return client.post(WECHAT, data=body, content_type="application/json", **extra)


@pytest.mark.django_db
class TestWeChatPay:
    def test_h5_order_outside_wechat(self, client, buyer, wx_order, wechat):
        client.force_login(buyer.user)
        page = client.get(f"/c/orders/{wx_order.number}/", HTTP_USER_AGENT="Mozilla/5.0 (iPhone)")
        assert page.status_code == 200
        assert "https://wx.tenpay.com/cgi-bin/mmpayweb?x=1" in page.content.decode()
        sent = wechat.requests[-1]
        assert sent["path"] == "/v3/pay/transactions/h5"
        assert sent["body"]["out_trade_no"] == wx_order.number
        assert sent["body"]["amount"] == {"total": 9900, "currency": "CNY"}
        assert (sent["body"]["mchid"], sent["body"]["appid"]) == (wx.MCHID, wx.APPID)

    def test_jsapi_order_inside_wechat_with_openid(self, client, buyer, org, wx_order, wechat):
        IdentityFactory(
            member=buyer, organization=org, channel=Channel.WECHAT, external_id="oUser1"
        )
        client.force_login(buyer.user)
        ua = "Mozilla/5.0 (iPhone) AppleWebKit MicroMessenger/8.0.47"
        page = client.get(f"/c/orders/{wx_order.number}/", HTTP_USER_AGENT=ua)
        html = page.content.decode()
        assert 'data-package="prepay_id=wx201410272009395522657a690389285100"' in html
        sent = wechat.requests[-1]
        assert sent["path"] == "/v3/pay/transactions/jsapi"
        assert sent["body"]["payer"] == {"openid": "oUser1"}

    def test_notification_pays_and_replay_refused(self, client, wx_order, wechat):
        body = wx.notification_body(event_id="EV-1", out_trade_no=wx_order.number, total=9900)
        response = post_wechat(client, body, wechat.keys)
        assert response.status_code == 200, response.content
        wx_order.refresh_from_db()
        assert wx_order.status == OrderStatus.PAID
        assert wx_order.provider_reference.startswith("4200000")
        assert counts() == (1, 1, 1)
        again = post_wechat(client, body, wechat.keys)
        assert again.status_code == 409
        assert counts() == (1, 1, 1)
        assert PaymentNotification.objects.filter(event_id="EV-1").count() == 2

    @pytest.mark.parametrize(
        ("case", "status"),
        [
            ("bad_signature", 401),
            ("stale", 401),
            ("wrong_amount", 422),
            ("unknown_order", 422),
            ("other_merchant", 422),
            ("not_success", 422),
            ("wrong_apiv3_key", 401),
        ],
    )
    def test_refusals_change_nothing(self, client, wx_order, wechat, case, status):
        number, total, extra, key, stamp = wx_order.number, 9900, {}, None, None
        if case == "bad_signature":
            key = wechat.keys.merchant  # not the platform's key
        elif case == "stale":
            stamp = int(time.time()) - 301
        elif case == "wrong_amount":
            total = 1
        elif case == "unknown_order":
            number = "SQ00000000000000NOPE"
        elif case == "other_merchant":
            extra = {"mchid": "1234567890"}
        body = wx.notification_body(
            event_id="EV-x",
            out_trade_no=number,
            total=total,
            trade_state="NOTPAY" if case == "not_success" else "SUCCESS",
            **extra,
        )
        if case == "wrong_apiv3_key":
            data = json.loads(body)
            data["resource"] = wx.encrypt_resource({"x": 1}, key="f" * 32)
            body = json.dumps(data)
        response = post_wechat(client, body, wechat.keys, timestamp=stamp, key=key)
        assert response.status_code == status
        assert response.json()["code"] == "FAIL"
        assert counts() == (0, 0, 0)
        row = PaymentNotification.objects.get()
        assert (row.status, row.provider) == ("rejected", "wechatpay")
        assert row.body == body
        assert row.headers["Wechatpay-Nonce"]
        wx_order.refresh_from_db()
        assert wx_order.status == OrderStatus.PENDING
