"""Forms of the operator console: sign-in, operator accounts and API tokens.

Forms only collect and shape input; the services validate the rest and their
ValidationErrors are put back on the form with `add_service_errors`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.contrib.auth.models import User
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shequn.accounts.models import Operator, OperatorRole
from shequn.accounts.selectors import OperatorScope, get_operator_scope, is_operator_account
from shequn.accounts.services import USERNAME_MAX_LENGTH
from shequn.members.selectors import get_member_for_account
from shequn.organizations.models import Chapter, Community, CommunityStatus
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


class ScopeCheckboxes(forms.CheckboxSelectMultiple):
    """A checkbox list with a text filter above it (static/js/console.js shows and runs the
    filter; without JavaScript the whole list is there, as before)."""

    template_name = "accounts/widgets/scope_checkboxes.html"


if TYPE_CHECKING:
    _ChoicesBase = forms.ModelMultipleChoiceField[Any]
else:  # not subscriptable at run time
    _ChoicesBase = forms.ModelMultipleChoiceField


class ChapterChoices(_ChoicesBase):
    def label_from_instance(self, obj: Any) -> str:
        chapter = cast(Chapter, obj)
        return f"{chapter.name} ({chapter.city})" if chapter.city else chapter.name


class CommunityChoices(_ChoicesBase):
    """Communities by name with their chapter (to tell namesakes apart and to filter by city);
    one that is no longer active (kept because the operator already runs it) says so."""

    def label_from_instance(self, obj: Any) -> str:
        community = cast(Community, obj)
        label = community.name
        if community.chapter is not None:
            label = f"{label} · {community.chapter.name}"
        if community.status != CommunityStatus.ACTIVE:
            label = f"{label} ({community.get_status_display()})"
        return label


class ScopeFieldsMixin(forms.Form):
    """Role with the chapters (for chapter heads) or communities (for assistants) it runs.

    The community picker offers active communities only: archived and dissolved ones take no
    new operators. Communities an operator already runs stay listed (ticked, marked with their
    status) when their account is edited, so saving the form never drops them silently; untick
    one to take it away.
    """

    role = forms.ChoiceField(label=_("Role"), choices=OperatorRole.choices)
    chapters = ChapterChoices(
        label=_("Chapters"),
        queryset=Chapter.objects.none(),
        required=False,
        widget=ScopeCheckboxes,
        help_text=_("For a chapter head: the chapters they run."),
    )
    communities = CommunityChoices(
        label=_("Communities"),
        queryset=Community.objects.none(),
        required=False,
        widget=ScopeCheckboxes,
        help_text=_("For an assistant: the communities they run."),
    )

    def set_scope_choices(self, actor: OperatorScope, keep: Iterable[int] = ()) -> None:
        """Chapters and active communities of the actor's organisation; `keep`: ids of
        communities to list whatever their status (those the operator already runs)."""
        chapters = self.fields["chapters"]
        communities = self.fields["communities"]
        assert isinstance(chapters, forms.ModelMultipleChoiceField)
        assert isinstance(communities, forms.ModelMultipleChoiceField)
        chapters.queryset = list_chapters(actor=actor)
        communities.queryset = list_communities(actor=actor).filter(
            Q(status=CommunityStatus.ACTIVE) | Q(pk__in=list(keep))
        )


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
    username = forms.CharField(
        label=_("User name"),
        max_length=USERNAME_MAX_LENGTH,
        validators=[UnicodeUsernameValidator()],
        help_text=User._meta.get_field("username").help_text,  # Django's, translated by Django
    )
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
        # The narrowest role unless the admin chooses more.
        self.fields["role"].initial = OperatorRole.ASSISTANT


class OperatorEditForm(ScopeFieldsMixin):
    is_active = forms.BooleanField(
        label=pgettext_lazy("operator account", "Active"),
        required=False,
        help_text=_("Switched-off accounts can no longer sign in or use their API tokens."),
    )

    def __init__(self, *args: Any, actor: OperatorScope, operator: Operator, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.set_scope_choices(actor, keep=operator.communities.values_list("pk", flat=True))


class OperatorPasswordForm(PasswordPairMixin):
    pass


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=80,
        help_text=_("What the token is for, e.g. “WeCom sync”."),
        error_messages={
            "required": _("Give the token a name that says what it is for, e.g. “WeCom sync”.")
        },
    )


class OperatorPasswordResetForm(PasswordResetForm):
    """Django's reset form for operator accounts only (members reset on the member pages)."""

    def get_users(self, email: str) -> Iterator[Any]:
        for user in super().get_users(email):
            if is_operator_account(user):
                yield user
