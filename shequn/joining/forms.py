"""Forms of the joining console pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from shequn.joining.models import JoinPolicy
from shequn.joining.services import MAX_OFFER_HOURS, REASON_MAX_LENGTH
from shequn.members.models import Channel
from shequn.members.phones import PHONE_INPUT_MAX_LENGTH

TEXT_MAX_LENGTH = 5000


class JoinPolicyForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = JoinPolicy
        fields = [
            "waitlist_enabled",
            "offer_hours",
            "rejoin_policy",
            "leave_review",
            "paid_requires_application",
            "min_level",
            "rights_duties",
            "perks",
            "next_steps",
        ]
        widgets = {
            "rights_duties": forms.Textarea(attrs={"rows": 4, "maxlength": TEXT_MAX_LENGTH}),
            "perks": forms.Textarea(attrs={"rows": 4, "maxlength": TEXT_MAX_LENGTH}),
            "next_steps": forms.Textarea(attrs={"rows": 3, "maxlength": TEXT_MAX_LENGTH}),
        }

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        hours = self.fields["offer_hours"]
        assert isinstance(hours, forms.IntegerField)
        hours.min_value, hours.max_value = 1, MAX_OFFER_HOURS
        for name in ("rights_duties", "perks", "next_steps"):
            field = self.fields[name]
            assert isinstance(field, forms.CharField)
            field.max_length = TEXT_MAX_LENGTH

    def clean_offer_hours(self) -> int:
        value = int(self.cleaned_data["offer_hours"])
        if not 1 <= value <= MAX_OFFER_HOURS:
            raise forms.ValidationError(
                _("Between 1 and %(max)s hours."), params={"max": MAX_OFFER_HOURS}
            )
        return value


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=REASON_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 2})
    )


class BlacklistAddForm(forms.Form):
    """A person who is not a member yet: by phone, email or a channel account."""

    display_name = forms.CharField(label=_("Name"), max_length=64, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=PHONE_INPUT_MAX_LENGTH, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    channel = forms.ChoiceField(
        label=_("Channel"), choices=[("", "—"), *Channel.choices], required=False
    )
    external_id = forms.CharField(label=_("Account id"), max_length=128, required=False)
    reason = forms.CharField(
        label=_("Reason"), max_length=REASON_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 2})
    )


class BlacklistFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), max_length=100, required=False)
    lifted = forms.BooleanField(label=_("Show lifted entries"), required=False)
