"""The audit log's filters: operator, action, object type and a date range (all optional)."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from shequn.audit.display import object_type_choices, organization_zone
from shequn.audit.models import AuditAction

# The operator filter's value for entries made by the system (sign-ups, commands, jobs).
SYSTEM = "system"
# Dates a filter accepts: a day at either end of Python's range would overflow once it is
# turned into a UTC time span (9999-12-31 + 1 day; 0001-01-01 00:00 +08:00).
DATE_BOUNDS = [
    MinValueValidator(datetime.date(1900, 1, 1)),
    MaxValueValidator(datetime.date(9998, 12, 31)),
]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        # The browser's date picker keeps to the days the filter accepts (DATE_BOUNDS).
        super().__init__(format="%Y-%m-%d", attrs={"min": "1900-01-01", "max": "9998-12-31"})


class AuditFilterForm(forms.Form):
    """`operators`: (user id, user name) of the operator accounts the reader may see."""

    operator = forms.ChoiceField(label=_("Operator"), required=False)
    action = forms.ChoiceField(
        label=_("Action"),
        required=False,
        choices=[("", _("All actions")), *AuditAction.choices],
    )
    object_type = forms.ChoiceField(label=_("Object type"), required=False)
    date_from = forms.DateField(
        label=_("From"), required=False, widget=DateInput(), validators=DATE_BOUNDS
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=DateInput(), validators=DATE_BOUNDS
    )

    def __init__(self, *args: Any, operators: Sequence[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        operator = self.fields["operator"]
        object_type = self.fields["object_type"]
        assert isinstance(operator, forms.ChoiceField)
        assert isinstance(object_type, forms.ChoiceField)
        operator.choices = [
            ("", _("All operators")),
            (SYSTEM, _("System")),
            *((str(pk), name) for pk, name in operators),
        ]
        object_type.choices = [("", _("All object types")), *object_type_choices()]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end date is before the start date."))
        return cleaned

    def filters(self) -> dict[str, Any]:
        """The valid filters as keyword arguments of `list_audit_entries` (invalid ones dropped);
        dates are whole days in the organisation's zone."""
        self.is_valid()
        data = self.cleaned_data
        zone = organization_zone()
        operator = data.get("operator") or ""
        start, end = data.get("date_from"), data.get("date_to")
        if "date_to" in self.errors:
            end = None
        return {
            "action": data.get("action") or "",
            "object_type": data.get("object_type") or "",
            "actor_user_id": int(operator) if operator.isdigit() else None,
            "by_system": operator == SYSTEM,
            "since": datetime.datetime.combine(start, datetime.time.min, zone) if start else None,
            "until": (
                datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min, zone)
                if end
                else None
            ),
        }
