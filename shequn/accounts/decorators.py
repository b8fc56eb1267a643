"""View decorators for the operator console."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Concatenate, ParamSpec, TypeVar, cast

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponseBase
from django_htmx.middleware import HtmxDetails

from shequn.accounts.selectors import OperatorScope, get_operator_scope

P = ParamSpec("P")
R = TypeVar("R", bound=HttpResponseBase)


class OperatorRequest(HttpRequest):
    """The request an `operator_required` view receives (for type checking)."""

    operator_scope: OperatorScope
    htmx: HtmxDetails


def operator_required(
    view: Callable[Concatenate[OperatorRequest, P], R],
) -> Callable[Concatenate[HttpRequest, P], HttpResponseBase]:
    """Only signed-in operators get through; the view finds their scope on `request.operator_scope`.

    Anonymous visitors are sent to the sign-in page (settings.LOGIN_URL, with `next`); any
    other signed-in account (a member, an outsider) gets PermissionDenied, i.e. a 403 page.
    Annotate the view's request as `OperatorRequest` (a plain `HttpRequest` works too).
    """

    @wraps(view)
    def wrapper(request: HttpRequest, /, *args: P.args, **kwargs: P.kwargs) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        operator_request = cast(OperatorRequest, request)
        operator_request.operator_scope = get_operator_scope(request.user)
        return view(operator_request, *args, **kwargs)

    return wrapper


__all__ = ["OperatorRequest", "operator_required"]
