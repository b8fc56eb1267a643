"""The generic signed webhook (docs/payments.md, "Webhook signing").

Headers: X-Shequn-Timestamp (unix seconds), X-Shequn-Event-Id (unique per event),
X-Shequn-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + raw body)>.
Body: {"order_number", "amount_fen", "reference", "status": "paid"}.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import TYPE_CHECKING

from django.conf import settings
from django.http import HttpResponse
from django.utils.translation import gettext as _

from shequn.payments.providers import Checkout, Notification, Refusal, json_answer

if TYPE_CHECKING:
    from django.http import HttpRequest

    from shequn.payments.models import Order


def webhook_signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


class WebhookProvider:
    name = "webhook"

    def start(self, order: Order, request: HttpRequest) -> Checkout:
        return Checkout(
            provider=self.name,
            instructions=_("Pay through the payment page your organisation gave you."),
        )

    def parse_notification(self, request: HttpRequest) -> Notification | Refusal:
        secret = getattr(settings, "SHEQUN_PAY_WEBHOOK_SECRET", "")
        if not secret:
            return Refusal(status=404, reason="webhook not configured")
        event_id = request.headers.get("X-Shequn-Event-Id", "")[:128]
        timestamp = request.headers.get("X-Shequn-Timestamp", "")
        signature = request.headers.get("X-Shequn-Signature", "")
        if not timestamp.isdigit() or len(timestamp) > 12:
            return Refusal(status=400, reason="missing or bad timestamp", event_id=event_id)
        expected = webhook_signature(secret, timestamp, request.body)
        if not hmac.compare_digest(expected, signature):
            return Refusal(status=401, reason="bad signature", event_id=event_id)
        tolerance = int(getattr(settings, "SHEQUN_PAY_NOTIFY_TOLERANCE", 300))
        if abs(time.time() - int(timestamp)) > tolerance:
            return Refusal(status=401, reason="stale timestamp", event_id=event_id)
        if not event_id:
            return Refusal(status=400, reason="missing event id")
        try:
            data = json.loads(request.body)
            number, amount = str(data["order_number"]), data["amount_fen"]
            reference, status = str(data.get("reference") or event_id), data["status"]
        except (ValueError, KeyError, TypeError):
            return Refusal(status=400, reason="malformed body", event_id=event_id)
        if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0:
            return Refusal(status=400, reason="malformed amount", event_id=event_id)
        if status != "paid":
            return Refusal(
                status=422, reason=f"status {str(status)[:20]} ignored", event_id=event_id
            )
        return Notification(
            event_id=event_id, order_number=number, amount_fen=amount, reference=reference[:64]
        )

    def answer(self, status: int, reason: str) -> HttpResponse:
        return json_answer(status, reason)
