"""Console forms for members and their identities. The services validate the rest."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from shequn.accounts.selectors import OperatorScope
from shequn.members.models import DISPLAY_NAME_MAX_LENGTH, Channel, Member
from shequn.members.phones import PhoneField
from shequn.members.selectors import MEMBER_ORDERINGS
from shequn.organizations.models import Chapter, Community
from shequn.organizations.selectors import list_chapters, list_communities

SEARCH_MAX_LENGTH = 100
AVATAR_ACCEPT = "image/jpeg,image/png,image/webp,image/gif"


class MemberFilterForm(forms.Form):
    """Search, filters and sort order of the member list (GET)."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=SEARCH_MAX_LENGTH,
        widget=forms.SearchInput(attrs={"placeholder": _("Name, phone or email")}),
    )
    chapter = forms.ModelChoiceField(
        label=_("Chapter"),
        queryset=Chapter.objects.none(),
        required=False,
        empty_label=_("All chapters"),
    )
    community = forms.ModelChoiceField(
        label=_("Community"),
        queryset=Community.objects.none(),
        required=False,
        empty_label=_("All communities"),
    )
    channel = forms.ChoiceField(
        label=_("Channel"), required=False, choices=[("", _("All channels")), *Channel.choices]
    )
    order = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[
            ("name", _("Name (A–Z)")),
            ("-name", _("Name (Z–A)")),
            ("-created", _("Newest first")),
            ("created", _("Oldest first")),
        ],
    )

    def __init__(self, *args: Any, actor: OperatorScope, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        chapter, community = self.fields["chapter"], self.fields["community"]
        assert isinstance(chapter, forms.ModelChoiceField)
        assert isinstance(community, forms.ModelChoiceField)
        chapter.queryset = list_chapters(actor=actor)
        community.queryset = list_communities(actor=actor).select_related(None)

    def filters(self) -> dict[str, Any]:
        """Keyword arguments for `list_members`; invalid values are left out."""
        data: dict[str, Any] = {}
        if self.is_bound:
            self.is_valid()  # keeps the valid fields in cleaned_data
            data = self.cleaned_data
        order = data.get("order") or "name"
        return {
            "q": data.get("q") or "",
            "chapter_id": data["chapter"].pk if data.get("chapter") else None,
            "community_id": data["community"].pk if data.get("community") else None,
            "channel": data.get("channel") or "",
            "order": order if order in MEMBER_ORDERINGS else "name",
        }


class MemberForm(forms.Form):
    """A member's profile. The home chapter is offered only where the actor may set it."""

    display_name = forms.CharField(label=_("Display name"), max_length=DISPLAY_NAME_MAX_LENGTH)
    phone = PhoneField(label=_("Phone"), required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    chapter = forms.ModelChoiceField(
        label=_("Home chapter"),
        queryset=Chapter.objects.none(),
        required=False,
        empty_label=_("No chapter"),
    )
    avatar = forms.FileField(
        label=_("Avatar"),
        required=False,
        help_text=_("A JPEG, PNG, WebP or GIF picture."),
        widget=forms.ClearableFileInput(attrs={"accept": AVATAR_ACCEPT}),
    )
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea({"rows": 4}))

    def __init__(
        self, *args: Any, actor: OperatorScope, member: Member | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        current_chapter_id = member.chapter_id if member is not None else None
        may_set_chapter = actor.is_org_admin or (
            actor.is_chapter_head
            and (current_chapter_id is None or current_chapter_id in actor.chapter_ids)
        )
        if not may_set_chapter:
            del self.fields["chapter"]
            return
        chapter = self.fields["chapter"]
        assert isinstance(chapter, forms.ModelChoiceField)
        chapter.queryset = list_chapters(actor=actor)
        if not actor.is_org_admin:
            chapter.required = True
            chapter.empty_label = None


class IdentityForm(forms.Form):
    """Link an account on a channel (WeCom, WeChat, Telegram, …) to a member."""

    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    external_id = forms.CharField(
        label=_("Account id"),
        max_length=128,
        help_text=_("The member's id on that channel, e.g. a WeCom external user id."),
    )
    display_name = forms.CharField(
        label=_("Name on the channel"), max_length=DISPLAY_NAME_MAX_LENGTH, required=False
    )
