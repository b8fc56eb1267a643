"""Forms of the rewards console (docs/rewards.md)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from shequn.accounts.selectors import OperatorScope
from shequn.organizations.models import Community
from shequn.rewards.models import (
    DESCRIPTION_MAX_LENGTH,
    MAX_COST,
    MAX_STOCK,
    NAME_MAX_LENGTH,
    NOTE_MAX_LENGTH,
    RewardKind,
)


class RewardForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=RewardKind.choices)
    name = forms.CharField(label=_("Name"), max_length=NAME_MAX_LENGTH)
    description = forms.CharField(
        label=_("Description"),
        max_length=DESCRIPTION_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    community = forms.ModelChoiceField(
        label=_("Community"),
        queryset=Community.objects.none(),
        required=False,
        help_text=_("Optional: shown with the reward (e.g. the community a membership is for)."),
    )
    cost = forms.IntegerField(label=_("Cost (points)"), min_value=1, max_value=MAX_COST)
    stock = forms.IntegerField(
        label=_("Stock"),
        min_value=0,
        max_value=MAX_STOCK,
        required=False,
        help_text=_("Empty: unlimited. Coupons: the codes you upload."),
    )
    per_member_limit = forms.IntegerField(
        label=_("Per member at most"),
        min_value=1,
        max_value=MAX_STOCK,
        required=False,
        help_text=_("Empty: no limit."),
    )
    min_level = forms.IntegerField(
        label=_("From level"),
        min_value=1,
        max_value=MAX_STOCK,
        required=False,
        help_text=_("Empty: every level."),
    )
    available_from = forms.DateTimeField(
        label=_("Available from"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    available_until = forms.DateTimeField(
        label=_("Available until"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    is_active = forms.BooleanField(label=_("Switched on"), required=False, initial=True)

    def __init__(self, *args: Any, actor: OperatorScope, editing: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        field = self.fields["community"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Community.objects.filter(organization_id=actor.organization.pk)
        if editing:
            del self.fields["kind"]

    def data_for_service(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("kind", None)
        community = data.pop("community", None)
        data["community_id"] = community.pk if community else None
        return data


class CodesForm(forms.Form):
    codes = forms.CharField(
        label=_("Codes"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("One code per line."),
    )


class FulfilForm(forms.Form):
    note = forms.CharField(
        label=_("Note or tracking number"), max_length=NOTE_MAX_LENGTH, required=True
    )


class CancelForm(forms.Form):
    note = forms.CharField(label=_("Reason"), max_length=NOTE_MAX_LENGTH, required=False)
