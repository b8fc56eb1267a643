"""Template helpers of the member pages: links to pages other apps may not have yet, money."""

from __future__ import annotations

import importlib
from typing import Any

from django import template

from shequn.portal.entry import reverse_or

register = template.Library()


@register.simple_tag
def url_or(name: str, fallback: str = "", **kwargs: Any) -> str:
    """`{% url_or "joining_portal:leave" fallback org_slug=… slug=… %}`: the URL, or fallback."""
    return reverse_or(name, fallback, **kwargs)


def _format_yuan(amount_fen: int) -> str:
    yuan, fen = divmod(int(amount_fen), 100)
    return f"¥{yuan:,}" if not fen else f"¥{yuan:,}.{fen:02d}"


@register.filter
def yuan(amount_fen: int | None) -> str:
    """An amount in fen as yuan (¥12, ¥12.50): the payments app's filter when it has one."""
    if amount_fen is None:
        return ""
    try:
        money = importlib.import_module("shequn.payments.templatetags.money")
    except ImportError:
        return _format_yuan(amount_fen)
    return str(money.yuan(amount_fen))
