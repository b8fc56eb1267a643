"""The member page's ladder panel: stage, since when, pin, the latest changes."""

from __future__ import annotations

from typing import Any

from django import template

from shequn.ladder.forms import PinForm
from shequn.ladder.selectors import get_member_stage, list_member_transitions
from shequn.ladder.services import can_pin
from shequn.members.models import Member

register = template.Library()

RECENT_CHANGES = 5


@register.inclusion_tag("ladder/partials/member_stage.html", takes_context=True)
def member_stage_panel(context: dict[str, Any], member: Member) -> dict[str, Any]:
    request = context["request"]
    actor = request.operator_scope
    row = get_member_stage(member=member)
    return {
        "member": member,
        "row": row,
        "changes": list(list_member_transitions(member=member)[:RECENT_CHANGES]),
        "can_pin": can_pin(actor),
        "form": PinForm(initial={"stage": row.stage if row else 0}),
        "csrf_token": context.get("csrf_token"),
    }
