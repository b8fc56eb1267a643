"""Phone numbers: validated and stored in E.164 (`+8613812345678`), shown in a readable form.

A number without a country code is read as one of SHEQUN_PHONE_REGION (default "CN",
mainland China), so `138 1234 5678`, `13812345678`, `+86 138-1234-5678` and `008613812345678`
are all stored as `+8613812345678`; numbers of other countries need their `+` code. Every
path that writes a phone (console, API, member sign-up) goes through `normalize_phone`, called
by the services, so they all agree.
"""

from __future__ import annotations

from typing import Any

import phonenumbers
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

DEFAULT_PHONE_REGION = "CN"
# Longer than any phone number written with spaces and dashes; E.164 itself is at most 16.
PHONE_INPUT_MAX_LENGTH = 32
INVALID_PHONE = _("Enter a valid phone number, for example 13812345678 (or +852 5123 4567).")


def phone_region() -> str:
    """The region of numbers written without a country code."""
    return str(getattr(settings, "SHEQUN_PHONE_REGION", DEFAULT_PHONE_REGION))


def _parse(value: str) -> phonenumbers.PhoneNumber | None:
    try:
        number = phonenumbers.parse(value, phone_region())
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


def normalize_phone(value: str) -> str:
    """`value` in E.164, "" for an empty value; ValidationError(code="invalid_phone") if invalid."""
    value = value.strip()
    if not value:
        return ""
    number = _parse(value) if len(value) <= PHONE_INPUT_MAX_LENGTH else None
    if number is None:
        raise ValidationError(INVALID_PHONE, code="invalid_phone")
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def format_phone(value: str) -> str:
    """For people: national form for the home region (`138 1234 5678`), else international
    (`+852 5123 4567`); a value that is not a valid number is shown as stored."""
    number = _parse(value) if value else None
    if number is None:
        return value
    if phonenumbers.region_code_for_number(number) == phone_region():
        style = phonenumbers.PhoneNumberFormat.NATIONAL
    else:
        style = phonenumbers.PhoneNumberFormat.INTERNATIONAL
    return str(phonenumbers.format_number(number, style))


class PhoneField(forms.CharField):
    """A form field that validates a phone number and cleans it to E.164."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", PHONE_INPUT_MAX_LENGTH)
        kwargs.setdefault("widget", forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}))
        super().__init__(**kwargs)

    def clean(self, value: Any) -> str:
        return normalize_phone(str(super().clean(value)))

    def prepare_value(self, value: Any) -> Any:
        return format_phone(value) if isinstance(value, str) else value
