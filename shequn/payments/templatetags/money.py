"""`{% load money %}{{ amount_fen|yuan }}`: integer fen shown as ¥199 or ¥199.50."""

from __future__ import annotations

from django import template

register = template.Library()


def format_yuan(amount_fen: int | None) -> str:
    """¥12 for whole yuan, ¥12.50 otherwise; "" for None."""
    if amount_fen is None:
        return ""
    fen = int(amount_fen)
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), 100)
    if cents:
        return f"{sign}¥{yuan:,}.{cents:02d}"
    return f"{sign}¥{yuan:,}"


@register.filter(name="yuan")
def yuan(amount_fen: int | None) -> str:
    return format_yuan(amount_fen)
