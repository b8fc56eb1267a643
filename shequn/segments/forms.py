"""The segment builder: a form with every filter of `SegmentFilters` (docs/segments.md).

The form's fields offer only what the actor may choose (their tags, chapters, communities);
`clean()` turns them into SegmentFilters through `clean_filters`, which checks them again and
keys its messages by filter ("activity.min_count" → the field `activity_min_count`).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from shequn.accounts.forms import ScopeCheckboxes
from shequn.accounts.selectors import OperatorScope
from shequn.activity.models import ActivityKind
from shequn.ladder.models import Stage
from shequn.layers.models import Layer
from shequn.members.models import Channel, MembershipRole
from shequn.organizations.models import Chapter
from shequn.organizations.selectors import list_chapters, list_communities
from shequn.segments.filters import (
    DEFAULT_WINDOW_DAYS,
    MAX_IDS,
    MIN_COUNT_MAX,
    WINDOW_DAYS_MAX,
    SegmentFilters,
    clean_filters,
)
from shequn.segments.models import SEGMENT_NAME_MAX_LENGTH
from shequn.segments.services import DESCRIPTION_MAX_LENGTH
from shequn.tags.selectors import list_tags

# Form fields of the filters, and the filter (JSON key) each fills.
FILTER_FIELDS = {
    "stages": "stages",
    "layers": "layers",
    "layer_community": "layer_community_id",
    "tags_all": "tags_all",
    "tags_any": "tags_any",
    "tags_none": "tags_none",
    "chapters": "chapter_ids",
    "communities": "community_ids",
    "roles": "roles",
    "joined_from": "joined_from",
    "joined_to": "joined_to",
    "last_active_from": "last_active_from",
    "last_active_to": "last_active_to",
    "channels": "channels",
    "activity_min_count": "activity.min_count",
    "activity_window_days": "activity.window_days",
    "activity_kinds": "activity.kinds",
}
FIELD_OF_FILTER = {key: name for name, key in FILTER_FIELDS.items()}
FIELD_OF_FILTER["activity"] = "activity_min_count"
# The tag pickers list at most this many tags (an organisation has tens, a few hundred at most).
MAX_TAG_CHOICES = 500


class DateInput(forms.DateInput):
    input_type = "date"


def _multiple(label: Any, choices: Any, *, coerce: Any = str) -> forms.TypedMultipleChoiceField:
    return forms.TypedMultipleChoiceField(
        label=label,
        choices=choices,
        coerce=coerce,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class SegmentFilterForm(forms.Form):
    """Every filter; empty fields filter nothing. `filters` after a valid clean()."""

    stages = _multiple(_("Stage on the ladder"), Stage.choices, coerce=int)
    layers = _multiple(_("Activity layer"), Layer.choices)
    layer_community = forms.TypedChoiceField(
        label=_("Layer in community"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=_("Empty: the layer in any community."),
    )
    tags_all = forms.TypedMultipleChoiceField(
        label=_("Has all of these tags"), required=False, coerce=int, widget=ScopeCheckboxes
    )
    tags_any = forms.TypedMultipleChoiceField(
        label=_("Has any of these tags"), required=False, coerce=int, widget=ScopeCheckboxes
    )
    tags_none = forms.TypedMultipleChoiceField(
        label=_("Has none of these tags"), required=False, coerce=int, widget=ScopeCheckboxes
    )
    chapters = forms.TypedMultipleChoiceField(
        label=_("Home chapter"), required=False, coerce=int, widget=ScopeCheckboxes
    )
    communities = forms.TypedMultipleChoiceField(
        label=_("Member of any of these communities"),
        required=False,
        coerce=int,
        widget=ScopeCheckboxes,
    )
    roles = _multiple(_("Role"), MembershipRole.choices)
    joined_from = forms.DateField(label=_("Joined from"), required=False, widget=DateInput)
    joined_to = forms.DateField(label=_("Joined until"), required=False, widget=DateInput)
    last_active_from = forms.DateField(
        label=_("Last active from"), required=False, widget=DateInput
    )
    last_active_to = forms.DateField(label=_("Last active until"), required=False, widget=DateInput)
    activity_min_count = forms.IntegerField(
        label=_("At least this many activities"),
        required=False,
        min_value=1,
        max_value=MIN_COUNT_MAX,
        help_text=_("Empty: no activity filter."),
    )
    activity_window_days = forms.IntegerField(
        label=_("In the last (days)"),
        required=False,
        min_value=1,
        max_value=WINDOW_DAYS_MAX,
        initial=DEFAULT_WINDOW_DAYS,
    )
    activity_kinds = _multiple(
        _("Of these kinds"),
        ActivityKind.choices,
    )
    channels = _multiple(_("Has an account on"), Channel.choices)

    def __init__(self, *args: Any, actor: OperatorScope, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.actor = actor
        tags = [
            (t.pk, f"{t.group.name} · {t.name}" if t.group else t.name)
            for t in list_tags(actor=actor)[:MAX_TAG_CHOICES]
        ]
        communities = [(c.pk, c.name) for c in list_communities(actor=actor).select_related(None)]
        chapters = [(c.pk, c.name) for c in list_chapters(actor=actor)]
        for name in ("tags_all", "tags_any", "tags_none"):
            self._set_choices(name, tags)
        self._set_choices("chapters", chapters)
        self._set_choices("communities", communities)
        self._set_choices("layer_community", [("", _("Any community")), *communities])
        kinds = self.fields["activity_kinds"]
        kinds.help_text = _("Empty: every kind except joining and leaving.")
        self.filters: SegmentFilters | None = None

    def _set_choices(self, name: str, choices: list[tuple[Any, Any]]) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices

    def filter_data(self) -> dict[str, Any]:
        """The filters as `parse_filters` reads them, from the cleaned fields."""
        data: dict[str, Any] = {}
        cleaned = self.cleaned_data
        for name, key in FILTER_FIELDS.items():
            if key.startswith("activity.") or name not in cleaned:
                continue
            value = cleaned[name]
            if value in (None, "", []):
                continue
            data[key] = value.isoformat() if hasattr(value, "isoformat") else value
        if cleaned.get("activity_min_count") is not None:
            data["activity"] = {
                "min_count": cleaned["activity_min_count"],
                "window_days": cleaned.get("activity_window_days") or DEFAULT_WINDOW_DAYS,
                "kinds": cleaned.get("activity_kinds") or [],
            }
        return data

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name in FILTER_FIELDS:
            value = cleaned.get(name)
            if isinstance(value, list) and len(value) > MAX_IDS:
                self.add_error(name, _("Choose at most %(max)s.") % {"max": MAX_IDS})
        if self.errors:
            return cleaned
        try:
            self.filters = clean_filters(actor=self.actor, data=self.filter_data())
        except ValidationError as exc:
            add_filter_errors(self, exc)
        return cleaned

    @classmethod
    def initial_from(cls, filters: SegmentFilters) -> dict[str, Any]:
        """Initial values of the fields for saved filters."""
        data = filters.to_json()
        initial: dict[str, Any] = {}
        for name, key in FILTER_FIELDS.items():
            if key in data:
                initial[name] = data[key]
        if filters.activity is not None:
            initial["activity_min_count"] = filters.activity.min_count
            initial["activity_window_days"] = filters.activity.window_days
            initial["activity_kinds"] = list(filters.activity.kinds)
        return initial


def add_filter_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """A ValidationError of clean_filters on the form's fields (the rest on the form)."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for key, errors in exc.error_dict.items():
        name = FIELD_OF_FILTER.get(key)
        form.add_error(name if name in form.fields else None, errors)


class SegmentForm(SegmentFilterForm):
    """The builder: name, description, owner chapter and the filters."""

    field_order = ("name", "description", "chapter")

    name = forms.CharField(label=_("Name"), max_length=SEGMENT_NAME_MAX_LENGTH)
    description = forms.CharField(
        label=_("Description"), max_length=DESCRIPTION_MAX_LENGTH, required=False
    )
    chapter = forms.ModelChoiceField(
        label=_("Belongs to"),
        queryset=Chapter.objects.none(),
        required=False,
        empty_label=_("The whole organisation"),
    )

    def __init__(self, *args: Any, actor: OperatorScope, **kwargs: Any) -> None:
        super().__init__(*args, actor=actor, **kwargs)
        chapter = self.fields["chapter"]
        assert isinstance(chapter, forms.ModelChoiceField)
        chapter.queryset = list_chapters(actor=actor)
        if not actor.is_org_admin:
            chapter.required = True
            chapter.empty_label = None
        self.order_fields(self.field_order)

    def owner_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("name", "description", "chapter")]
