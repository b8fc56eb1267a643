"""Console pages: sign-in and out, operator accounts (org admins only) and one's API tokens."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.views import (
    LoginView,
    LogoutView,
)
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from shequn.accounts.decorators import OperatorRequest, operator_required
from shequn.accounts.forms import (
    ApiTokenForm,
    OperatorCreateForm,
    OperatorEditForm,
    OperatorLoginForm,
    OperatorPasswordForm,
    OperatorPasswordResetForm,
)
from shequn.accounts.password_reset import password_reset_views
from shequn.accounts.selectors import (
    OperatorScope,
    get_api_token_for_user,
    get_operator_for_user,
    list_api_tokens,
    list_operators,
)
from shequn.accounts.services import (
    create_operator,
    issue_api_token,
    revoke_api_token,
    set_operator_password,
    update_operator,
)
from shequn.core.forms import add_service_errors

login_view = LoginView.as_view(
    template_name="accounts/login.html",
    authentication_form=OperatorLoginForm,
    next_page="organizations:dashboard",
)
logout_view = LogoutView.as_view()

# Password reset by email (Django's views, console look): shequn.accounts.password_reset.
password_resets = password_reset_views("accounts", OperatorPasswordResetForm)


def _admin_scope(request: OperatorRequest) -> OperatorScope:
    """Operator pages are for organisation admins only: 403 for everybody else."""
    actor = request.operator_scope
    actor.require(actor.can_manage_organization())
    return actor


@operator_required
def operator_list(request: OperatorRequest) -> HttpResponse:
    actor = _admin_scope(request)
    operators = list_operators(actor=actor)
    return render(request, "accounts/operator_list.html", {"operators": operators})


@operator_required
def operator_create(request: OperatorRequest) -> HttpResponse:
    actor = _admin_scope(request)
    form = OperatorCreateForm(request.POST or None, actor=actor)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            operator = create_operator(
                actor=actor,
                organization=actor.organization,
                username=data["username"],
                email=data["email"],
                password=data["password"],
                role=data["role"],
                chapters=data["chapters"],
                communities=data["communities"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Operator account %(name)s created.") % {"name": operator})
            return redirect("accounts:operator_list")
    return render(request, "accounts/operator_create.html", {"form": form})


@operator_required
def operator_edit(request: OperatorRequest, operator_id: int) -> HttpResponse:
    actor = _admin_scope(request)
    operator = get_operator_for_user(actor=actor, operator_id=operator_id)
    initial = {
        "role": operator.role,
        "chapters": list(operator.chapters.all()),
        "communities": list(operator.communities.all()),
        "is_active": operator.user.is_active,
    }
    form = OperatorEditForm(request.POST or None, initial=initial, actor=actor, operator=operator)
    if request.method == "POST" and form.is_valid():
        try:
            update_operator(actor=actor, operator=operator, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Operator account %(name)s saved.") % {"name": operator})
            return redirect("accounts:operator_list")
    return render(request, "accounts/operator_edit.html", {"form": form, "operator": operator})


@operator_required
def operator_password(request: OperatorRequest, operator_id: int) -> HttpResponse:
    actor = _admin_scope(request)
    operator = get_operator_for_user(actor=actor, operator_id=operator_id)
    form = OperatorPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            set_operator_password(
                actor=actor, operator=operator, password=form.cleaned_data["password"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("New password set for %(name)s.") % {"name": operator})
            return redirect("accounts:operator_list")
    return render(request, "accounts/operator_password.html", {"form": form, "operator": operator})


# The raw value of a token just issued waits here for its one display (Post/Redirect/Get).
JUST_ISSUED_SESSION_KEY = "accounts:new_api_token"


def _render_token_list(request: OperatorRequest, form: ApiTokenForm) -> HttpResponse:
    tokens = list_api_tokens(actor=request.operator_scope)
    return render(request, "accounts/token_list.html", {"tokens": tokens, "form": form})


@operator_required
def token_list(request: OperatorRequest) -> HttpResponse:
    return _render_token_list(request, ApiTokenForm())


@operator_required
@require_POST
def token_create(request: OperatorRequest) -> HttpResponseBase:
    """Issue a token, then redirect to the page that shows its raw value once (PRG: reloading
    that page never issues a second token). Only the token's hash is stored."""
    form = ApiTokenForm(request.POST)
    if not form.is_valid():
        return _render_token_list(request, form)
    actor = request.operator_scope
    token, raw = issue_api_token(
        actor=actor, operator=actor.operator, name=form.cleaned_data["name"]
    )
    request.session[JUST_ISSUED_SESSION_KEY] = {"id": token.pk, "raw": raw}
    return redirect("accounts:token_created")


@operator_required
@require_GET
@never_cache
def token_created(request: OperatorRequest) -> HttpResponseBase:
    """The raw value of the token just issued, this once: it leaves the session as it is shown."""
    pending = request.session.pop(JUST_ISSUED_SESSION_KEY, None)
    if not isinstance(pending, dict):
        messages.info(
            request,
            _(
                "A new token is shown only once, right after it is created. Create another one "
                "if you did not copy it, and revoke the one you lost."
            ),
        )
        return redirect("accounts:token_list")
    token = get_api_token_for_user(actor=request.operator_scope, token_id=pending["id"])
    return render(
        request, "accounts/token_created.html", {"token": token, "raw_token": pending["raw"]}
    )


@operator_required
@require_POST
def token_revoke(request: OperatorRequest, token_id: int) -> HttpResponse:
    actor = request.operator_scope
    token = get_api_token_for_user(actor=actor, token_id=token_id)
    revoke_api_token(actor=actor, token=token)
    if request.htmx:
        return render(request, "accounts/partials/token_row.html", {"token": token})
    messages.success(request, _("API token %(prefix)s revoked.") % {"prefix": token})
    return redirect("accounts:token_list")
