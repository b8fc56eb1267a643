"""The invitations panels of the console's community and member pages."""

from __future__ import annotations

from typing import Any

from django import template

from shequn.accounts.selectors import OperatorScope
from shequn.invitations.selectors import get_invited_by, get_link_status, list_invite_links
from shequn.members.models import Member
from shequn.organizations.models import Community

register = template.Library()

PANEL_SIZE = 5


def _actor(context: template.Context) -> OperatorScope:
    scope: OperatorScope = context["request"].operator_scope
    return scope


def _links(actor: OperatorScope, **filters: Any) -> list[Any]:
    links = list(list_invite_links(actor=actor, **filters)[:PANEL_SIZE])
    for link in links:
        link.status = get_link_status(link)  # type: ignore[attr-defined]
    return links


@register.inclusion_tag("invitations/partials/community_panel_body.html", takes_context=True)
def community_invite_panel(context: template.Context, community: Community) -> dict[str, Any]:
    """The latest links into `community` and a "new link" button (one query)."""
    actor = _actor(context)
    return {
        "community": community,
        "links": _links(actor, community_id=community.pk),
        "can_create": actor.can_manage_members_of(community.pk, community.chapter_id),
    }


@register.inclusion_tag("invitations/partials/member_panel_body.html", takes_context=True)
def member_invite_panel(context: template.Context, member: Member) -> dict[str, Any]:
    """The member's links as an inviter and who brought them in (two queries)."""
    actor = _actor(context)
    return {
        "member": member,
        "links": _links(actor, inviter_member_id=member.pk),
        "invited_by": get_invited_by(actor=actor, member=member),
    }
