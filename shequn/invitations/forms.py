"""Forms of the invitations console: the list's filters, a new link, a link's settings."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from shequn.accounts.selectors import OperatorScope
from shequn.core.schemas import MAX_ID, SEARCH_MAX_LENGTH
from shequn.invitations.models import PURPOSE_MAX_LENGTH
from shequn.invitations.selectors import LinkStatus
from shequn.invitations.services import MAX_USES_LIMIT
from shequn.organizations.models import CommunityStatus
from shequn.organizations.selectors import list_communities

MAX_COMMUNITY_CHOICES = 500
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"]


def community_choices(actor: OperatorScope) -> list[tuple[str, str]]:
    communities = list_communities(actor=actor, status=CommunityStatus.ACTIVE)
    return [(str(c.pk), c.name) for c in communities[:MAX_COMMUNITY_CHOICES]]


class LinkFilterForm(forms.Form):
    community = forms.IntegerField(
        label=_("Community"), required=False, min_value=1, max_value=MAX_ID, widget=forms.Select
    )
    inviter = forms.IntegerField(
        label=_("Inviting member (id)"), required=False, min_value=1, max_value=MAX_ID
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("Any status")), *LinkStatus.choices], required=False
    )

    def __init__(self, *args: Any, actor: OperatorScope, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["community"].widget.choices = [
            ("", _("All communities")),
            *community_choices(actor),
        ]

    def filters(self) -> dict[str, Any]:
        """Keyword arguments of `list_invite_links`; invalid values are left out."""
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        return {
            k: v
            for k, v in {
                "community_id": data.get("community"),
                "inviter_member_id": data.get("inviter"),
                "status": data.get("status") or None,
            }.items()
            if v is not None
        }


class LinkSettingsForm(forms.Form):
    purpose = forms.CharField(
        label=_("Purpose"),
        max_length=PURPOSE_MAX_LENGTH,
        required=False,
        help_text=_('What the link is for, e.g. "poster campaign" or "salon 3 May".'),
    )
    expires_at = forms.DateTimeField(
        label=_("Expires at"),
        required=False,
        input_formats=DATETIME_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Empty: never expires."),
    )
    max_uses = forms.IntegerField(
        label=_("Maximum uses"),
        required=False,
        min_value=1,
        max_value=MAX_USES_LIMIT,
        help_text=_("Empty: no limit."),
    )


class InviterKind:
    ME = "me"
    MEMBER = "member"
    PURPOSE = "purpose"


class LinkCreateForm(LinkSettingsForm):
    community = forms.TypedChoiceField(label=_("Community"), coerce=int)
    inviter_kind = forms.ChoiceField(
        label=_("Who invites"),
        choices=[
            (InviterKind.ME, _("Me (my own link)")),
            (InviterKind.MEMBER, _("A member")),
            (InviterKind.PURPOSE, _("Nobody in particular (a purpose link)")),
        ],
        initial=InviterKind.ME,
        widget=forms.RadioSelect,
    )
    member = forms.CharField(
        label=_("Member (id or name)"),
        max_length=SEARCH_MAX_LENGTH,
        required=False,
        help_text=_("Only for a member's link: their id, or a name that matches one member."),
    )
    field_order = ["community", "inviter_kind", "member", "purpose", "expires_at", "max_uses"]

    def __init__(self, *args: Any, actor: OperatorScope, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["community"].choices = community_choices(actor)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("inviter_kind") == InviterKind.MEMBER and not data.get("member", "").strip():
            self.add_error("member", _("Name the member who hands this link out."))
        return data
