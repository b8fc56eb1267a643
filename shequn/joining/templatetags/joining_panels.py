"""The joining panels of the community and member console pages."""

from __future__ import annotations

from typing import Any

from django import template

from shequn.accounts.selectors import OperatorScope
from shequn.joining import selectors
from shequn.joining.rules import count_free_seats, get_join_policy
from shequn.joining.services import can_blacklist
from shequn.members.models import Member, Membership, MembershipStatus
from shequn.organizations.models import Community

register = template.Library()


def _actor(context: template.Context) -> OperatorScope:
    scope: OperatorScope = context["request"].operator_scope
    return scope


@register.inclusion_tag("joining/partials/community_panel_body.html", takes_context=True)
def joining_community_panel(context: template.Context, community: Community) -> dict[str, Any]:
    actor = _actor(context)
    return {
        "community": community,
        "policy": get_join_policy(community),
        "seats_left": count_free_seats(community=community),
        "waiting": selectors.count_waiting(community),
        "pending_leaves": selectors.count_pending_leaves(community),
        "cap": selectors.COUNT_CAP,
        "can_edit": actor.can_manage_chapter(community.chapter_id),
    }


@register.inclusion_tag("joining/partials/member_panel_body.html", takes_context=True)
def joining_member_panel(context: template.Context, member: Member) -> dict[str, Any]:
    actor = _actor(context)
    ended = list(
        Membership.objects.filter(member_id=member.pk)
        .filter(actor.community_filter("community__"))
        .exclude(status=MembershipStatus.ACTIVE)
        .select_related("community")
        .order_by("-left_at")[:10]
    )
    return {
        "member": member,
        "entry": selectors.get_member_blacklist_entry(member),
        "can_blacklist": can_blacklist(actor, member),
        "ended": ended,
        "can_allow": [m for m in ended if actor.can_manage_chapter(m.community.chapter_id)],
    }
