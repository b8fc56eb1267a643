"""`{% load phones %}{{ member.phone|phone }}`: a stored E.164 number as people write it."""

from __future__ import annotations

from django import template

from shequn.members.phones import format_phone

register = template.Library()


@register.filter(name="phone")
def phone_filter(value: str | None) -> str:
    return format_phone(value or "")
