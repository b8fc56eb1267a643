"""Manual: the member transfers money quoting the order number; an operator marks it paid."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.http import HttpResponse
from django.utils.translation import gettext as _

from shequn.payments.providers import Checkout, Notification, Refusal, json_answer

if TYPE_CHECKING:
    from django.http import HttpRequest

    from shequn.payments.models import Order


class ManualProvider:
    name = "manual"

    def start(self, order: Order, request: HttpRequest) -> Checkout:
        text = getattr(settings, "SHEQUN_PAY_MANUAL_INSTRUCTIONS", "") or _(
            "Pay by bank transfer to the organisation's account. An operator confirms the "
            "payment, usually within a working day."
        )
        return Checkout(provider=self.name, instructions=text)

    def parse_notification(self, request: HttpRequest) -> Notification | Refusal:
        return Refusal(status=404, reason="manual payments have no notifications")

    def answer(self, status: int, reason: str) -> HttpResponse:
        return json_answer(status, reason)
