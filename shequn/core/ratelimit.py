"""Rate limits per client address through Django's cache, and the 429 answers.

A fixed window per limit: `SHEQUN_RATE_LIMITS["signup"] = "10/3600"` lets one address post the
sign-up form 10 times an hour. Counters live in the default cache (Redis with REDIS_URL, the
process's memory otherwise). Sign-in lockout is django-axes'; `lockout_response` gives its page.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from shequn.core.problems import problem_response

if TYPE_CHECKING:
    from ninja import NinjaAPI

MEMBER_PATH_PREFIX = "/c/"


@dataclass(frozen=True)
class Rate:
    limit: int
    seconds: int


class RateLimitedError(Exception):
    """Too many requests from one address; `retry_after` seconds until the window ends."""

    def __init__(self, retry_after: int, detail: str = "") -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after
        self.detail = detail  # what the 429 says (default: the per-address text)


def get_rate(name: str) -> Rate:
    """The limit called `name` in SHEQUN_RATE_LIMITS ("count/seconds")."""
    count, _sep, seconds = settings.SHEQUN_RATE_LIMITS[name].partition("/")
    return Rate(limit=int(count), seconds=int(seconds or 60))


def _address(request: HttpRequest) -> str | None:
    """The client's address: SHEQUN_CLIENT_IP_HEADER behind a proxy, else REMOTE_ADDR.

    Of a list (X-Forwarded-For: "spoofed, client"), the last entry counts: the one the trusted
    proxy appended. Whatever a client wrote before it is not evidence of anything.
    """
    candidates = [str(request.META.get("REMOTE_ADDR", ""))]
    header = settings.SHEQUN_CLIENT_IP_HEADER
    if header:
        candidates.insert(0, str(request.META.get(header, "")).split(",")[-1].strip())
    for candidate in candidates:
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            continue
    return None


def client_ip(request: HttpRequest) -> str:
    """The address rate limits count by ("unknown" for a request without one)."""
    return _address(request) or "unknown"


def axes_client_ip(request: HttpRequest) -> str | None:
    """AXES_CLIENT_IP_CALLABLE: the same address as the rate limits, None when there is none."""
    return _address(request)


def _window(rate: Rate) -> tuple[str, int]:
    """The current window's id and the seconds left in it."""
    now = time.time()
    index = int(now // rate.seconds)
    left = max(1, math.ceil((index + 1) * rate.seconds - now))
    return str(index), left


def _key(name: str, request: HttpRequest, window: str) -> str:
    who = hashlib.sha256(client_ip(request).encode()).hexdigest()[:32]
    return f"shequn:rate:{name}:{who}:{window}"


def retry_after(name: str, request: HttpRequest) -> int | None:
    """Seconds to wait when this address has used up the limit `name`; None while it has not."""
    rate = get_rate(name)
    window, left = _window(rate)
    count = cache.get(_key(name, request, window), 0)
    return left if count >= rate.limit else None


def record_hit(name: str, request: HttpRequest) -> int:
    """Count one request of this address against the limit `name`; the count so far."""
    rate = get_rate(name)
    window, left = _window(rate)
    key = _key(name, request, window)
    if cache.add(key, 1, timeout=left + 1):
        return 1
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=left + 1)
        return 1


def check_and_record(name: str, request: HttpRequest) -> None:
    """Count this request; RateLimitedError when it is over the limit.

    Counted first and compared after (one atomic increment): requests sent at the same moment
    cannot all read a count below the limit and all pass.
    """
    rate = get_rate(name)
    if record_hit(name, request) > rate.limit:
        raise RateLimitedError(_window(rate)[1])


def rate_limit_account(request: HttpRequest, name: str, *, user: Any = None) -> None:
    """Count one request of the signed-in account (`user`: the API token's operator user)
    against the limit `name`; RateLimitedError when it is over. Anonymous: not counted (the
    per-address limit `rate_limit_post` covers them)."""
    user = user or request.user
    if not user.is_authenticated:
        return
    rate = get_rate(name)
    window, left = _window(rate)
    who = hashlib.sha256(f"user:{user.pk}".encode()).hexdigest()[:32]
    key = f"shequn:rate:{name}-user:{who}:{window}"
    if cache.add(key, 1, timeout=left + 1):
        count = 1
    else:
        try:
            count = int(cache.incr(key))
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=left + 1)
            count = 1
    if count > rate.limit:
        raise RateLimitedError(left, detail=_("You have sent this form too often."))


def _wait_text(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return ngettext(
        "Please try again in %(count)d minute.", "Please try again in %(count)d minutes.", minutes
    ) % {"count": minutes}


def _page(
    request: HttpRequest, *, message: str, retry_after: int, reset_url: str = ""
) -> HttpResponse:
    member_look = request.path.startswith(MEMBER_PATH_PREFIX)
    context = {
        "base_template": "member/base.html" if member_look else "console/base.html",
        "message": _("%(problem)s %(wait)s")
        % {"problem": message, "wait": _wait_text(retry_after)},
        "reset_url": reset_url,
    }
    response = render(request, "429.html", context, status=429)
    response["Retry-After"] = str(retry_after)
    return response


def rate_limited_page(request: HttpRequest, exc: RateLimitedError) -> HttpResponse:
    """The styled 429 page of a public form, in the visitor's language."""
    return _page(
        request,
        message=exc.detail or _("You have sent this form too often from this network."),
        retry_after=exc.retry_after,
    )


def rate_limited_problem(request: HttpRequest, exc: RateLimitedError) -> HttpResponse:
    """The API's 429: a problem document with Retry-After."""
    detail = _("%(problem)s %(wait)s") % {
        "problem": exc.detail
        or _("Too many requests with an invalid API token from this address."),
        "wait": _wait_text(exc.retry_after),
    }
    return problem_response(
        status=429,
        title=_("Too many requests"),
        detail=detail,
        headers={"Retry-After": str(exc.retry_after)},
    )


def install_rate_limit_handler(api: NinjaAPI) -> None:
    """Answer RateLimitedError in `api` with the 429 problem."""
    handler: Callable[[HttpRequest, Any], HttpResponse] = rate_limited_problem
    api.add_exception_handler(RateLimitedError, handler)


ViewFunction = Callable[..., HttpResponseBase]


def rate_limit_post(name: str) -> Callable[[ViewFunction], ViewFunction]:
    """Decorate a view: each POST counts against the limit `name`; over it, the 429 page."""

    def decorator(view: ViewFunction) -> ViewFunction:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if request.method == "POST":
                try:
                    check_and_record(name, request)
                except RateLimitedError as exc:
                    return rate_limited_page(request, exc)
            response: HttpResponseBase = view(request, *args, **kwargs)
            return response

        return wrapped

    return decorator


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """django-axes' answer to a locked-out sign-in: the styled 429 page, no session."""
    seconds = int(settings.AXES_COOLOFF_TIME.total_seconds())
    member_look = request.path.startswith(MEMBER_PATH_PREFIX)
    reset_url = reverse("portal:password_reset" if member_look else "accounts:password_reset")
    return _page(
        request,
        message=_("Too many failed sign-in attempts for this account from this network."),
        retry_after=seconds,
        reset_url=reset_url,
    )
