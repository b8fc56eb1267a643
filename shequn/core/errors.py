"""Styled error pages (400, 403, 404, CSRF failure, 500) in the visitor's language.

Under /c/ they have the member pages' look, elsewhere the console's (templates/errors/layout.html,
shared with the 429 page). The 500 page needs nothing that can fail: no database, no context
processors, no request context; only the active language and, when it can be found, the style
sheet. API errors are problem documents (shequn.core.problems), not these pages.
"""

from __future__ import annotations

import logging

from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseForbidden,
    HttpResponseNotFound,
    HttpResponseServerError,
)
from django.shortcuts import render
from django.template import loader
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.csrf import requires_csrf_token

logger = logging.getLogger(__name__)

MEMBER_PATH_PREFIX = "/c/"


def error_base_template(request: HttpRequest) -> str:
    """The look of an error page for `request`: member pages under /c/, the console elsewhere."""
    return (
        "member/base.html" if request.path.startswith(MEMBER_PATH_PREFIX) else "console/base.html"
    )


def _render(request: HttpRequest, template_name: str, status: int) -> HttpResponse:
    context = {"base_template": error_base_template(request), "status_code": status}
    return render(request, template_name, context, status=status)


@requires_csrf_token
def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    try:
        return _render(request, "400.html", 400)
    except Exception:  # e.g. a disallowed Host: the plain answer rather than a second error
        logger.exception("The 400 page could not be rendered")
        return HttpResponseBadRequest(b"Bad Request", content_type="text/plain")


@requires_csrf_token
def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    try:
        return _render(request, "403.html", 403)
    except Exception:
        logger.exception("The 403 page could not be rendered")
        return HttpResponseForbidden(b"Forbidden", content_type="text/plain")


@requires_csrf_token
def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    try:
        return _render(request, "404.html", 404)
    except Exception:
        logger.exception("The 404 page could not be rendered")
        return HttpResponseNotFound(b"Not Found", content_type="text/plain")


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: an expired page or a form sent from another site."""
    try:
        return _render(request, "403_csrf.html", 403)
    except Exception:
        logger.exception("The CSRF failure page could not be rendered")
        return HttpResponseForbidden(b"Forbidden (CSRF)", content_type="text/plain")


def _style_sheet(request: HttpRequest) -> str:
    name = "css/member.css" if request.path.startswith(MEMBER_PATH_PREFIX) else "css/console.css"
    try:
        return static(name)
    except Exception:  # no manifest yet (collectstatic not run): the page stays unstyled
        return ""


def server_error(request: HttpRequest) -> HttpResponse:
    """500: a self-contained template rendered without a request context."""
    member_look = request.path.startswith(MEMBER_PATH_PREFIX)
    try:
        home_url = reverse("portal:my" if member_look else "organizations:dashboard")
    except Exception:
        home_url = "/"
    context = {"css_url": _style_sheet(request), "member_look": member_look, "home_url": home_url}
    try:
        html = loader.get_template("500.html").render(context)
    except Exception:
        logger.exception("The 500 page could not be rendered")
        html = "<!DOCTYPE html><title>500</title><h1>Server Error (500)</h1>"
    return HttpResponseServerError(html)
