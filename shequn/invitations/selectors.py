"""Reads of invite links (docs/invitations.md)."""

from __future__ import annotations

from django.http import HttpRequest

from shequn.invitations.models import InviteLink
from shequn.organizations.models import Community

# The session remembers the link a visitor came through, per community: {"<community id>": id}.
SESSION_KEY = "shequn_invites"


def remember_invite_link(request: HttpRequest, link: InviteLink) -> None:
    """Keep `link` in the visitor's session, so the join it leads to is attributed to it."""
    links = dict(request.session.get(SESSION_KEY, {}))
    links[str(link.community_id)] = link.pk
    request.session[SESSION_KEY] = links


def get_session_invite_link(request: HttpRequest, community: Community) -> InviteLink | None:
    """The invite link the visitor came to `community` through (this session), or None."""
    link_id = request.session.get(SESSION_KEY, {}).get(str(community.pk))
    if not isinstance(link_id, int):
        return None
    return InviteLink.objects.filter(pk=link_id, community_id=community.pk).first()
