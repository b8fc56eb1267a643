"""Member pages of applications (/c/<org>/<community>/apply/ and …/application/).

Plain forms and redirects (WeChat's browser, no JavaScript). Applying needs a signed-in member
of the organisation; the checks of `check_can_enter` (blacklist, rejoin rule, closed) run
before anything is stored, and a refusal is a page that says why. The form carries a one-time
token: a double tap or a resubmitted form makes one application and shows its status.
"""

from __future__ import annotations

import hashlib
import math
import secrets
import time

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shequn.applications.forms import ApplyForm
from shequn.applications.models import OPEN_APPLICATION_STATUSES, Application, ApplicationStatus
from shequn.applications.selectors import (
    application_required,
    get_application_form,
    get_approved_awaiting,
    get_latest_application,
)
from shequn.applications.services import check_may_apply, submit_application, withdraw_application
from shequn.core.forms import add_service_errors
from shequn.core.ratelimit import RateLimitedError, get_rate, rate_limit_post, rate_limited_page
from shequn.invitations.selectors import get_session_invite_link
from shequn.joining.rules import get_join_policy
from shequn.members.models import Member, MembershipStatus
from shequn.members.selectors import get_member_for_account, get_visitor_membership
from shequn.organizations.models import Community, CommunityAccess
from shequn.organizations.selectors import get_public_community

# Service refusals that are a state of the applicant, shown on a page of their own.
ACCOUNT_RATE = "apply"


def _community_url(community: Community) -> str:
    return reverse("portal:community", args=[community.organization.slug, community.slug])


def _refused(request: HttpRequest, community: Community, message: str) -> HttpResponse:
    context = {"community": community, "message": message}
    return render(request, "applications/portal/refused.html", context)


def _applicant(request: HttpRequest, community: Community) -> Member | HttpResponse:
    """The signed-in member of the community's organisation, or the page to show instead."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), login_url=reverse("portal:login"))
    member = get_member_for_account(request.user)
    if member is None:
        return _refused(
            request,
            community,
            _("This account has no member profile. Sign in with your member account to apply."),
        )
    if member.organization_id != community.organization_id:
        return _refused(
            request,
            community,
            _("Your account is a member of %(org)s, not of %(other)s.")
            % {"org": member.organization.name, "other": community.organization.name},
        )
    return member


def _over_account_limit(member: Member) -> int | None:
    """Count one application POST of this member; seconds to wait when over the limit."""
    rate = get_rate(ACCOUNT_RATE)
    now = time.time()
    window = int(now // rate.seconds)
    left = max(1, math.ceil((window + 1) * rate.seconds - now))
    who = hashlib.sha256(f"member:{member.pk}".encode()).hexdigest()[:32]
    key = f"shequn:rate:{ACCOUNT_RATE}-account:{who}:{window}"
    if cache.add(key, 1, timeout=left + 1):
        return None
    try:
        count = int(cache.incr(key))
    except ValueError:
        cache.add(key, 1, timeout=left + 1)
        return None
    return left if count > rate.limit else None


def _apply_form(request: HttpRequest, community: Community) -> ApplyForm:
    form = get_application_form(community)
    data = request.POST if request.method == "POST" else None
    return ApplyForm(
        data,
        questions=form.questions if form else [],
        identity_statement=form.identity_statement if form else "",
        initial={"token": secrets.token_urlsafe(24)},
    )


@require_http_methods(["GET", "POST"])
@rate_limit_post("apply")
def apply(request: HttpRequest, org_slug: str, slug: str) -> HttpResponse:
    community = get_public_community(org_slug=org_slug, slug=slug)
    if not application_required(community):
        return redirect(_community_url(community))
    member = _applicant(request, community)
    if isinstance(member, HttpResponse):
        return member
    latest = get_latest_application(member=member, community=community)
    waiting = latest is not None and latest.status in OPEN_APPLICATION_STATUSES
    if request.method == "GET" and (
        waiting or get_approved_awaiting(member=member, community=community)
    ):
        return redirect("applications_portal:status", org_slug=org_slug, slug=slug)
    form = _apply_form(request, community)
    if request.method == "POST":
        wait = _over_account_limit(member)
        if wait is not None:
            return rate_limited_page(request, RateLimitedError(wait))
        if form.is_valid():
            try:
                submit_application(
                    member=member,
                    community=community,
                    answers=form.answers(),
                    identity_confirmed=form.cleaned_data.get("identity_confirmed", False),
                    idempotency_key=form.cleaned_data["token"],
                    invite_link=get_session_invite_link(request, community),
                    language=get_language() or "",
                )
            except ValidationError as exc:
                if not hasattr(exc, "error_dict"):
                    return _refused(request, community, " ".join(exc.messages))
                add_service_errors(form, exc)
            else:
                return redirect("applications_portal:status", org_slug=org_slug, slug=slug)
    else:
        try:
            check_may_apply(member, community)
        except ValidationError as exc:
            return _refused(request, community, " ".join(exc.messages))
    context = {"community": community, "form": form, "app_form": get_application_form(community)}
    return render(request, "applications/portal/apply.html", context)


def _url_or_empty(name: str, **kwargs: str) -> str:
    """A member page of another stream, or "" while it does not exist."""
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return ""


def _next_step(member: Member, application: Application) -> dict[str, str]:
    """What an approved application leads to: in, on the waitlist, or paying next."""
    community = application.community
    slugs = {"org_slug": community.organization.slug, "slug": community.slug}
    if application.status != ApplicationStatus.APPROVED:
        return {}
    membership = get_visitor_membership(member=member, community=community)
    if membership is not None and membership.status == MembershipStatus.ACTIVE:
        return {"step": "in", "url": _community_url(community)}
    if community.access == CommunityAccess.PAID:
        return {"step": "pay", "url": _url_or_empty("payments_portal:checkout", **slugs)}
    from shequn.joining.models import OPEN_WAITLIST_STATUSES, WaitlistEntry

    if WaitlistEntry.objects.filter(
        community_id=community.pk, member_id=member.pk, status__in=OPEN_WAITLIST_STATUSES
    ).exists():
        return {"step": "waitlist", "url": _url_or_empty("joining_portal:waitlist", **slugs)}
    return {"step": "join", "url": _community_url(community)}


@require_GET
def status(request: HttpRequest, org_slug: str, slug: str) -> HttpResponse:
    community = get_public_community(org_slug=org_slug, slug=slug)
    member = _applicant(request, community)
    if isinstance(member, HttpResponse):
        return member
    application = get_latest_application(member=member, community=community)
    if application is None:
        if application_required(community):
            return redirect("applications_portal:apply", org_slug=org_slug, slug=slug)
        return redirect(_community_url(community))
    context = {
        "community": community,
        "application": application,
        "next": _next_step(member, application),
        "next_steps": get_join_policy(community).next_steps,
        "is_open": application.status in OPEN_APPLICATION_STATUSES,
        "may_reapply": application.status
        in (ApplicationStatus.REJECTED, ApplicationStatus.WITHDRAWN)
        and application_required(community),
    }
    return render(request, "applications/portal/status.html", context)


@require_POST
def withdraw(request: HttpRequest, org_slug: str, slug: str) -> HttpResponse:
    community = get_public_community(org_slug=org_slug, slug=slug)
    member = _applicant(request, community)
    if isinstance(member, HttpResponse):
        return member
    application = get_latest_application(member=member, community=community)
    if application is None:
        return redirect(_community_url(community))
    try:
        withdraw_application(member=member, application=application)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Your application was withdrawn."))
    return redirect("applications_portal:status", org_slug=org_slug, slug=slug)
