"""Member pages (/c/…): a community's public page, sign-up, join, leave, my communities.

Plain forms and redirects, so everything works in WeChat's in-app browser without JavaScript.
Operators who open these pages are visitors like anybody else.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import authenticate, login
from django.contrib.auth.views import (
    LoginView,
    LogoutView,
    redirect_to_login,
)
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shequn.accounts.password_reset import password_reset_views
from shequn.core.forms import add_service_errors
from shequn.core.ratelimit import RateLimitedError, rate_limit_post, rate_limited_page
from shequn.invitations.selectors import get_session_invite_link
from shequn.members.email_verification import (
    VerificationLinkError,
    get_pending_verification,
    get_verification_for_token,
)
from shequn.members.models import (
    EmailVerification,
    EmailVerificationPurpose,
    Member,
    MembershipStatus,
)
from shequn.members.selectors import get_member_for_account, get_visitor_membership
from shequn.organizations.models import Community
from shequn.organizations.selectors import get_public_community
from shequn.portal.entry import EntryState, get_entry, reverse_or
from shequn.portal.forms import (
    MemberLoginForm,
    MemberPasswordResetForm,
    SignupForm,
    VerifyEmailForm,
)
from shequn.portal.invites import forget_invite_link, usable_session_invite_link
from shequn.portal.ratelimit import over_account_limit
from shequn.portal.selectors import list_own_memberships, list_own_pending
from shequn.portal.services import (
    VerifiedEmail,
    join_community,
    resend_verification,
    sign_up_and_join,
    verify_email_and_join,
)

# A fresh sign-up is signed in without a password check: say which backend vouches for it.
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _page_url(community: Community) -> str:
    return reverse("portal:community", args=[community.organization.slug, community.slug])


def _signed_in_member(request: HttpRequest, community: Community) -> Member | HttpResponse:
    """The visiting member, or a redirect (to sign in, or back with a message) when none fits."""
    if not request.user.is_authenticated:
        return redirect_to_login(_page_url(community), login_url=reverse("portal:login"))
    member = get_member_for_account(request.user)
    if member is None:
        messages.error(request, _("This account has no member profile. Sign up to join."))
        return redirect(_page_url(community))
    if member.organization_id != community.organization_id:
        messages.error(
            request,
            _("Your account is a member of %(org)s, not of %(other)s.")
            % {"org": member.organization.name, "other": community.organization.name},
        )
        return redirect(_page_url(community))
    return member


@require_GET
def community_page(request: HttpRequest, org_slug: str, slug: str) -> HttpResponse:
    community = get_public_community(org_slug=org_slug, slug=slug)
    entry = get_entry(request=request, community=community)
    states = {s.name: s.value for s in EntryState}
    context = {
        "community": community,
        "member": entry.member,
        "entry": entry,
        "state": entry.state,
        "states": states,
    }
    return render(request, "portal/community.html", context)


def _site_url(request: HttpRequest) -> str:
    """The start of links in mails: this request's scheme and (allowed) host."""
    return request.build_absolute_uri("/")


