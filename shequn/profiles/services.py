"""Writes of member profiles (docs/profiles.md): one-to-one talk notes (一对一沟通) and their
follow-ups (跟进). Each is audited; the note's text itself is not copied into the audit log
(only how long it is), since a talk can be personal.

- Writing a note: any operator who may see the member.
- Editing, deleting a note, marking its follow-up done: its author, or an organisation admin.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shequn.audit.models import AuditAction
from shequn.audit.services import record_audit
from shequn.members.selectors import get_member_for_user
from shequn.profiles.models import NOTE_MAX_LENGTH, TalkChannel, TalkNote
from shequn.profiles.selectors import can_change_note, organization_today, organization_zone

if TYPE_CHECKING:
    from shequn.accounts.selectors import OperatorScope
    from shequn.members.models import Member

# A talk is dated on or after this day; a follow-up at most this many days ahead.
EARLIEST_TALK = datetime.date(2000, 1, 1)
MAX_FOLLOW_UP_DAYS = 366
# A talk "now" from a device whose clock is a little ahead is not one in the future.
CLOCK_SKEW = datetime.timedelta(minutes=1)
NOTE_FIELDS = ("talked_at", "channel", "body", "follow_up_on")


def _invalid(field: str, message: str, code: str) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})


def _body(value: Any) -> str:
    body = str(value or "").strip()
    if not body:
        raise _invalid("body", _("Write what you talked about."), "body_required")
    if len(body) > NOTE_MAX_LENGTH:
        raise _invalid(
            "body", _("At most %(max)s characters.") % {"max": NOTE_MAX_LENGTH}, "body_too_long"
        )
    if "\x00" in body:
        raise _invalid("body", _("This field cannot contain NUL characters."), "body_invalid")
    return body


def _talked_at(value: Any, *, actor: OperatorScope) -> datetime.datetime:
    if not isinstance(value, datetime.datetime) or timezone.is_naive(value):
        raise _invalid(
            "talked_at", _("Enter a date and time with a time zone."), "talked_at_invalid"
        )
    if value > timezone.now() + CLOCK_SKEW:
        raise _invalid("talked_at", _("The talk cannot be in the future."), "talked_at_future")
    if value.astimezone(organization_zone(actor.organization)).date() < EARLIEST_TALK:
        raise _invalid(
            "talked_at",
            _("The talk cannot be before %(day)s.") % {"day": EARLIEST_TALK},
            "talked_at_too_early",
        )
    return value


def _channel(value: Any) -> str:
    if value not in TalkChannel.values:
        raise _invalid("channel", _("Choose how you talked."), "channel_invalid")
    return str(value)


def _follow_up_on(value: Any, *, actor: OperatorScope) -> datetime.date | None:
    if value is None or value == "":
        return None
    if not isinstance(value, datetime.date) or isinstance(value, datetime.datetime):
        raise _invalid("follow_up_on", _("Enter a date."), "follow_up_invalid")
    today = organization_today(actor.organization)
    if value < today:
        raise _invalid(
            "follow_up_on", _("The follow-up date must be today or later."), "follow_up_past"
        )
    if value > today + datetime.timedelta(days=MAX_FOLLOW_UP_DAYS):
        raise _invalid(
            "follow_up_on",
            _("The follow-up date must be within %(days)s days.") % {"days": MAX_FOLLOW_UP_DAYS},
            "follow_up_too_far",
        )
    return value


def _audit_values(note: TalkNote) -> dict[str, Any]:
    return {
        "talked_at": note.talked_at,
        "channel": note.channel,
        "body_length": len(note.body),
        "follow_up_on": note.follow_up_on,
        "follow_up_done_at": note.follow_up_done_at,
    }


def _audit(
    actor: OperatorScope, note: TalkNote, action: str, changes: Mapping[str, Any], member: Member
) -> None:
    record_audit(
        actor=actor,
        action=action,
        target=note,
        changes=changes,
        chapter_id=member.chapter_id,
        organization_id=note.organization_id,
    )


@transaction.atomic
def write_talk_note(
    *,
    actor: OperatorScope,
    member: Member,
    body: str,
    talked_at: datetime.datetime | None = None,
    channel: str = TalkChannel.CHAT,
    follow_up_on: datetime.date | None = None,
) -> TalkNote:
    """Note a one-to-one talk with `member` (now when `talked_at` is not given), maybe with a
    follow-up date (today or later, in the organisation's zone)."""
    member = get_member_for_user(actor=actor, member_id=member.pk)  # in scope, not merged
    note = TalkNote(
        organization_id=member.organization_id,
        member=member,
        author=actor.operator,
        talked_at=_talked_at(talked_at or timezone.now(), actor=actor),
        channel=_channel(channel),
        body=_body(body),
        follow_up_on=_follow_up_on(follow_up_on, actor=actor),
    )
    note.save()
    changes = {"member": member.pk} | {
        k: v for k, v in _audit_values(note).items() if k != "follow_up_done_at"
    }
    _audit(actor, note, AuditAction.CREATE, changes, member)
    return note


def _lock(note: TalkNote) -> TalkNote:
    locked = (
        TalkNote.objects.select_for_update(of=("self",))
        .select_related("member", "author__user")
        .filter(pk=note.pk)
        .first()
    )
    if locked is None:
        raise ValidationError(_("This talk note was deleted."), code="note_deleted")
    return locked


@transaction.atomic
def update_talk_note(*, actor: OperatorScope, note: TalkNote, data: Mapping[str, Any]) -> TalkNote:
    """Change a note's time, channel, text or follow-up date (the fields `data` names).

    A new follow-up date opens the follow-up again; `follow_up_on` None removes it. Dates are
    checked only when they change: a note whose follow-up is overdue can still be corrected.
    """
    actor.require(can_change_note(actor, note))
    unknown = set(data) - set(NOTE_FIELDS)
    if unknown:
        raise ValidationError(
            _("Unknown fields: %(fields)s.") % {"fields": ", ".join(sorted(unknown))},
            code="unknown_fields",
        )
    note = _lock(note)
    before = _audit_values(note)
    if "body" in data:
        note.body = _body(data["body"])
    if "channel" in data:
        note.channel = _channel(data["channel"])
    if "talked_at" in data:
        note.talked_at = _talked_at(data["talked_at"], actor=actor)
    if "follow_up_on" in data and data["follow_up_on"] != note.follow_up_on:
        note.follow_up_on = _follow_up_on(data["follow_up_on"], actor=actor)
        note.follow_up_done_at = None
    after = _audit_values(note)
    changes = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    if not changes:
        return note
    note.save(update_fields=[*NOTE_FIELDS, "follow_up_done_at", "updated_at"])
    _audit(actor, note, AuditAction.UPDATE, changes, note.member)
    return note


@transaction.atomic
def delete_talk_note(*, actor: OperatorScope, note: TalkNote) -> None:
    """Delete a note (its author, or an organisation admin); the audit log keeps that it was."""
    actor.require(can_change_note(actor, note))
    note = _lock(note)
    member = note.member
    changes = {"member": note.member_id} | _audit_values(note)
    _audit(actor, note, AuditAction.DELETE, changes, member)
    note.delete()


@transaction.atomic
def complete_follow_up(*, actor: OperatorScope, note: TalkNote) -> TalkNote:
    """Mark the note's follow-up done (跟进完成), now."""
    actor.require(can_change_note(actor, note))
    note = _lock(note)
    if note.follow_up_on is None:
        raise ValidationError(_("This note has no follow-up."), code="no_follow_up")
    if note.follow_up_done_at is not None:
        raise ValidationError(_("This follow-up is already done."), code="already_done")
    note.follow_up_done_at = timezone.now()
    note.save(update_fields=["follow_up_done_at", "updated_at"])
    _audit(
        actor,
        note,
        AuditAction.UPDATE,
        {"follow_up_done_at": [None, note.follow_up_done_at]},
        note.member,
    )
    return note
