"""Password reset by email, one set of Django's views per look (console and member pages).

`password_reset_views("accounts", OperatorPasswordResetForm)` gives the four views, with the
templates `<prefix>/password_reset*.html` and `<prefix>/email/password_reset*`, and
`password_reset_urls` their URL patterns in the namespace `<prefix>`. The request form is
rate limited per address; an unknown email gets the same answer as a known one; a reset lifts
the account's sign-in lockout (the lockout page sends people here).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.views import (
    PasswordResetCompleteView,
    PasswordResetConfirmView,
    PasswordResetDoneView,
    PasswordResetView,
)
from django.http import HttpResponse
from django.urls import URLPattern, path, reverse_lazy

from shequn.accounts.services import lift_sign_in_lockout
from shequn.core.ratelimit import ViewFunction, rate_limit_post

RESET_LINK_DAYS = max(1, settings.PASSWORD_RESET_TIMEOUT // (24 * 3600))


class ResetConfirmView(PasswordResetConfirmView):
    """Django's "choose a new password" page; the new password also ends a lockout."""

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        lift_sign_in_lockout(user=form.user)
        return response


@dataclass(frozen=True)
class PasswordResetViews:
    request: ViewFunction
    done: ViewFunction
    confirm: ViewFunction
    complete: ViewFunction


def password_reset_views(prefix: str, form_class: type[PasswordResetForm]) -> PasswordResetViews:
    """The four views of one look; `prefix` names its templates and its URL namespace."""
    return PasswordResetViews(
        request=rate_limit_post("password_reset")(
            PasswordResetView.as_view(
                template_name=f"{prefix}/password_reset.html",
                form_class=form_class,
                email_template_name=f"{prefix}/email/password_reset.txt",
                html_email_template_name=f"{prefix}/email/password_reset.html",
                subject_template_name=f"{prefix}/email/password_reset_subject.txt",
                extra_email_context={"days": RESET_LINK_DAYS},
                success_url=reverse_lazy(f"{prefix}:password_reset_done"),
            )
        ),
        done=PasswordResetDoneView.as_view(
            template_name=f"{prefix}/password_reset_done.html",
            extra_context={"days": RESET_LINK_DAYS},
        ),
        confirm=ResetConfirmView.as_view(
            template_name=f"{prefix}/password_reset_confirm.html",
            success_url=reverse_lazy(f"{prefix}:password_reset_complete"),
        ),
        complete=PasswordResetCompleteView.as_view(
            template_name=f"{prefix}/password_reset_complete.html"
        ),
    )


def password_reset_urls(views: PasswordResetViews) -> list[URLPattern]:
    """The URL patterns of `views`, under password-reset/."""
    return [
        path("password-reset/", views.request, name="password_reset"),
        path("password-reset/sent/", views.done, name="password_reset_done"),
        path("password-reset/<uidb64>/<token>/", views.confirm, name="password_reset_confirm"),
        path("password-reset/complete/", views.complete, name="password_reset_complete"),
    ]
