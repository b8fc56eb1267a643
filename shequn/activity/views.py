"""Console pages of the activity stream: a community's feed and a member's timeline."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from shequn.accounts.decorators import OperatorRequest, operator_required
from shequn.activity.forms import ActivityFilterForm
from shequn.activity.selectors import ActivityPage, list_activities
from shequn.members.selectors import get_member_for_user, list_members
from shequn.organizations.selectors import get_community_for_user

FEED_PAGE_SIZE = 30
# A name search on the feed narrows to the first this many members who match.
MEMBER_MATCHES = 20


def _render(
    request: OperatorRequest,
    template: str,
    form: ActivityFilterForm,
    page: ActivityPage,
    **extra: Any,
) -> HttpResponse:
    filtered = any(form.cleaned_data.get(name) for name in ("kind", "channel", "member"))
    context = {
        "empty": _("No activities match these filters.") if filtered else _("No activities yet."),
        "form": form,
        "page": page,
        "time_zone": request.operator_scope.organization.time_zone,
        "paged": bool(form.cleaned_data.get("cursor")),
        **extra,
    }
    return render(request, "activity/partials/feed.html" if request.htmx else template, context)


@operator_required
def community_feed(request: OperatorRequest, community_id: int) -> HttpResponse:
    """A community's activities, newest first, filtered by kind, channel and member name."""
    actor = request.operator_scope
    community = get_community_for_user(actor=actor, community_id=community_id)
    form = ActivityFilterForm(request.GET)
    filters = form.filters()
    members = None
    if member_q := filters.pop("member_q"):
        matches = list_members(actor=actor, q=member_q, community_id=community.pk)
        members = list(matches.select_related(None).only("pk")[:MEMBER_MATCHES])
    page = list_activities(
        actor=actor, community=community, members=members, limit=FEED_PAGE_SIZE, **filters
    )
    return _render(
        request, "activity/community_feed.html", form, page, community=community, show_member=True
    )


@operator_required
def member_timeline(request: OperatorRequest, member_id: int) -> HttpResponse:
    """A member's activities in the operator's scope, newest first."""
    actor = request.operator_scope
    member = get_member_for_user(actor=actor, member_id=member_id)
    form = ActivityFilterForm(request.GET, with_member=False)
    filters = form.filters()
    filters.pop("member_q")
    page = list_activities(actor=actor, member=member, limit=FEED_PAGE_SIZE, **filters)
    return _render(
        request, "activity/member_timeline.html", form, page, member=member, show_community=True
    )
