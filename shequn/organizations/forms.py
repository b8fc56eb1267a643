"""Console forms for chapters and communities: input shapes only; the services decide."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from django import forms
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from shequn.members.models import DISPLAY_NAME_MAX_LENGTH, MembershipRole, MembershipStatus
from shequn.members.phones import PhoneField
from shequn.members.selectors import MEMBERSHIP_ORDERINGS
from shequn.organizations.models import (
    KIND_LIFESPANS,
    MAX_CAPACITY,
    NAME_MAX_LENGTH,
    SLUG_MAX_LENGTH,
    Chapter,
    Community,
    CommunityAccess,
    CommunityKind,
    CommunityStatus,
)
from shequn.organizations.selectors import COMMUNITY_ORDERINGS

DATETIME_INPUT_FORMAT = "%Y-%m-%dT%H:%M"
PAGE_SIZE = 25


def describe_lifespan(lifespan: datetime.timedelta | None) -> str:
    """'48 hours', '7 days' or 'no planned end', for a kind's proposed lifespan."""
    if lifespan is None:
        return str(_("no planned end"))
    hours = int(lifespan.total_seconds() // 3600)
    if hours % 24 == 0:
        days = hours // 24
        return ngettext("%(count)d day", "%(count)d days", days) % {"count": days}
    return ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours}


def kind_lifespans() -> list[tuple[str, str]]:
    """Each kind's label with the lifespan it proposes, for help texts."""
    return [
        (str(label), describe_lifespan(KIND_LIFESPANS.get(value)))
        for value, label in CommunityKind.choices
    ]


def _as_utc(value: datetime.datetime | None) -> datetime.datetime | None:
    """The same instant in UTC, as the database returns it (so unchanged values compare equal)."""
    return value.astimezone(datetime.UTC) if value is not None else None


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format=DATETIME_INPUT_FORMAT)


if TYPE_CHECKING:
    _ChapterChoiceBase = forms.ModelChoiceField[Chapter]
else:  # not subscriptable at run time
    _ChapterChoiceBase = forms.ModelChoiceField


class ChapterChoiceField(_ChapterChoiceBase):
    def label_from_instance(self, obj: Chapter) -> str:
        return f"{obj.name} ({obj.city})" if obj.city else obj.name


