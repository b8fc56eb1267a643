"""Member pages (/c/…): a community's public page, sign-up, join, leave, my communities.

Plain forms and redirects, so everything works in WeChat's in-app browser without JavaScript.
Operators who open these pages are visitors like anybody else.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.views import LoginView, LogoutView, redirect_to_login
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shequn.core.forms import add_service_errors
from shequn.members.models import Member, MembershipStatus
from shequn.members.selectors import get_member_for_account, get_visitor_membership
from shequn.members.services import end_membership, join_open_community
from shequn.organizations.models import Community, CommunityAccess
from shequn.organizations.selectors import get_public_community
from shequn.portal.forms import MemberLoginForm, SignupForm
from shequn.portal.selectors import JoinState, get_join_state, list_own_memberships
from shequn.portal.services import sign_up_and_join


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
    member = get_member_for_account(request.user)
    membership = get_visitor_membership(member=member, community=community)
    state = get_join_state(
        community=community, user=request.user, member=member, membership=membership
    )
    states = {s.name: s.value for s in JoinState}
    context = {"community": community, "member": member, "state": state, "states": states}
    return render(request, "portal/community.html", context)


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest, org_slug: str, slug: str) -> HttpResponse:
    community = get_public_community(org_slug=org_slug, slug=slug)
    if community.access != CommunityAccess.OPEN:
        messages.info(request, _("This community admits members by invitation or approval only."))
        return redirect(_page_url(community))
    if get_member_for_account(request.user) is not None:
        messages.info(request, _("You already have a member account: join from this page."))
        return redirect(_page_url(community))
    form = SignupForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            membership = sign_up_and_join(community=community, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            assert membership.member.user is not None
            login(request, membership.member.user)
            return redirect("portal:welcome", org_slug=org_slug, slug=slug)
    return render(request, "portal/signup.html", {"community": community, "form": form})


@require_GET
def welcome(request: HttpRequest, org_slug: str, slug: str) -> HttpResponse:
    community = get_public_community(org_slug=org_slug, slug=slug)
    member = get_member_for_account(request.user)
    membership = get_visitor_membership(member=member, community=community)
    if membership is None or membership.status != MembershipStatus.ACTIVE:
        return redirect(_page_url(community))
    return render(request, "portal/welcome.html", {"community": community, "member": member})


@require_POST
def join(request: HttpRequest, org_slug: str, slug: str) -> HttpResponse:
    community = get_public_community(org_slug=org_slug, slug=slug)
    member = _signed_in_member(request, community)
    if isinstance(member, HttpResponse):
        return member
    try:
        join_open_community(member=member, community=community)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Welcome to %(name)s!") % {"name": community.name})
    return redirect(_page_url(community))


@require_POST
def leave(request: HttpRequest, org_slug: str, slug: str) -> HttpResponse:
    community = get_public_community(org_slug=org_slug, slug=slug)
    member = _signed_in_member(request, community)
    if isinstance(member, HttpResponse):
        return member
    membership = get_visitor_membership(member=member, community=community)
    if membership is None or membership.status != MembershipStatus.ACTIVE:
        messages.error(request, _("You are not a member of this community."))
    else:
        end_membership(actor=None, membership=membership, status=MembershipStatus.LEFT)
        messages.success(request, _("You have left %(name)s.") % {"name": community.name})
    next_url = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        return redirect(next_url)
    return redirect("portal:my")


@require_GET
def my_communities(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), login_url=reverse("portal:login"))
    member = get_member_for_account(request.user)
    memberships = list(list_own_memberships(member=member)) if member else []
    context = {
        "member": member,
        "current": [m for m in memberships if m.status == MembershipStatus.ACTIVE],
        "past": [m for m in memberships if m.status != MembershipStatus.ACTIVE],
    }
    return render(request, "portal/my.html", context)


member_login = LoginView.as_view(
    template_name="portal/login.html",
    authentication_form=MemberLoginForm,
    next_page=reverse_lazy("portal:my"),
)
member_logout = LogoutView.as_view(next_page=reverse_lazy("portal:login"))
