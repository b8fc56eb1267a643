"""The payments panels of the console's community and member pages."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from shequn.accounts.selectors import OperatorScope
from shequn.members.models import Member
from shequn.organizations.models import Community, CommunityAccess
from shequn.payments import selectors
from shequn.payments.models import MembershipTerm

register = template.Library()

PANEL_SIZE = 5


def _actor(context: template.Context) -> OperatorScope:
    scope: OperatorScope = context["request"].operator_scope
    return scope


@register.inclusion_tag("payments/partials/community_panel_body.html", takes_context=True)
def community_payments_panel(context: template.Context, community: Community) -> dict[str, Any]:
    """A paid community's price, early bird, latest orders and paid total."""
    actor = _actor(context)
    if community.access != CommunityAccess.PAID:
        return {"show": False}
    orders = selectors.list_orders(actor=actor, community_id=community.pk)
    price = selectors.get_community_price(community)
    return {
        "show": True,
        "community": community,
        "price": price,
        "quote": selectors.quote_price(price, community=community, now=timezone.now())
        if price is not None
        else None,
        "orders": list(orders[:PANEL_SIZE]),
        "paid_total": price.paid_total_fen if price is not None else 0,
        "can_manage": selectors.can_manage_payments(actor, community),
    }


@register.inclusion_tag("payments/partials/member_panel_body.html", takes_context=True)
def member_payments_panel(context: template.Context, member: Member) -> dict[str, Any]:
    """A member's orders and paid terms in the operator's scope."""
    actor = _actor(context)
    orders = list(selectors.list_orders(actor=actor, member_id=member.pk)[:PANEL_SIZE])
    terms = list(
        MembershipTerm.objects.filter(actor.community_filter("community__"), member_id=member.pk)
        .select_related("community")
        .order_by("-starts_at")[:PANEL_SIZE]
    )
    return {"orders": orders, "terms": terms, "member": member}
