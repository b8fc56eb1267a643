"""View decorators for the operator console."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Concatenate, ParamSpec, TypeVar, cast

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponseBase
from django_htmx.http import HttpResponseClientRedirect
from django_htmx.middleware import HtmxDetails

from shequn.accounts.selectors import OperatorScope, get_operator_scope

P = ParamSpec("P")
R = TypeVar("R", bound=HttpResponseBase)


class OperatorRequest(HttpRequest):
    """The request an `operator_required` view receives (for type checking)."""

    operator_scope: OperatorScope
    htmx: HtmxDetails


def sign_in_again(request: HttpRequest) -> HttpResponseBase:
    """Send an anonymous visitor to the sign-in page, back to where they were afterwards.

    A plain request is redirected (302, `next` = this URL). An htmx request (a row's action,
    a filter) must not get the sign-in page swapped into the page: it gets `HX-Redirect`, so
    the browser opens the sign-in page, with `next` = the page the operator was on
    (`HX-Current-URL`, same origin only) rather than the URL of the inline action.
    """
    htmx = cast(HtmxDetails, getattr(request, "htmx", None))
    if not htmx:
        return redirect_to_login(request.get_full_path())
    current = htmx.current_url_abs_path
    if current is None:
        current = request.get_full_path() if request.method == "GET" else "/"
    login = redirect_to_login(current)
    return HttpResponseClientRedirect(login["Location"])


def operator_required(
    view: Callable[Concatenate[OperatorRequest, P], R],
) -> Callable[Concatenate[HttpRequest, P], HttpResponseBase]:
    """Only signed-in operators get through; the view finds their scope on `request.operator_scope`.

    Anonymous visitors (e.g. whose session expired) are sent to the sign-in page
    (settings.LOGIN_URL, with `next`; see `sign_in_again` for htmx requests); any other
    signed-in account (a member, an outsider) gets PermissionDenied, i.e. a 403 page.
    Annotate the view's request as `OperatorRequest` (a plain `HttpRequest` works too).
    """

    @wraps(view)
    def wrapper(request: HttpRequest, /, *args: P.args, **kwargs: P.kwargs) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return sign_in_again(request)
        operator_request = cast(OperatorRequest, request)
        operator_request.operator_scope = get_operator_scope(request.user)
        return view(operator_request, *args, **kwargs)

    return wrapper


__all__ = ["OperatorRequest", "operator_required", "sign_in_again"]