class CommunityForm(forms.Form):
    """Create or edit a community. `chapters`: the chapters the actor may manage."""

    chapter = ChapterChoiceField(
        label=_("Chapter"), queryset=Chapter.objects.none(), required=False
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=CommunityKind.choices)
    access = forms.ChoiceField(
        label=_("Access"), choices=CommunityAccess.choices, initial=CommunityAccess.PRIVATE
    )
    name = forms.CharField(label=_("Name"), max_length=NAME_MAX_LENGTH)
    slug = forms.SlugField(
        label=_("Slug"),
        max_length=SLUG_MAX_LENGTH,
        required=False,
        help_text=_(
            "Letters, digits and hyphens; used in the address of the public page. "
            "Leave blank to make one from the name in pinyin. After a change, the old "
            "address keeps leading here."
        ),
    )
    intro = forms.CharField(
        label=_("Introduction"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    avatar = forms.FileField(
        label=_("Avatar"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*"}),
        help_text=_("JPEG, PNG, WebP or GIF."),
    )
    cover = forms.FileField(
        label=_("Cover image"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*"}),
        help_text=_("JPEG, PNG, WebP or GIF."),
    )
    rules = forms.CharField(
        label=_("Group rules"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    capacity = forms.IntegerField(
        label=_("Capacity"),
        required=False,
        min_value=1,
        max_value=MAX_CAPACITY,
        help_text=_("The most members it can hold; leave blank for the default (500)."),
    )
    starts_at = forms.DateTimeField(
        label=_("Starts at"),
        required=False,
        widget=DateTimeLocalInput(),
        help_text=_("Leave blank to start now."),
    )
    ends_at = forms.DateTimeField(
        label=_("Ends at"),
        required=False,
        widget=DateTimeLocalInput(),
    )

    def __init__(
        self,
        *args: Any,
        chapters: QuerySet[Chapter],
        chapter_required: bool,
        editing: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["chapter"]
        assert isinstance(field, ChapterChoiceField)
        field.queryset = chapters
        field.required = chapter_required
        field.empty_label = None if chapter_required else str(_("Organisation-wide (no chapter)"))
        self.fields["kind"].help_text = "; ".join(
            f"{label}: {lifespan}" for label, lifespan in kind_lifespans()
        )
        if editing:
            self.fields["starts_at"].required = True
            self.fields["starts_at"].help_text = ""
            self.fields["ends_at"].help_text = _("Leave blank for no planned end.")
        else:
            self.fields["ends_at"].help_text = _(
                "Leave blank to use the lifespan the kind proposes."
            )

    def clean_starts_at(self) -> datetime.datetime | None:
        return _as_utc(self.cleaned_data.get("starts_at"))

    def clean_ends_at(self) -> datetime.datetime | None:
        return _as_utc(self.cleaned_data.get("ends_at"))

    @classmethod
    def initial_for(cls, community: Community) -> dict[str, Any]:
        return {
            "chapter": community.chapter_id,
            "kind": community.kind,
            "access": community.access,
            "name": community.name,
            "slug": community.slug,
            "intro": community.intro,
            "avatar": community.avatar,
            "cover": community.cover,
            "rules": community.rules,
            "capacity": community.capacity,
            "starts_at": community.starts_at,
            "ends_at": community.ends_at,
        }


class ChapterForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=NAME_MAX_LENGTH)
    slug = forms.SlugField(
        label=_("Slug"),
        max_length=SLUG_MAX_LENGTH,
        required=False,
        help_text=_(
            "Letters, digits and hyphens. Leave blank to make one from the name in pinyin."
        ),
    )
    city = forms.CharField(label=_("City or region"), max_length=NAME_MAX_LENGTH, required=False)
    intro = forms.CharField(
        label=_("Introduction"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


def _with_any(choices: Iterable[tuple[str, Any]], label: Any) -> list[tuple[str, Any]]:
    return [("", label), *choices]


COMMUNITY_SORTS = [
    ("name", _("Name (A–Z)")),
    ("-name", _("Name (Z–A)")),
    ("-created", _("Newest first")),
    ("created", _("Oldest first")),
    ("-members", _("Most members")),
    ("members", _("Fewest members")),
    ("-starts", _("Latest start")),
    ("starts", _("Earliest start")),
]
assert {value for value, _label in COMMUNITY_SORTS} == set(COMMUNITY_ORDERINGS)


class CommunityFilterForm(forms.Form):
    """The search and filters of the community list (all optional)."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=_with_any(CommunityKind.choices, _("All kinds"))
    )
    access = forms.ChoiceField(
        label=_("Access"),
        required=False,
        choices=_with_any(CommunityAccess.choices, _("All access")),
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=_with_any(CommunityStatus.choices, _("All statuses")),
    )
    chapter = forms.TypedChoiceField(
        label=_("Chapter"), required=False, coerce=int, empty_value=None
    )
    sort = forms.ChoiceField(label=_("Sort"), required=False, choices=COMMUNITY_SORTS)

    def __init__(self, *args: Any, chapters: Sequence[Chapter], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        chapter_field = self.fields["chapter"]
        assert isinstance(chapter_field, forms.TypedChoiceField)
        chapter_field.choices = _with_any(
            ((str(c.pk), c.name) for c in chapters), _("All chapters")
        )

    def filters(self) -> dict[str, Any]:
        """The valid filters as keyword arguments of `list_communities` (invalid ones dropped)."""
        self.is_valid()
        data = self.cleaned_data
        return {
            "q": data.get("q") or "",
            "kind": data.get("kind") or "",
            "access": data.get("access") or "",
            "status": data.get("status") or "",
            "chapter_id": data.get("chapter"),
            "order": data.get("sort") or "name",
        }


MEMBERSHIP_SORTS = [
    ("-joined", _("Joined (newest first)")),
    ("joined", _("Joined (oldest first)")),
    ("name", _("Name (A–Z)")),
    ("-name", _("Name (Z–A)")),
    ("role", _("Role")),
]
assert {value for value, _label in MEMBERSHIP_SORTS} == set(MEMBERSHIP_ORDERINGS)
ALL_STATUSES = "all"


class MembershipFilterForm(forms.Form):
    """Search and filters of a community's member list; status defaults to active."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    role = forms.ChoiceField(
        label=_("Role"), required=False, choices=_with_any(MembershipRole.choices, _("All roles"))
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[*MembershipStatus.choices, (ALL_STATUSES, _("All statuses"))],
    )
    sort = forms.ChoiceField(label=_("Sort"), required=False, choices=MEMBERSHIP_SORTS)

    def filters(self) -> dict[str, Any]:
        """The valid filters as keyword arguments of `list_memberships` (invalid ones dropped)."""
        self.is_valid()
        data = self.cleaned_data
        status = data.get("status") or MembershipStatus.ACTIVE
        return {
            "q": data.get("q") or "",
            "role": data.get("role") or "",
            "status": "" if status == ALL_STATUSES else status,
            "order": data.get("sort") or "-joined",
        }


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=MembershipRole.choices)

    def __init__(self, *args: Any, roles: Sequence[tuple[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        role_field = self.fields["role"]
        assert isinstance(role_field, forms.ChoiceField)
        role_field.choices = list(roles)


class ExistingMemberForm(RoleForm):
    """Add a member the actor can already see (picked from the search results)."""

    member_id = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class NewMemberForm(RoleForm):
    """Create a member and add them to the community in one go."""

    field_order = ["display_name", "phone", "email", "role"]
    display_name = forms.CharField(label=_("Display name"), max_length=DISPLAY_NAME_MAX_LENGTH)
    phone = PhoneField(label=_("Phone"), required=False)
    email = forms.EmailField(label=_("Email"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].initial = MembershipRole.MEMBER  # the narrowest role by default


def suggest_slug_from_name(form: forms.Form, *, target: str) -> None:
    """Let the name field ask for a slug proposal while typing (htmx; shown under the slug)."""
    form.fields["name"].widget.attrs |= {
        "hx-get": reverse("organizations:slug_suggestion"),
        "hx-trigger": "input changed delay:400ms, load",
        "hx-target": "#slug-suggestion",
        "hx-include": "this",
        "hx-vals": json.dumps({"target": target}),
    }


class SlugSuggestionForm(forms.Form):
    """The name a slug is proposed from, for a community or a chapter."""

    target = forms.ChoiceField(choices=[("community", "community"), ("chapter", "chapter")])
    name = forms.CharField(max_length=NAME_MAX_LENGTH, required=False)


class LifespanForm(forms.Form):
    """The kind and start from which a community's end is proposed."""

    kind = forms.ChoiceField(choices=CommunityKind.choices)
    starts_at = forms.DateTimeField(required=False)
