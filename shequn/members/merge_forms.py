"""Forms of the merge console: the queue's filters, bulk accept, manual merge, auto-merge."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from shequn.members.merge_suggestions import ACCEPT_THRESHOLD
from shequn.members.models import MergeReason
from shequn.members.phones import PHONE_INPUT_MAX_LENGTH

DEFAULT_PERCENT = round(ACCEPT_THRESHOLD * 100)


class MergeQueueFilterForm(forms.Form):
    min_percent = forms.IntegerField(
        label=_("Confidence at least (%)"), min_value=0, max_value=100, required=False
    )
    reason = forms.ChoiceField(
        label=_("Reason"),
        choices=[("", _("Any reason")), *MergeReason.choices],
        required=False,
    )

    def filters(self) -> dict[str, Any]:
        """Keyword arguments of `list_merge_suggestions`; invalid values are left out."""
        if not self.is_valid():
            return {}
        data: dict[str, Any] = {}
        if self.cleaned_data.get("min_percent") is not None:
            data["min_confidence"] = self.cleaned_data["min_percent"] / 100
        if self.cleaned_data.get("reason"):
            data["reason"] = self.cleaned_data["reason"]
        return data


class BulkAcceptForm(forms.Form):
    min_percent = forms.IntegerField(
        label=_("Accept every open suggestion at or above (%)"),
        min_value=50,
        max_value=100,
        initial=DEFAULT_PERCENT,
        help_text=_("Suggestions from names alone stay below this: review them one by one."),
    )
    confirm = forms.BooleanField(
        label=_("Yes, merge all of them"), required=False, widget=forms.HiddenInput
    )


class KeepForm(forms.Form):
    """Which of the two members survives an accepted suggestion."""

    keep = forms.IntegerField(required=False, widget=forms.HiddenInput)


class MergeSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Find the member to merge into"),
        max_length=PHONE_INPUT_MAX_LENGTH * 3,
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )


class AutoMergeForm(forms.Form):
    enabled = forms.BooleanField(
        label=_("Merge exact phone, email and unionid matches automatically"), required=False
    )
