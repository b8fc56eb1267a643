"""The tags panel of the member console page."""

from __future__ import annotations

from typing import Any

from django import template

from shequn.accounts.selectors import OperatorScope
from shequn.members.models import Member
from shequn.tags import selectors

register = template.Library()


def member_panel_context(actor: OperatorScope, member: Member) -> dict[str, Any]:
    """The member's tags (two queries: theirs, and the tags set by hand one may add)."""
    member_tags = selectors.list_member_tags(member=member)
    have = {row.tag_id for row in member_tags}
    addable = [t for t in selectors.list_manual_tags(actor=actor) if t.pk not in have]
    return {"member": member, "member_tags": member_tags, "addable": addable, "error": ""}


@register.inclusion_tag("tags/partials/member_panel_body.html", takes_context=True)
def tags_member_panel(context: template.Context, member: Member) -> dict[str, Any]:
    actor: OperatorScope = context["request"].operator_scope
    return member_panel_context(actor, member) | {"request": context["request"]}
