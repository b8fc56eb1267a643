"""The profiles panel of the member page: talk notes, the add form, the start of the timeline."""

from __future__ import annotations

from typing import Any

from django import template

from shequn.accounts.selectors import OperatorScope
from shequn.members.models import Member
from shequn.profiles.panels import member_panel_context

register = template.Library()


@register.inclusion_tag("profiles/partials/member_panel_body.html", takes_context=True)
def profiles_member_panel(context: template.Context, member: Member) -> dict[str, Any]:
    actor: OperatorScope = context["request"].operator_scope
    return member_panel_context(actor, member) | {
        "request": context["request"],
        "csrf_token": context.get("csrf_token"),
    }
