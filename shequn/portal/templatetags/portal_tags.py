"""Template helpers of the member pages: links to pages other apps may not have yet."""

from __future__ import annotations

from typing import Any

from django import template

from shequn.portal.entry import reverse_or

register = template.Library()


@register.simple_tag
def url_or(name: str, fallback: str = "", **kwargs: Any) -> str:
    """`{% url_or "joining_portal:leave" fallback org_slug=… slug=… %}`: the URL, or fallback."""
    return reverse_or(name, fallback, **kwargs)
