"""The form of a community kind's layer rules (checked by shequn.layers.services)."""

from __future__ import annotations

from django import forms

from shequn.layers.models import LayerRules
from shequn.layers.services import RULE_FIELDS


class LayerRulesForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = LayerRules
        fields = list(RULE_FIELDS)
