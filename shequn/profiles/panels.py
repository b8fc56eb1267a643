"""What the profiles panel of the member page shows (the template tag and the htmx answers of
the add form render the same partial): the latest talk notes, the add form and the first page
of the member's timeline."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.urls import reverse
from django.utils.http import urlencode

from shequn.profiles import selectors
from shequn.profiles.forms import TalkNoteForm

if TYPE_CHECKING:
    from shequn.accounts.selectors import OperatorScope
    from shequn.members.models import Member

PANEL_NOTES = 5
PANEL_TIMELINE = 10


def note_context(actor: OperatorScope) -> dict[str, Any]:
    """What every note partial reads besides the note: the zone, today, the actor."""
    return {
        "scope": actor,
        "time_zone": selectors.organization_zone(actor.organization).key,
        "today": selectors.organization_today(actor.organization),
    }


def member_panel_context(
    actor: OperatorScope, member: Member, form: TalkNoteForm | None = None
) -> dict[str, Any]:
    """Four queries: the notes (one more than shown, to know of more) and the three timeline
    sources."""
    rows = list(selectors.list_member_notes(member=member)[: PANEL_NOTES + 1])
    timeline = selectors.get_member_timeline(actor=actor, member=member, limit=PANEL_TIMELINE)
    zone = selectors.organization_zone(actor.organization)
    more_url = ""
    if timeline.next_cursor:
        query = urlencode({"before": timeline.next_cursor})
        more_url = f"{reverse('profiles:timeline', args=[member.pk])}?{query}"
    return note_context(actor) | {
        "member": member,
        "notes": rows[:PANEL_NOTES],
        "more_notes": len(rows) > PANEL_NOTES,
        "form": form or TalkNoteForm(zone=zone),
        "form_open": form is not None and bool(form.errors),
        "timeline": timeline,
        "timeline_more_url": more_url,
        "next": reverse("members:detail", args=[member.pk]),
    }
