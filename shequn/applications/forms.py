"""Forms of applications: the form builder, the review actions, the queue filters, applying."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from shequn.applications.models import ApplicationStatus, QuestionKind
from shequn.applications.questions import (
    CHOICE_KINDS,
    CHOICE_MAX_LENGTH,
    HELP_MAX_LENGTH,
    IDENTITY_MAX_LENGTH,
    INTRO_MAX_LENGTH,
    LABEL_MAX_LENGTH,
    LONG_TEXT_MAX_LENGTH,
    MAX_CHOICES,
    SHORT_TEXT_MAX_LENGTH,
)
from shequn.applications.selectors import MAX_WAITING_DAYS, SEARCH_MAX_LENGTH
from shequn.applications.services import NOTE_MAX_LENGTH, REASON_MAX_LENGTH


class FormSettingsForm(forms.Form):
    intro = forms.CharField(
        label=_("Introduction"),
        max_length=INTRO_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Shown above the questions: who this community is for, what to expect."),
    )
    identity_statement = forms.CharField(
        label=_("Identity statement"),
        max_length=IDENTITY_MAX_LENGTH,
        required=False,
        help_text=_("Optional. Applicants must confirm it, e.g. “只招企业内训经理”."),
    )
    assistants_may_review = forms.BooleanField(
        label=_("Assistants of this community may review its applications"), required=False
    )


class QuestionForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=QuestionKind.choices)
    label = forms.CharField(label=_("Question"), max_length=LABEL_MAX_LENGTH)
    help = forms.CharField(label=_("Help text"), max_length=HELP_MAX_LENGTH, required=False)
    required = forms.BooleanField(label=_("Required"), required=False)
    choices = forms.CharField(
        label=_("Choices"),
        required=False,
        max_length=MAX_CHOICES * (CHOICE_MAX_LENGTH + 2),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Single and multiple choice: one choice a line, 2 to 20."),
    )

    def question(self) -> dict[str, Any]:
        data = self.cleaned_data
        lines = [line.strip() for line in data.get("choices", "").splitlines()]
        return {
            "kind": data["kind"],
            "label": data["label"],
            "help": data.get("help", ""),
            "required": data.get("required", False),
            "choices": [line for line in lines if line] if data["kind"] in CHOICE_KINDS else [],
        }

    @classmethod
    def initial_for(cls, question: dict[str, Any]) -> dict[str, Any]:
        return {**question, "choices": "\n".join(question.get("choices", []))}


class MoveForm(forms.Form):
    direction = forms.ChoiceField(choices=[("up", "up"), ("down", "down")])


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (the applicant sees it)"),
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class InterviewForm(forms.Form):
    at = forms.DateTimeField(
        label=_("Interview time"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    note = forms.CharField(
        label=_("Note (how and where; the applicant sees it)"),
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class QueueFilterForm(forms.Form):
    community = forms.TypedChoiceField(
        label=_("Community"), coerce=int, required=False, empty_value=None
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Waiting (pending or interview)")), *ApplicationStatus.choices],
    )
    waiting_days = forms.IntegerField(
        label=_("Waiting at least (days)"), min_value=0, max_value=MAX_WAITING_DAYS, required=False
    )
    q = forms.CharField(
        label=_("Search"),
        max_length=SEARCH_MAX_LENGTH,
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Name, phone or email")}),
    )

    def __init__(self, *args: Any, communities: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["community"].choices = [("", _("All communities")), *communities]  # type: ignore[attr-defined]

    def filters(self) -> dict[str, Any]:
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        return {
            "community_id": data.get("community"),
            "status": data.get("status") or "",
            "waiting_days": data.get("waiting_days"),
            "q": (data.get("q") or "").strip(),
        }


class ApplyForm(forms.Form):
    """The member's form: one field per question (keyed by the question's key), the identity
    confirmation, and the one-time token that makes a double tap one application."""

    token = forms.CharField(max_length=64, widget=forms.HiddenInput)

    def __init__(
        self, *args: Any, questions: list[dict[str, Any]], identity_statement: str, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.questions = questions
        for q in questions:
            self.fields[q["key"]] = self._field(q)
        if identity_statement:
            self.fields["identity_confirmed"] = forms.BooleanField(
                label=identity_statement,
                required=True,
                error_messages={"required": _("Tick the box to confirm this applies to you.")},
            )

    @staticmethod
    def _field(q: dict[str, Any]) -> forms.Field:
        common: dict[str, Any] = {
            "label": q["label"],
            "help_text": q.get("help", ""),
            "required": q["required"],
        }
        choices = [(c, c) for c in q.get("choices", [])]
        if q["kind"] == QuestionKind.SINGLE_CHOICE:
            return forms.ChoiceField(choices=choices, widget=forms.RadioSelect, **common)
        if q["kind"] == QuestionKind.MULTIPLE_CHOICE:
            return forms.MultipleChoiceField(
                choices=choices, widget=forms.CheckboxSelectMultiple, **common
            )
        if q["kind"] == QuestionKind.LONG_TEXT:
            return forms.CharField(
                max_length=LONG_TEXT_MAX_LENGTH,
                widget=forms.Textarea(attrs={"rows": 5}),
                **common,
            )
        return forms.CharField(max_length=SHORT_TEXT_MAX_LENGTH, **common)

    def answers(self) -> dict[str, Any]:
        return {q["key"]: self.cleaned_data.get(q["key"]) for q in self.questions}
