"""Receiving provider notifications: keep every request raw, verify, then pay (or refuse)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse

from shequn.core.ratelimit import client_ip
from shequn.payments.models import NotificationStatus
from shequn.payments.providers import Refusal, get_provider
from shequn.payments.services import handle_paid_notification, store_notification

MAX_BODY = 64 * 1024
HIDDEN_HEADERS = {"cookie", "authorization"}


def raw_request(request: HttpRequest, provider: str) -> dict[str, Any]:
    headers = {
        name: value[:1000]
        for name, value in request.headers.items()
        if name.lower() not in HIDDEN_HEADERS
    }
    return {
        "provider": provider,
        "remote_addr": (client_ip(request) or "")[:64],
        "headers": headers,
        "body": request.body[:MAX_BODY].decode("utf-8", errors="replace"),
    }


def receive_notification(request: HttpRequest, provider_name: str) -> HttpResponse:
    """Answer one notification request of `provider_name` (kept whatever happens)."""
    provider = get_provider(provider_name)
    raw = raw_request(request, provider_name)
    if len(request.body) > MAX_BODY:
        store_notification(**raw, status=NotificationStatus.REJECTED, reason="body too large")
        return provider.answer(413, "body too large")
    parsed = provider.parse_notification(request)
    if isinstance(parsed, Refusal):
        store_notification(
            **raw,
            event_id=parsed.event_id,
            status=NotificationStatus.REJECTED,
            reason=parsed.reason,
        )
        return provider.answer(parsed.status, parsed.reason)
    outcome = handle_paid_notification(
        raw=raw,
        event_id=parsed.event_id,
        order_number=parsed.order_number,
        amount_fen=parsed.amount_fen,
        reference=parsed.reference,
    )
    return provider.answer(outcome.http_status, outcome.notification.reason)
