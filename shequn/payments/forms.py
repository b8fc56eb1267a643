"""Forms of the payments console: prices in yuan (stored as fen), filters and actions."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from shequn.payments.models import MAX_PRICE_FEN, OrderStatus, PaymentProvider
from shequn.payments.services import MAX_DAYS, MAX_SEATS

YUAN = re.compile(r"^\s*[¥￥]?\s*(\d{1,7})(?:\.(\d{1,2}))?\s*$")


def parse_yuan(text: str) -> int:
    """ "199", "199.5", "¥199.00" → fen; ValidationError otherwise."""
    match = YUAN.match(text)
    if match is None:
        raise ValidationError(_("Enter an amount in yuan, e.g. 199 or 199.00."), code="invalid")
    whole, cents = match.group(1), (match.group(2) or "0").ljust(2, "0")
    fen = int(whole) * 100 + int(cents)
    if not 0 < fen <= MAX_PRICE_FEN:
        raise ValidationError(_("Enter an amount between ¥0.01 and ¥1,000,000."), code="range")
    return fen


def fen_to_text(fen: int | None) -> str:
    if fen is None:
        return ""
    return f"{fen // 100}" if fen % 100 == 0 else f"{fen // 100}.{fen % 100:02d}"


class YuanField(forms.CharField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 16)
        super().__init__(**kwargs)

    def clean(self, value: Any) -> int | None:
        text = super().clean(value)
        return parse_yuan(text) if text else None

    def prepare_value(self, value: Any) -> Any:
        return fen_to_text(value) if isinstance(value, int) else value


class PriceForm(forms.Form):
    price_fen = YuanField(label=_("Price (yuan)"))
    early_bird_price_fen = YuanField(label=_("Early-bird price (yuan)"), required=False)
    early_bird_days = forms.IntegerField(
        label=_("Early bird for the first N days"), min_value=1, max_value=MAX_DAYS, required=False
    )
    early_bird_seats = forms.IntegerField(
        label=_("Early bird for the first N paid members"),
        min_value=1,
        max_value=MAX_SEATS,
        required=False,
    )
    launched_at = forms.DateTimeField(
        label=_("Early-bird days count from"),
        required=False,
        help_text=_("Empty: the community's start."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    term_days = forms.IntegerField(
        label=_("Term (days)"),
        min_value=1,
        max_value=MAX_DAYS,
        required=False,
        help_text=_("Empty: paid once, a member for good."),
    )
    renewal_price_fen = YuanField(
        label=_("Renewal price (yuan)"), required=False, help_text=_("Empty: the price.")
    )
    reminder_days = forms.IntegerField(
        label=_("Remind this many days before the end"), min_value=0, max_value=365, initial=14
    )


class OrderFilterForm(forms.Form):
    community = forms.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    status = forms.ChoiceField(
        required=False, choices=[("", _("Any status")), *OrderStatus.choices]
    )
    provider = forms.ChoiceField(
        required=False, choices=[("", _("Any payment method")), *PaymentProvider.choices]
    )

    def filters(self) -> dict[str, Any]:
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        return {
            "community_id": data.get("community"),
            "status": data.get("status") or "",
            "provider": data.get("provider") or "",
        }


class MarkPaidForm(forms.Form):
    reference = forms.CharField(label=_("Transfer reference"), max_length=64)
    amount_fen = YuanField(label=_("Amount received (yuan)"))


class RefundForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200)


class ResolveForm(forms.Form):
    resolution = forms.CharField(
        label=_("What was done"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
