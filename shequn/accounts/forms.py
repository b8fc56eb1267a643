"""Forms of the operator console: sign-in, operator accounts and API tokens.

Forms only collect and shape input; the services validate the rest and their
ValidationErrors are put back on the form with `add_service_errors`.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.models import User
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shequn.accounts.models import OperatorRole
from shequn.accounts.selectors import OperatorScope, get_operator_scope
from shequn.accounts.services import USERNAME_MAX_LENGTH
from shequn.members.selectors import get_member_for_account
from shequn.organizations.models import Chapter, Community
from shequn.organizations.selectors import list_chapters, list_communities


class OperatorLoginForm(AuthenticationForm):
    """Sign-in to the console; accounts that are not operator accounts are turned away."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "member_account": _(
            "This is a member account, not an operator account. "
            "Members sign in on the member pages."
        ),
        "not_operator": _(
            "This account is not an operator account. Ask an organisation admin for access."
        ),
    }

    def confirm_login_allowed(self, user: User) -> None:
        super().confirm_login_allowed(user)
        try:
            get_operator_scope(user)
        except PermissionDenied:
            code = "member_account" if get_member_for_account(user) else "not_operator"
            raise ValidationError(self.error_messages[code], code=code) from None

    @property
    def is_member_account(self) -> bool:
        return self.has_error(NON_FIELD_ERRORS, "member_account")

    @property
    def member_pages_url(self) -> str:
        """Where members sign in and see their communities."""
        return reverse("portal:login")


class ScopeFieldsMixin(forms.Form):
    """Role with the chapters (for chapter heads) or communities (for assistants) it runs."""

    role = forms.ChoiceField(label=_("Role"), choices=OperatorRole.choices)
    chapters = forms.ModelMultipleChoiceField(
        label=_("Chapters"),
        queryset=Chapter.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("For a chapter head: the chapters they run."),
    )
    communities = forms.ModelMultipleChoiceField(
        label=_("Communities"),
        queryset=Community.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("For an assistant: the communities they run."),
    )

    def set_scope_choices(self, actor: OperatorScope) -> None:
        chapters = self.fields["chapters"]
        communities = self.fields["communities"]
        assert isinstance(chapters, forms.ModelMultipleChoiceField)
        assert isinstance(communities, forms.ModelMultipleChoiceField)
        chapters.queryset = list_chapters(actor=actor)
        communities.queryset = list_communities(actor=actor).select_related(None)


class PasswordPairMixin(forms.Form):
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password_confirm = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        first, second = cleaned.get("password"), cleaned.get("password_confirm")
        if first and second and first != second:
            self.add_error("password_confirm", _("The two passwords do not match."))
        return cleaned


class OperatorCreateForm(PasswordPairMixin, ScopeFieldsMixin):
    username = forms.CharField(label=_("User name"), max_length=USERNAME_MAX_LENGTH)
    email = forms.EmailField(label=_("Email"), required=False)

    field_order = [
        "username",
        "email",
        "password",
        "password_confirm",
        "role",
        "chapters",
        "communities",
    ]

    def __init__(self, *args: Any, actor: OperatorScope, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.set_scope_choices(actor)


class OperatorEditForm(ScopeFieldsMixin):
    is_active = forms.BooleanField(
        label=pgettext_lazy("operator account", "Active"),
        required=False,
        help_text=_("Switched-off accounts can no longer sign in or use their API tokens."),
    )

    def __init__(self, *args: Any, actor: OperatorScope, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.set_scope_choices(actor)


class OperatorPasswordForm(PasswordPairMixin):
    pass


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=80,
        required=False,
        help_text=_("What the token is for, e.g. “WeCom sync”."),
    )
