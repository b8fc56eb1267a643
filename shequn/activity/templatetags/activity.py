"""The activity panels of the community and member detail pages (a few latest activities)."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils.translation import gettext as _

from shequn.accounts.selectors import OperatorScope
from shequn.activity.selectors import list_activities
from shequn.members.models import Member
from shequn.organizations.models import Community

register = template.Library()

PANEL_SIZE = 5


def _actor(context: template.Context) -> OperatorScope:
    scope: OperatorScope = context["request"].operator_scope
    return scope


@register.inclusion_tag("activity/partials/panel.html", takes_context=True)
def community_activity_panel(context: template.Context, community: Community) -> dict[str, Any]:
    """The latest activities of `community` (one query) and a link to its feed."""
    actor = _actor(context)
    page = list_activities(actor=actor, community=community, limit=PANEL_SIZE)
    return {
        "activities": page.items,
        "time_zone": actor.organization.time_zone,
        "show_member": True,
        "more_url": reverse("activity:community_feed", args=[community.pk]),
        "more_label": _("All activity"),
        "empty": _("No activity in this community yet."),
    }


@register.inclusion_tag("activity/partials/panel.html", takes_context=True)
def member_activity_panel(context: template.Context, member: Member) -> dict[str, Any]:
    """The latest activities of `member` in the operator's scope (one query) and a link to
    the member's timeline."""
    actor = _actor(context)
    page = list_activities(actor=actor, member=member, limit=PANEL_SIZE)
    return {
        "activities": page.items,
        "time_zone": actor.organization.time_zone,
        "show_community": True,
        "more_url": reverse("activity:member_timeline", args=[member.pk]),
        "more_label": _("Full timeline"),
        "empty": _("No activity of this member yet."),
    }
