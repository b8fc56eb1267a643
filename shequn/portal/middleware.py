"""Member pages of a community that moved or closed, for every /c/<org>/<slug>/… view.

The portal views fetch their community with `get_public_community`, which raises
`CommunityMoved` (an old slug, or another letter case) or `CommunityClosed` (archived,
dissolved, or past an end that closes it). Both are 404s wherever nothing handles them; this
middleware turns them into a permanent redirect to the current address and a styled "this
community has closed" page (status 410 Gone) in the member look.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponsePermanentRedirect,
)
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse

from shequn.members.models import MembershipStatus
from shequn.members.selectors import get_member_for_account, get_visitor_membership
from shequn.organizations.selectors import CommunityClosed, CommunityMoved

# Views whose request was an attempt to join: the closed page says joining was refused.
JOINING_VIEWS = {"signup", "join"}


class PermanentRedirectKeepingMethod(HttpResponsePermanentRedirect):
    status_code = 308  # a POST to an old address stays a POST


class MovedOrClosedCommunityMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, CommunityMoved):
            return _moved(request, exception)
        if isinstance(exception, CommunityClosed):
            return _closed(request, exception)
        return None


def _moved(request: HttpRequest, exception: CommunityMoved) -> HttpResponse | None:
    match = request.resolver_match
    if match is None or "slug" not in match.kwargs:
        return None
    community = exception.community
    kwargs = {**match.kwargs, "org_slug": community.organization.slug, "slug": community.slug}
    try:
        url = reverse(match.view_name, kwargs=kwargs)
    except NoReverseMatch:
        return None
    if request.META.get("QUERY_STRING"):
        url = f"{url}?{request.META['QUERY_STRING']}"
    if request.method in ("GET", "HEAD"):
        return HttpResponsePermanentRedirect(url)
    return PermanentRedirectKeepingMethod(url)


def _closed(request: HttpRequest, exception: CommunityClosed) -> HttpResponse:
    community = exception.community
    member = get_member_for_account(request.user)
    membership = get_visitor_membership(member=member, community=community)
    match = request.resolver_match
    context = {
        "community": community,
        "was_member": membership is not None and membership.status == MembershipStatus.ACTIVE,
        "refused_join": match is not None and match.url_name in JOINING_VIEWS,
    }
    return render(request, "portal/closed.html", context, status=410)
