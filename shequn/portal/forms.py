"""Forms of the member pages: plain fields, so they work without JavaScript."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm, UsernameField
from django.contrib.auth.password_validation import validate_password
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from shequn.members.models import DISPLAY_NAME_MAX_LENGTH

PHONE_MAX_LENGTH = 20
EMAIL_MAX_LENGTH = 254

phone_validator = RegexValidator(
    r"^\+?[0-9][0-9 -]{4,19}$",
    _("Enter a phone number in digits, for example 13812345678."),
    code="invalid_phone",
)


class SignupForm(forms.Form):
    display_name = forms.CharField(
        label=_("Your name"),
        max_length=DISPLAY_NAME_MAX_LENGTH,
        help_text=_("How other members will see you."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.EmailField(
        label=_("Email"),
        max_length=EMAIL_MAX_LENGTH,
        help_text=_("You sign in with it."),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autocapitalize": "none"}),
    )
    phone = forms.CharField(
        label=_("Mobile phone (optional)"),
        max_length=PHONE_MAX_LENGTH,
        required=False,
        validators=[phone_validator],
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        help_text=_("At least 8 characters, not only digits, not a common password."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_password(self) -> str:
        """Check the password rules here too, so every mistake shows at once."""
        password: str = self.cleaned_data["password"]
        validate_password(password)
        return password


class MemberLoginForm(AuthenticationForm):
    """Django's sign-in form; members sign in with their email (stored in lower case)."""

    username = UsernameField(
        label=_("Email or user name"),
        widget=forms.TextInput(
            attrs={"autofocus": True, "autocomplete": "username", "autocapitalize": "none"}
        ),
    )

    def clean_username(self) -> str:
        value: str = self.cleaned_data["username"].strip()
        return value.lower() if "@" in value else value
