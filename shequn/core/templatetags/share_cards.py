"""Template helpers for share cards: absolute URLs and one-line descriptions."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import strip_tags
from django.utils.text import Truncator

register = template.Library()


@register.simple_tag(takes_context=True)
def absolute_url(context: dict[str, Any], path: str) -> str:
    """`path` (e.g. a media or static URL) with this request's scheme and host."""
    request = context.get("request")
    if request is None:
        return path
    return str(request.build_absolute_uri(path))


@register.filter
def one_line(text: str, length: int = 120) -> str:
    """`text` without markup, on one line, cut at `length` characters (with an ellipsis)."""
    flat = " ".join(strip_tags(str(text)).split())
    return Truncator(flat).chars(length)
