"""Console filters of the activity feed and timeline (GET forms)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from shequn.activity.models import ActivityKind
from shequn.activity.selectors import CURSOR_MAX_LENGTH, Cursor, InvalidCursorError, decode_cursor
from shequn.members.models import Channel

MEMBER_SEARCH_MAX_LENGTH = 100


class ActivityFilterForm(forms.Form):
    """Kind, channel and (on a community's feed) member name; `cursor` is the page, from the
    "Older" link, never shown (changing a filter starts again from the newest)."""

    member = forms.CharField(
        label=_("Member"),
        required=False,
        max_length=MEMBER_SEARCH_MAX_LENGTH,
        widget=forms.SearchInput(attrs={"placeholder": _("Name, phone or email")}),
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All kinds")), *ActivityKind.choices]
    )
    channel = forms.ChoiceField(
        label=_("Channel"), required=False, choices=[("", _("All channels")), *Channel.choices]
    )
    cursor = forms.CharField(required=False, max_length=CURSOR_MAX_LENGTH, widget=forms.HiddenInput)

    def __init__(self, *args: Any, with_member: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not with_member:
            del self.fields["member"]

    def clean_cursor(self) -> Cursor | None:
        value: str = self.cleaned_data["cursor"]
        if not value:
            return None
        try:
            return decode_cursor(value)
        except InvalidCursorError as exc:
            raise forms.ValidationError(str(exc), code="invalid_cursor") from exc

    def filters(self) -> dict[str, Any]:
        """`kind`, `channel`, `cursor` and `member_q` of the valid fields (others left out)."""
        self.is_valid()  # keeps the valid fields in cleaned_data
        data = self.cleaned_data
        return {
            "kind": data.get("kind") or None,
            "channel": data.get("channel") or None,
            "cursor": data.get("cursor"),
            "member_q": (data.get("member") or "").strip(),
        }
