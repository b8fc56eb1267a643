"""Forms of the points console: a rule, the settings, an adjustment, a reversal. The checks
that matter are the services' (shequn.points.services); these forms only read the fields."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _

from shequn.activity.models import ActivityKind
from shequn.points.models import (
    CUSTOM_NAME_MAX_LENGTH,
    MAX_COOLDOWN_MINUTES,
    MAX_DAILY_CAP,
    MAX_POINTS,
    NOTE_MAX_LENGTH,
    PointRule,
    PointSettings,
)
from shequn.points.services import UNPRICED_KINDS

if TYPE_CHECKING:
    from shequn.accounts.selectors import OperatorScope

MAX_COMMUNITY_CHOICES = 1000


def _kind_choices() -> list[tuple[str, str]]:
    return [
        (value, str(label)) for value, label in ActivityKind.choices if value not in UNPRICED_KINDS
    ]


class RuleForm(forms.Form):
    kind = forms.ChoiceField(label=_("Activity kind"), choices=_kind_choices)
    custom_name = forms.CharField(
        label=_("Custom activity name"),
        max_length=CUSTOM_NAME_MAX_LENGTH,
        required=False,
        help_text=_("Only for custom activities, e.g. featured_post, answer, camp_finished."),
    )
    points = forms.IntegerField(
        label=_("Points"),
        min_value=-MAX_POINTS,
        max_value=MAX_POINTS,
        help_text=_("Negative for a penalty (e.g. -20 for a violation)."),
    )
    daily_cap = forms.IntegerField(
        label=_("Daily cap (points)"),
        min_value=1,
        max_value=MAX_DAILY_CAP,
        required=False,
        help_text=_("Empty: no cap."),
    )
    cooldown_minutes = forms.IntegerField(
        label=_("Cooldown (minutes)"),
        min_value=0,
        max_value=MAX_COOLDOWN_MINUTES,
        initial=0,
        required=False,
        help_text=_("At most one award per member in each slot of this many minutes; 0: none."),
    )
    community = forms.ChoiceField(label=_("Where"), required=False)
    is_active = forms.BooleanField(label=_("Switched on"), required=False, initial=True)

    def __init__(self, *args: Any, actor: OperatorScope, **kwargs: Any) -> None:
        from shequn.organizations.models import Community

        super().__init__(*args, **kwargs)
        communities = Community.objects.filter(organization=actor.organization).order_by(
            "name", "pk"
        )[:MAX_COMMUNITY_CHOICES]
        choices: list[tuple[str, str]] = [("", str(_("The whole organisation")))]
        choices += [(str(c.pk), c.name) for c in communities]
        field = self.fields["community"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices

    def data_for_service(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


def rule_initial(rule: PointRule) -> dict[str, Any]:
    return {
        "kind": rule.kind,
        "custom_name": rule.custom_name,
        "points": rule.points,
        "daily_cap": rule.daily_cap,
        "cooldown_minutes": rule.cooldown_minutes,
        "community": str(rule.community_id or ""),
        "is_active": rule.is_active,
    }


class SettingsForm(forms.Form):
    expiry_months = forms.IntegerField(
        label=_("Points expire after (months)"),
        min_value=1,
        max_value=120,
        required=False,
        help_text=_("Empty: points never expire. Oldest points are used first."),
    )
    referral_points = forms.IntegerField(
        label=_("Points for inviting a member who stays"),
        min_value=0,
        max_value=MAX_POINTS,
        help_text=_("0: no referral award."),
    )
    referral_days = forms.IntegerField(
        label=_("The invited member stays at least (days)"), min_value=1, max_value=365
    )


def settings_initial(row: PointSettings) -> dict[str, Any]:
    return {
        "expiry_months": row.expiry_months,
        "referral_points": row.referral_points,
        "referral_days": row.referral_days,
    }


class AdjustForm(forms.Form):
    points = forms.IntegerField(
        label=_("Points"),
        min_value=-MAX_POINTS,
        max_value=MAX_POINTS,
        help_text=_("Positive to add, negative to take away."),
    )
    note = forms.CharField(label=_("Reason"), max_length=NOTE_MAX_LENGTH)
    penalty = forms.BooleanField(
        label=_("A penalty (may take the balance below zero)"), required=False
    )


class ReverseForm(forms.Form):
    note = forms.CharField(label=_("Reason"), max_length=NOTE_MAX_LENGTH)
