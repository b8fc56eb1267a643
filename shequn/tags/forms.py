"""Forms of the tags console: tag groups, tags set by hand, rule tags (fields per rule type)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shequn.ladder.models import Stage
from shequn.layers.models import Layer
from shequn.tags.models import (
    GROUP_NAME_MAX_LENGTH,
    TAG_NAME_MAX_LENGTH,
    RuleType,
    TagColour,
    TagGroup,
)
from shequn.tags.rules import MATCH_REGEX, MATCH_WORD, MAX_MIN_COUNT, MAX_WINDOW_DAYS
from shequn.tags.selectors import list_tag_groups
from shequn.tags.services import DESCRIPTION_MAX_LENGTH, MAX_POSITION

if TYPE_CHECKING:
    from shequn.accounts.selectors import OperatorScope

# The parameter fields of each rule type, in the order the form shows them.
RULE_PARAMS: dict[str, tuple[str, ...]] = {
    RuleType.KEYWORD: ("keywords", "match", "min_count", "window_days"),
    RuleType.EVENT_KIND: ("event_kind", "window_days"),
    RuleType.STAGE: ("stages",),
    RuleType.LAYER: ("layer", "community_id"),
    RuleType.INVITE_LINK: ("invite_link_id",),
    RuleType.ACTIVITY_KIND: ("activity_kind", "min_count", "window_days"),
}
ALL_PARAMS = (
    "keywords",
    "match",
    "min_count",
    "window_days",
    "event_kind",
    "activity_kind",
    "stages",
    "layer",
    "community_id",
    "invite_link_id",
)
KEYWORDS_INPUT_MAX_LENGTH = 1000
# Choices of a select: the newest this many links, and communities by name.
MAX_LINK_CHOICES = 500
MAX_COMMUNITY_CHOICES = 1000


class TagGroupForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("tag", "Name"), max_length=GROUP_NAME_MAX_LENGTH)
    colour = forms.ChoiceField(label=_("Colour"), choices=TagColour.choices, initial=TagColour.BLUE)
    position = forms.IntegerField(
        label=_("Position"),
        min_value=0,
        max_value=MAX_POSITION,
        initial=0,
        help_text=_("Groups are listed by this number, smallest first."),
    )


def _tag_fields(actor: OperatorScope) -> dict[str, forms.Field]:
    return {
        "name": forms.CharField(label=pgettext_lazy("tag", "Name"), max_length=TAG_NAME_MAX_LENGTH),
        "group_id": forms.ModelChoiceField(
            label=_("Group"),
            queryset=list_tag_groups(actor=actor),
            required=False,
            empty_label=_("No group"),
        ),
        "colour": forms.ChoiceField(
            label=_("Colour"),
            choices=[("", _("The group's colour")), *TagColour.choices],
            required=False,
        ),
        "description": forms.CharField(
            label=_("Description"), max_length=DESCRIPTION_MAX_LENGTH, required=False
        ),
    }


def tag_initial(tag: Any) -> dict[str, Any]:
    return {
        "name": tag.name,
        "group_id": tag.group_id,
        "colour": tag.colour,
        "description": tag.description,
    }


class TagForm(forms.Form):
    """A tag operators set by hand."""

    def __init__(self, *args: Any, actor: OperatorScope, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields.update(_tag_fields(actor))


def tag_data(form: forms.Form) -> dict[str, Any]:
    """The tag's own fields of a valid TagForm or RuleTagForm, for the services."""
    data = form.cleaned_data
    group: TagGroup | None = data.get("group_id")
    return {
        "name": data["name"],
        "group": group,
        "colour": data.get("colour") or "",
        "description": data.get("description") or "",
    }


def _link_label(link: Any) -> str:
    inviter = ""
    if link.inviter_member_id:
        inviter = link.inviter_member.display_name
    elif link.inviter_operator_id:
        inviter = link.inviter_operator.user.get_username()
    parts = [link.purpose or link.code, link.community.name]
    if inviter:
        parts.append(str(_("invited by %(name)s") % {"name": inviter}))
    return " · ".join(parts)