@require_http_methods(["GET", "POST"])
@rate_limit_post("signup")
def signup(request: HttpRequest, org_slug: str, slug: str) -> HttpResponse:
    community = get_public_community(org_slug=org_slug, slug=slug)
    if get_member_for_account(request.user) is not None:
        messages.info(request, _("You already have a member account: join from this page."))
        return redirect(_page_url(community))
    if get_pending_verification(request.user) is not None:
        return redirect("portal:signup_pending")
    form = SignupForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            result = sign_up_and_join(
                community=community,
                site_url=_site_url(request),
                invite_link=usable_session_invite_link(request, community),
                **form.cleaned_data,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            login(request, result.sign_up.user, backend=MODEL_BACKEND)
            if result.waitlist_entry is not None:
                return _waitlisted(request, community)
            if result.sign_up.member is None:
                return redirect("portal:signup_pending")
            if result.membership is None:  # private or paid: the account first, then the gate
                messages.success(request, _("Your account is ready: continue from this page."))
                return redirect(_page_url(community))
            return redirect("portal:welcome", org_slug=org_slug, slug=slug)
    return render(request, "portal/signup.html", {"community": community, "form": form})


@require_GET
def signup_pending(request: HttpRequest) -> HttpResponse:
    """ "Check your mail": the account waits for its email link before it joins anything."""
    verification = get_pending_verification(request.user)
    if verification is None or verification.purpose != EmailVerificationPurpose.LINK:
        return redirect("portal:my")
    return render(request, "portal/signup_pending.html", {"verification": verification})


@require_POST
@rate_limit_post("verification")
def verification_resend(request: HttpRequest) -> HttpResponse:
    verification = get_pending_verification(request.user)
    if verification is None:
        messages.info(request, _("Your email is already confirmed."))
        return redirect("portal:my")
    resend_verification(verification=verification, site_url=_site_url(request))
    messages.success(
        request, _("We sent the link again to %(email)s.") % {"email": verification.email}
    )
    if verification.purpose == EmailVerificationPurpose.LINK:
        return redirect("portal:signup_pending")
    return redirect("portal:my")


LINK_ERRORS = {
    "expired": gettext_lazy("This link has expired. Sign in and ask for a new one."),
    "used": gettext_lazy("This link has already been used."),
    "invalid": gettext_lazy("This link is not valid. Copy the whole link from the email."),
    "already_linked": gettext_lazy(
        "This member already has a web account. Sign in with it instead."
    ),
}


def _link_error_page(request: HttpRequest, code: str) -> HttpResponse:
    context = {"message": LINK_ERRORS.get(code, LINK_ERRORS["invalid"])}
    return render(request, "portal/verify_invalid.html", context, status=400)


@require_http_methods(["GET", "POST"])
def verify_email(request: HttpRequest, token: str) -> HttpResponse:
    """A verification link: GET shows a confirm button (mail scanners only GET), POST uses it."""
    try:
        verification = get_verification_for_token(token)
    except VerificationLinkError as exc:
        return _link_error_page(request, exc.code)
    user = verification.user
    needs_password = request.user.pk != user.pk
    form = VerifyEmailForm(
        request.POST if request.method == "POST" else None, needs_password=needs_password
    )
    if request.method == "POST" and form.is_valid():
        if needs_password:
            signed_in = authenticate(
                request, username=user.get_username(), password=form.cleaned_data["password"]
            )
            if signed_in is None or signed_in.pk != user.pk:
                form.add_error("password", _("This is not the password of this sign-up."))
                return _verify_page(request, verification, form)
            login(request, signed_in)
        try:
            community = verification.community
            link = usable_session_invite_link(request, community) if community else None
            result = verify_email_and_join(verification=verification, invite_link=link)
        except ValidationError as exc:
            return _link_error_page(request, exc.code or "invalid")
        return _after_verification(request, result, verification)
    return _verify_page(request, verification, form)


def _verify_page(
    request: HttpRequest, verification: EmailVerification, form: VerifyEmailForm
) -> HttpResponse:
    context = {"verification": verification, "form": form}
    return render(request, "portal/verify_email.html", context)


def _after_verification(
    request: HttpRequest, result: VerifiedEmail, verification: EmailVerification
) -> HttpResponse:
    messages.success(request, _("Thank you: your email is confirmed."))
    if result.join_error:
        messages.error(request, result.join_error)
    community = verification.community
    if result.waitlist_entry is not None and community is not None:
        return _waitlisted(request, community)
    if result.membership is not None and community is not None:
        return redirect("portal:welcome", org_slug=community.organization.slug, slug=community.slug)
    return redirect("portal:my")


@require_GET
def welcome(request: HttpRequest, org_slug: str, slug: str) -> HttpResponse:
    community = get_public_community(org_slug=org_slug, slug=slug)
    member = get_member_for_account(request.user)
    membership = get_visitor_membership(member=member, community=community)
    if membership is None or membership.status != MembershipStatus.ACTIVE:
        return redirect(_page_url(community))
    context = {
        "community": community,
        "member": member,
        "pending": get_pending_verification(request.user),
    }
    return render(request, "portal/welcome.html", context)


def _waitlisted(request: HttpRequest, community: Community) -> HttpResponse:
    """The community was full: the member waits for a seat (the waitlist page, once it exists)."""
    messages.info(
        request,
        _("%(name)s is full: you are on its waitlist and will be offered the next free seat.")
        % {"name": community.name},
    )
    kwargs = {"org_slug": community.organization.slug, "slug": community.slug}
    return redirect(reverse_or("joining_portal:waitlist", _page_url(community), **kwargs))


@require_POST
@rate_limit_post("join")
def join(request: HttpRequest, org_slug: str, slug: str) -> HttpResponse:
    community = get_public_community(org_slug=org_slug, slug=slug)
    member = _signed_in_member(request, community)
    if isinstance(member, HttpResponse):
        return member
    wait = over_account_limit("join", member)
    if wait is not None:
        return rate_limited_page(request, RateLimitedError(wait))
    invite_link = get_session_invite_link(request, community)
    try:
        admission = join_community(member=member, community=community, invite_link=invite_link)
    except ValidationError as exc:
        if exc.code and exc.code.startswith("invite"):
            forget_invite_link(request, community)  # the next tap joins without it
        for message in exc.messages:
            messages.error(request, message)
        return redirect(_page_url(community))
    if admission.waitlist_entry is not None:
        return _waitlisted(request, community)
    messages.success(request, _("Welcome to %(name)s!") % {"name": community.name})
    return redirect(_page_url(community))


@require_GET
def my_communities(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), login_url=reverse("portal:login"))
    member = get_member_for_account(request.user)
    memberships = list(list_own_memberships(member=member)) if member else []
    context = {
        "member": member,
        "pending": get_pending_verification(request.user),
        "current": [m for m in memberships if m.status == MembershipStatus.ACTIVE],
        "past": [m for m in memberships if m.status != MembershipStatus.ACTIVE],
        "under_way": list_own_pending(member=member) if member else None,
    }
    return render(request, "portal/my.html", context)


member_login = LoginView.as_view(
    template_name="portal/login.html",
    authentication_form=MemberLoginForm,
    next_page=reverse_lazy("portal:my"),
)
member_logout = LogoutView.as_view(next_page=reverse_lazy("portal:login"))

# Password reset by email (Django's views, member look): shequn.accounts.password_reset.
password_resets = password_reset_views("portal", MemberPasswordResetForm)
