"""Form plumbing shared by every app's console and member pages."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError


def add_service_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form: on its field when the form has it."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, errors in exc.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def whole_numbers(
    data: object, bounds: dict[str, tuple[int, int]]
) -> tuple[dict[str, int], dict[str, str]]:
    """Read the whole numbers `bounds` names from `data` (a mapping: a form's POST, an API
    body): the values within their bounds (both included) and a translated error per field."""
    from collections.abc import Mapping

    from django.utils.translation import gettext as _

    assert isinstance(data, Mapping)
    values: dict[str, int] = {}
    errors: dict[str, str] = {}
    for name, (low, high) in bounds.items():
        raw = data.get(name)
        try:
            number = int(raw)  # type: ignore[arg-type]  # anything: a bad value is the error below
        except (TypeError, ValueError):
            errors[name] = _("Enter a whole number.")
            continue
        if isinstance(raw, bool) or not low <= number <= high:
            errors[name] = _("Enter a number from %(low)d to %(high)d.") % {
                "low": low,
                "high": high,
            }
            continue
        values[name] = number
    return values, errors