class RuleParamsForm(forms.Form):
    """The parameters of one rule type (the others' fields are left out). The values are
    checked by `shequn.tags.rules.clean_rule` in the service, which names the field."""

    rule_type = forms.ChoiceField(choices=RuleType.choices, widget=forms.HiddenInput)
    keywords = forms.CharField(
        label=_("Keywords"),
        max_length=KEYWORDS_INPUT_MAX_LENGTH,
        required=False,
        help_text=_(
            "Words separated by commas or new lines; a member matches when one of them is a "
            "word of its own in their message. With “regular expression”: one expression."
        ),
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": KEYWORDS_INPUT_MAX_LENGTH}),
    )
    match = forms.ChoiceField(
        label=_("Match"),
        choices=[(MATCH_WORD, _("Whole words")), (MATCH_REGEX, _("Regular expression"))],
        initial=MATCH_WORD,
        widget=forms.RadioSelect,
    )
    min_count = forms.IntegerField(
        label=_("At least (times)"),
        min_value=1,
        max_value=MAX_MIN_COUNT,
        initial=1,
        required=False,
    )
    window_days = forms.IntegerField(
        label=_("In the last (days)"),
        min_value=1,
        max_value=MAX_WINDOW_DAYS,
        required=False,
        help_text=_("Calendar days, today included. Empty: at any time."),
    )
    event_kind = forms.CharField(
        label=_("Event kind"),
        max_length=64,
        required=False,
        help_text=_("As the event attendance activities name it, e.g. “salon”."),
    )
    activity_kind = forms.CharField(
        label=_("Custom activity"),
        max_length=64,
        required=False,
        help_text=_("The name of the custom activity, e.g. “lesson_done”."),
    )
    stages = forms.TypedMultipleChoiceField(
        label=_("Stages"),
        choices=Stage.choices,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    layer = forms.ChoiceField(label=_("Layer"), choices=Layer.choices, required=False)
    community_id = forms.TypedChoiceField(
        label=_("Community"), coerce=int, empty_value=None, required=False
    )
    invite_link_id = forms.TypedChoiceField(
        label=_("Invite link"), coerce=int, empty_value=None, required=False
    )

    def __init__(
        self,
        *args: Any,
        actor: OperatorScope,
        rule_type: str,
        link_id: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.rule_kind = rule_type if rule_type in RULE_PARAMS else RuleType.KEYWORD
        self.fields["rule_type"].initial = self.rule_kind
        wanted = RULE_PARAMS[self.rule_kind]
        for name in ALL_PARAMS:
            if name not in wanted:
                del self.fields[name]
        if "community_id" in self.fields:
            self._community_choices(actor)
        if "invite_link_id" in self.fields:
            self._link_choices(actor, link_id)

    def _community_choices(self, actor: OperatorScope) -> None:
        from shequn.organizations.models import Community, CommunityStatus

        rows = (
            Community.objects.filter(organization_id=actor.organization.pk)
            .exclude(status=CommunityStatus.DISSOLVED)
            .order_by("sort_key", "id")
            .values_list("pk", "name")[:MAX_COMMUNITY_CHOICES]
        )
        field = self.fields["community_id"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", _("Any community")), *rows]

    def _link_choices(self, actor: OperatorScope, link_id: int | None) -> None:
        from shequn.invitations.models import InviteLink

        links = InviteLink.objects.filter(organization_id=actor.organization.pk).select_related(
            "community", "inviter_member", "inviter_operator__user"
        )
        shown = list(
            links.filter(is_personal=False).order_by("-created_at", "-id")[:MAX_LINK_CHOICES]
        )
        if link_id and all(link.pk != link_id for link in shown):
            shown += list(links.filter(pk=link_id))
        field = self.fields["invite_link_id"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", "—"), *((link.pk, _link_label(link)) for link in shown)]

    def params(self) -> dict[str, Any]:
        """The rule's parameters for `clean_rule` (a regular expression is kept whole)."""
        data = self.cleaned_data
        params = {name: data.get(name) for name in RULE_PARAMS[self.rule_kind]}
        if "keywords" in params:
            raw = str(params["keywords"] or "").strip()
            params["keywords"] = [raw] if data.get("match") == MATCH_REGEX and raw else raw
        return params


def rule_initial(rule_type: str, rule: dict[str, Any]) -> dict[str, Any]:
    """Form values of a saved rule."""
    initial: dict[str, Any] = {"rule_type": rule_type}
    for name in RULE_PARAMS.get(rule_type, ()):
        value = rule.get(name)
        if name == "keywords" and isinstance(value, list):
            value = value[0] if rule.get("match") == MATCH_REGEX else "\n".join(value)
        initial[name] = value
    return initial


class RuleTagForm(RuleParamsForm):
    """A rule tag: its name, group, colour and description, then its rule's parameters."""

    def __init__(self, *args: Any, actor: OperatorScope, **kwargs: Any) -> None:
        super().__init__(*args, actor=actor, **kwargs)
        params = self.fields
        self.fields = {**_tag_fields(actor), **params}
