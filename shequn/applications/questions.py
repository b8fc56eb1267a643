"""The questions of an application form and the answers to them: shapes, limits, checks.

A question is {"key": "q3", "kind": QuestionKind, "label", "help", "required", "choices"};
keys are `q<number>`, unique in a form and kept through edits and moves, so the console can
name a question in its address (a new question gets the number after the highest). An answer
is a string (text, single choice) or a list of strings (multiple choice); what an application
keeps is the questions as asked with the answers as given: [{"key", "label", "kind", "value"}].
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from shequn.applications.models import QuestionKind

MAX_QUESTIONS = 30
MIN_CHOICES = 2
MAX_CHOICES = 20
CHOICE_MAX_LENGTH = 100
LABEL_MAX_LENGTH = 200
HELP_MAX_LENGTH = 500
INTRO_MAX_LENGTH = 4000
IDENTITY_MAX_LENGTH = 200
SHORT_TEXT_MAX_LENGTH = 200
LONG_TEXT_MAX_LENGTH = 4000
KEY_PATTERN = re.compile(r"^q[1-9][0-9]{0,5}$")
CHOICE_KINDS = (QuestionKind.SINGLE_CHOICE, QuestionKind.MULTIPLE_CHOICE)
TEXT_LIMITS = {
    QuestionKind.SHORT_TEXT: SHORT_TEXT_MAX_LENGTH,
    QuestionKind.LONG_TEXT: LONG_TEXT_MAX_LENGTH,
}


def key_number(key: str) -> int:
    return int(key[1:]) if KEY_PATTERN.match(key) else 0


def next_key(questions: list[dict[str, Any]], *, last_number: int = 0) -> str:
    """A key no question of the form has (nor had, when `last_number` says so)."""
    numbers = [key_number(str(q.get("key", ""))) for q in questions]
    return f"q{max([last_number, *numbers]) + 1}"


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def clean_question(raw: dict[str, Any], *, position: int) -> dict[str, Any]:
    """One question in its stored shape; ValidationError naming the question otherwise."""
    where = _("Question %(number)s") % {"number": position}
    errors: list[str] = []
    kind = raw.get("kind")
    if kind not in QuestionKind.values:
        errors.append(_("%(where)s: choose a kind of question.") % {"where": where})
    label = _text(raw.get("label"))
    if not label:
        errors.append(_("%(where)s: the question needs a label.") % {"where": where})
    elif len(label) > LABEL_MAX_LENGTH:
        errors.append(
            _("%(where)s: the label is longer than %(max)d characters.")
            % {"where": where, "max": LABEL_MAX_LENGTH}
        )
    help_text = _text(raw.get("help"))
    if len(help_text) > HELP_MAX_LENGTH:
        errors.append(
            _("%(where)s: the help text is longer than %(max)d characters.")
            % {"where": where, "max": HELP_MAX_LENGTH}
        )
    choices: list[str] = []
    if kind in CHOICE_KINDS:
        raw_choices = raw.get("choices") or []
        if not isinstance(raw_choices, list):
            raw_choices = []
        choices = [c for c in (_text(c) for c in raw_choices) if c]
        if not MIN_CHOICES <= len(choices) <= MAX_CHOICES:
            errors.append(
                _("%(where)s: give between %(min)d and %(max)d choices.")
                % {"where": where, "min": MIN_CHOICES, "max": MAX_CHOICES}
            )
        if any(len(c) > CHOICE_MAX_LENGTH for c in choices):
            errors.append(
                _("%(where)s: each choice can be at most %(max)d characters.")
                % {"where": where, "max": CHOICE_MAX_LENGTH}
            )
        if len(set(choices)) != len(choices):
            errors.append(_("%(where)s: two choices are the same.") % {"where": where})
    if errors:
        raise ValidationError(errors, code="invalid_question")
    return {
        "key": str(raw.get("key") or ""),
        "kind": kind,
        "label": label,
        "help": help_text,
        "required": bool(raw.get("required")),
        "choices": choices,
    }


def clean_questions(raw: list[dict[str, Any]], *, last_number: int = 0) -> list[dict[str, Any]]:
    """A whole form's questions: each checked, keys given where missing, at most 30."""
    if len(raw) > MAX_QUESTIONS:
        raise ValidationError(
            _("A form can have at most %(max)d questions.") % {"max": MAX_QUESTIONS},
            code="too_many_questions",
        )
    errors: list[ValidationError] = []
    cleaned: list[dict[str, Any]] = []
    seen: set[str] = set()
    for position, question in enumerate(raw, start=1):
        try:
            item = clean_question(question, position=position)
        except ValidationError as exc:
            errors.append(exc)
            continue
        key = item["key"]
        if key and (not KEY_PATTERN.match(key) or key in seen):
            errors.append(
                ValidationError(
                    _("Question %(number)s: the key must be q1, q2, … and unique.")
                    % {"number": position},
                    code="invalid_key",
                )
            )
            continue
        if key:
            seen.add(key)
        cleaned.append(item)
    if errors:
        raise ValidationError(errors)
    last = max([last_number, *(key_number(q["key"]) for q in cleaned if q["key"])])
    for item in cleaned:
        if not item["key"]:
            last += 1
            item["key"] = f"q{last}"
    return cleaned


def clean_answers(questions: list[dict[str, Any]], answers: dict[str, Any]) -> list[dict[str, Any]]:
    """The answers checked against the questions, as an application keeps them.

    ValidationError {key: message} for an unknown question, a missing required answer, a text
    too long or a choice the question does not offer. Unanswered optional questions are kept
    with an empty value, so the reviewer sees what was asked.
    """
    known = {q["key"] for q in questions}
    errors: dict[str, list[str]] = {}
    for key in answers:
        if key not in known:
            errors[str(key)[:40]] = [_("There is no such question.")]
    snapshot: list[dict[str, Any]] = []
    for question in questions:
        key, kind = question["key"], question["kind"]
        value = answers.get(key)
        try:
            cleaned = _clean_value(question, value)
        except ValidationError as exc:
            errors[key] = exc.messages
            continue
        snapshot.append({"key": key, "label": question["label"], "kind": kind, "value": cleaned})
    if errors:
        raise ValidationError(
            {
                key: [ValidationError(m, code="invalid_answer") for m in ms]
                for key, ms in errors.items()
            }
        )
    return snapshot


def _clean_value(question: dict[str, Any], value: Any) -> str | list[str]:
    kind = question["kind"]
    if kind == QuestionKind.MULTIPLE_CHOICE:
        if value is None or value == "":
            values: list[str] = []
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            values = list(dict.fromkeys(v.strip() for v in value if v.strip()))
        else:
            raise ValidationError(_("Choose from the list."))
        if len(values) > MAX_CHOICES or any(v not in question["choices"] for v in values):
            raise ValidationError(_("Choose from the list."))
        if question["required"] and not values:
            raise ValidationError(_("Choose at least one."))
        return values
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationError(_("Enter text."))
    text: str = value.strip()
    if "\x00" in text:
        raise ValidationError(_("This field cannot contain NUL characters."))
    if question["required"] and not text:
        raise ValidationError(_("This question is required."))
    if kind == QuestionKind.SINGLE_CHOICE:
        if text and text not in question["choices"]:
            raise ValidationError(_("Choose from the list."))
        return text
    limit = TEXT_LIMITS.get(kind, SHORT_TEXT_MAX_LENGTH)
    if len(text) > limit:
        raise ValidationError(
            _("Write at most %(max)d characters (now %(count)d).")
            % {"max": limit, "count": len(text)}
        )
    return text
