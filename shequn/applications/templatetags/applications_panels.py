"""The applications panels of the console's community and member pages, and the waiting time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from shequn.accounts.selectors import OperatorScope
from shequn.applications import selectors
from shequn.members.models import Member
from shequn.organizations.models import Community, CommunityAccess

register = template.Library()

PANEL_SIZE = 5


@register.filter
def waiting_time(submitted_at: datetime | None, now: datetime | None = None) -> str:
    """How long an application has waited: "3 天" / "5 小时" / "just now"."""
    if submitted_at is None:
        return ""
    seconds = max(0, ((now or timezone.now()) - submitted_at).total_seconds())
    days = int(seconds // 86400)
    if days >= 1:
        return ngettext("%(count)d day", "%(count)d days", days) % {"count": days}
    hours = int(seconds // 3600)
    if hours >= 1:
        return ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours}
    return _("less than an hour")


def _actor(context: template.Context) -> OperatorScope:
    scope: OperatorScope = context["request"].operator_scope
    return scope


@register.inclusion_tag("applications/partials/community_panel_body.html", takes_context=True)
def community_applications_panel(context: template.Context, community: Community) -> dict[str, Any]:
    """The form's state, the open applications and links to the form and the queue; nothing
    (and no query) for an open community, which takes no applications."""
    if community.access == CommunityAccess.OPEN:
        return {"hidden": True}
    actor = _actor(context)
    form = selectors.get_application_form(community)
    return {
        "community": community,
        "app_form": form,
        "applies": selectors.application_required(community),
        "pending": selectors.count_pending(community),
        "cap": selectors.PENDING_COUNT_CAP,
        "can_edit": selectors.can_edit_form(actor, community),
        "can_review": selectors.can_review(actor, community),
    }


@register.inclusion_tag("applications/partials/member_panel_body.html", takes_context=True)
def member_applications_panel(context: template.Context, member: Member) -> dict[str, Any]:
    """The member's latest applications in the operator's scope."""
    actor = _actor(context)
    applications = list(selectors.list_member_applications(actor=actor, member=member)[:PANEL_SIZE])
    return {"applications": applications, "member": member, "now": timezone.now()}
