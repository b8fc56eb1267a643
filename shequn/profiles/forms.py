"""Forms of the profiles console pages: a talk note (一对一沟通)."""

from __future__ import annotations

import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shequn.profiles.models import NOTE_MAX_LENGTH, TalkChannel, TalkNote

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


def _to_minute(value: datetime.datetime, zone: ZoneInfo) -> datetime.datetime:
    return value.astimezone(zone).replace(second=0, microsecond=0)


class TalkNoteForm(forms.Form):
    """Channel, time (in the organisation's zone), what was said, an optional follow-up day."""

    channel = forms.ChoiceField(label=_("How"), choices=TalkChannel.choices)
    talked_at = forms.DateTimeField(
        label=_("When"),
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
    )
    body = forms.CharField(
        label=_("What you talked about"),
        max_length=NOTE_MAX_LENGTH,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": NOTE_MAX_LENGTH}),
    )
    follow_up_on = forms.DateField(
        label=_("Follow up on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Optional: the day to get back to this member."),
    )

    def __init__(
        self, *args: Any, zone: ZoneInfo, note: TalkNote | None = None, **kwargs: Any
    ) -> None:
        self.zone = zone
        self.note = note
        if note is not None:
            kwargs.setdefault(
                "initial",
                {
                    "channel": note.channel,
                    "talked_at": note.talked_at.astimezone(zone).replace(tzinfo=None),
                    "body": note.body,
                    "follow_up_on": note.follow_up_on,
                },
            )
        else:
            now = timezone.now().astimezone(zone).replace(second=0, microsecond=0, tzinfo=None)
            kwargs.setdefault("initial", {"channel": TalkChannel.CHAT, "talked_at": now})
        super().__init__(*args, **kwargs)
        today = timezone.now().astimezone(zone).date()
        self.fields["follow_up_on"].widget.attrs["min"] = today.isoformat()

    def full_clean(self) -> None:
        # A time typed without a zone is one in the organisation's zone.
        with timezone.override(self.zone):
            super().full_clean()

    def note_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        talked_at: datetime.datetime = data["talked_at"]
        if self.note is not None and talked_at == _to_minute(self.note.talked_at, self.zone):
            talked_at = self.note.talked_at  # unchanged: keep its seconds
        return {
            "channel": data["channel"],
            "talked_at": talked_at,
            "body": data["body"],
            "follow_up_on": data.get("follow_up_on"),
        }
