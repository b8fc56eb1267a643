"""The invite link a visitor came through (kept in the session by the invitations pages)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError

from shequn.invitations.selectors import SESSION_KEY, get_session_invite_link
from shequn.invitations.services import check_invite_link_usable

if TYPE_CHECKING:
    from django.http import HttpRequest

    from shequn.invitations.models import InviteLink
    from shequn.organizations.models import Community


def usable_session_invite_link(request: HttpRequest, community: Community) -> InviteLink | None:
    """This session's invite link to `community` while it still brings people in, else None:
    a sign-up is not refused because the link ran out, it is only not attributed."""
    link = get_session_invite_link(request, community)
    if link is None:
        return None
    try:
        check_invite_link_usable(link)
    except ValidationError:
        return None
    return link


def forget_invite_link(request: HttpRequest, community: Community) -> None:
    """Drop the session's link to `community` (it ran out: the next join goes without it)."""
    links = dict(request.session.get(SESSION_KEY, {}))
    if links.pop(str(community.pk), None) is not None:
        request.session[SESSION_KEY] = links
