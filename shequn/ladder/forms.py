"""Forms of the ladder pages: the period of a movement report, a pin, the rules."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shequn.ladder.models import PIN_REASON_MAX_LENGTH, LadderRules, Stage
from shequn.ladder.services import RULE_BOUNDS, RULE_FIELDS


def _month_start(today: datetime.date) -> datetime.date:
    return today.replace(day=1)


class PeriodForm(forms.Form):
    """From and to (calendar days); this month so far by default."""

    start = forms.DateField(label=_("From"), required=False)
    end = forms.DateField(label=_("To"), required=False)

    def period(self, time_zone: str) -> tuple[datetime.date, datetime.date]:
        from zoneinfo import ZoneInfo

        today = timezone.now().astimezone(ZoneInfo(time_zone)).date()
        data: dict[str, Any] = self.cleaned_data if self.is_valid() else {}
        return data.get("start") or _month_start(today), data.get("end") or today


class PinForm(forms.Form):
    stage = forms.TypedChoiceField(label=_("Stage"), choices=Stage.choices, coerce=int)
    reason = forms.CharField(
        label=_("Reason"), max_length=PIN_REASON_MAX_LENGTH, widget=forms.TextInput()
    )


class LadderRulesForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = LadderRules
        fields = list(RULE_FIELDS)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, (low, high) in RULE_BOUNDS.items():
            field = self.fields[name]
            field.min_value = low  # type: ignore[attr-defined]
            field.max_value = high  # type: ignore[attr-defined]
            field.widget.attrs.update(min=low, max=high)
