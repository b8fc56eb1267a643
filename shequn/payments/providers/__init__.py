"""Payment providers behind one interface (docs/payments.md, "Provider interface").

A provider starts a payment for an order (`start` → a Checkout the member page shows or
redirects to) and reads its notifications (`parse_notification` → a verified Notification, or a
Refusal with the HTTP status to answer). Everything after that is the same for all of them:
`shequn.payments.services.handle_paid_notification` → `mark_order_paid`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from django.http import HttpResponse, JsonResponse

if TYPE_CHECKING:
    from django.http import HttpRequest

    from shequn.payments.models import Order


@dataclass(frozen=True)
class Checkout:
    """What the order page shows: instructions, a link to follow, or JSAPI parameters."""

    provider: str
    instructions: str = ""
    redirect_url: str = ""
    jsapi: dict[str, str] = field(default_factory=dict)
    error: str = ""


@dataclass(frozen=True)
class Notification:
    """A notification whose signature was verified: the order it pays and how much."""

    event_id: str
    order_number: str
    amount_fen: int
    reference: str


@dataclass(frozen=True)
class Refusal:
    """A notification that is not acted on: the status to answer and why (kept on its row)."""

    status: int
    reason: str
    event_id: str = ""


class Provider(Protocol):
    name: str

    def start(self, order: Order, request: HttpRequest) -> Checkout: ...

    def parse_notification(self, request: HttpRequest) -> Notification | Refusal: ...

    def answer(self, status: int, reason: str) -> HttpResponse: ...


def json_answer(status: int, reason: str) -> HttpResponse:
    body: dict[str, Any] = (
        {"code": "SUCCESS", "message": "OK"}
        if status < 400
        else {"code": "FAIL", "message": reason}
    )
    return JsonResponse(body, status=status)


def get_provider(name: str) -> Provider:
    from shequn.payments.providers.manual import ManualProvider
    from shequn.payments.providers.webhook import WebhookProvider
    from shequn.payments.providers.wechatpay import WeChatPayProvider

    providers: dict[str, type[Provider]] = {
        "manual": ManualProvider,
        "webhook": WebhookProvider,
        "wechatpay": WeChatPayProvider,
    }
    return providers[name]()
