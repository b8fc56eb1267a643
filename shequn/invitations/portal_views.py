"""Member pages of invitations: the landing address /c/i/<code>/ and a member's own link.

Expected refusals (a link switched off, expired or used up, a closed community, an unknown
code) are styled pages in the visitor's language, never an error page.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from shequn.invitations.qr import landing_url, qr_svg_inline
from shequn.invitations.selectors import (
    count_member_invitees,
    find_invite_link,
    remember_invite_link,
)
from shequn.invitations.services import check_invite_link_usable, get_or_create_member_link
from shequn.members.selectors import get_member_for_account
from shequn.organizations.models import CommunityStatus
from shequn.organizations.selectors import get_public_community


def _refused(
    request: HttpRequest, *, status: int, title: str, text: str, **extra: object
) -> HttpResponse:
    context = {"title": title, "text": text, **extra}
    return render(request, "invitations/landing_refused.html", context, status=status)


@require_GET
def landing(request: HttpRequest, code: str) -> HttpResponse:
    """Remember the link in the session and go on to the community's join page."""
    link = find_invite_link(code)
    if link is None:
        return _refused(
            request,
            status=404,
            title=_("Unknown invite link"),
            text=_("This invite link does not exist. Check the address or ask for a new link."),
        )
    community = link.community
    if community.status != CommunityStatus.ACTIVE or community.is_past_closing_end(timezone.now()):
        return _refused(
            request,
            status=410,
            title=_("This community has closed"),
            text=_("It takes no new members, so this invite link no longer works."),
            community=community,
        )
    try:
        check_invite_link_usable(link)
    except ValidationError as exc:
        return _refused(
            request,
            status=410,
            title=_("This invite link no longer works"),
            text=" ".join(exc.messages),
            community=community,
        )
    remember_invite_link(request, link)
    return redirect("portal:community", org_slug=community.organization.slug, slug=community.slug)


@require_GET
def my_link(request: HttpRequest, org_slug: str, slug: str) -> HttpResponse:
    """An active member's own invite link: its QR code, address and whom it brought."""
    community = get_public_community(org_slug=org_slug, slug=slug)
    page = reverse("portal:community", args=[org_slug, slug])
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), login_url=reverse("portal:login"))
    member = get_member_for_account(request.user)
    try:
        if member is None:
            raise ValidationError("", code="not_member")
        link = get_or_create_member_link(member, community)
    except ValidationError:
        messages.info(request, _("Join this community first to invite your friends to it."))
        return redirect(page)
    url = landing_url(request, link)
    context = {
        "community": community,
        "link": link,
        "url": url,
        "qr": qr_svg_inline(url),
        "counts": count_member_invitees(member=member, community=community),
    }
    return render(request, "invitations/my_link.html", context)
