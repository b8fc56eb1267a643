"""The member page's layers panel: the member's layer in each community the viewer sees."""

from __future__ import annotations

from typing import Any

from django import template

from shequn.layers.selectors import list_member_layers
from shequn.members.models import Member

register = template.Library()


@register.inclusion_tag("layers/partials/member_layers.html", takes_context=True)
def member_layers_panel(context: dict[str, Any], member: Member) -> dict[str, Any]:
    actor = context["request"].operator_scope
    return {"rows": list_member_layers(actor=actor, member=member)}
