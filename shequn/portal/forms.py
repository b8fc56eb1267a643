"""Forms of the member pages: plain fields, so they work without JavaScript."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, UsernameField
from django.contrib.auth.password_validation import validate_password
from django.utils.translation import gettext_lazy as _

from shequn.accounts.selectors import is_operator_account
from shequn.members.models import DISPLAY_NAME_MAX_LENGTH
from shequn.members.phones import PhoneField

EMAIL_MAX_LENGTH = 254


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
    phone = PhoneField(  # validated and cleaned to E.164 (shequn.members.phones)
        label=_("Mobile phone (optional)"),
        required=False,
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


class VerifyEmailForm(forms.Form):
    """Confirm a verification link; with the sign-up's password unless signed in with it.

    Asking for the password too means the person who owns the email and the person who chose
    the password are the same: a link clicked by somebody else's victim links nothing.
    """

    password = forms.CharField(
        label=_("The password you chose when signing up"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args: Any, needs_password: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not needs_password:
            del self.fields["password"]


class MemberPasswordResetForm(PasswordResetForm):
    """Django's reset form for member accounts only (operators reset on the console)."""

    def get_users(self, email: str) -> Iterator[Any]:
        for user in super().get_users(email):
            if not is_operator_account(user):
                yield user
