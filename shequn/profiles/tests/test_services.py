"""Talk notes and follow-ups: who may write, change and close them; bad input changes nothing;
everything is audited without copying the note's text."""

from __future__ import annotations

import datetime
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from shequn.audit.models import AuditAction, AuditEntry
from shequn.members.tests.factories import MemberFactory
from shequn.profiles import services
from shequn.profiles.models import NOTE_MAX_LENGTH, TalkChannel, TalkNote
from shequn.profiles.tests.factories import TalkNoteFactory

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _at(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def _snapshot(note: TalkNote) -> tuple[object, ...]:
    note.refresh_from_db()
    return (note.body, note.talked_at, note.channel, note.follow_up_on, note.follow_up_done_at)


# --- writing -------------------------------------------------------------------------------


def test_an_assistant_writes_a_note_with_a_follow_up(assistant, member, scope_of):
    talked = timezone.now() - datetime.timedelta(hours=2)
    follow = timezone.localdate() + datetime.timedelta(days=3)
    note = services.write_talk_note(
        actor=scope_of(assistant),
        member=member,
        body="  聊了工作近况，想参加线下沙龙  ",
        talked_at=talked,
        channel=TalkChannel.PHONE,
        follow_up_on=follow,
    )
    note.refresh_from_db()
    assert (note.member_id, note.author_id, note.organization_id) == (
        member.pk,
        assistant.pk,
        member.organization_id,
    )
    assert (note.body, note.talked_at, note.channel) == (
        "聊了工作近况，想参加线下沙龙",
        talked,
        TalkChannel.PHONE,
    )
    assert (note.follow_up_on, note.follow_up_done_at) == (follow, None)
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.object_type, entry.object_id) == (
        AuditAction.CREATE,
        "talknote",
        str(note.pk),
    )
    assert entry.chapter_id == member.chapter_id
    assert entry.changes == {
        "member": member.pk,
        "talked_at": talked.astimezone(datetime.UTC).isoformat(),
        "channel": "phone",
        "body_length": 14,
        "follow_up_on": follow.isoformat(),
    }
    assert "沙龙" not in str(entry.changes)


def test_talked_at_defaults_to_now(org_admin, member, scope_of):
    before = timezone.now()
    note = services.write_talk_note(actor=scope_of(org_admin), member=member, body="见面聊")
    assert before <= note.talked_at <= timezone.now()
    assert note.channel == TalkChannel.CHAT
    assert note.follow_up_on is None


def test_a_chapter_head_cannot_write_on_another_chapters_member(
    chapter_head, other_member, scope_of
):
    with pytest.raises(Http404):
        services.write_talk_note(actor=scope_of(chapter_head), member=other_member, body="x")
    assert TalkNote.objects.count() == 0
    assert AuditEntry.objects.count() == 0


def test_an_assistant_cannot_write_on_a_member_outside_their_communities(
    assistant, other_member, scope_of
):
    with pytest.raises(Http404):
        services.write_talk_note(actor=scope_of(assistant), member=other_member, body="x")
    assert TalkNote.objects.count() == 0


def test_a_member_of_another_organisation_is_refused(org_admin, scope_of):
    stranger = MemberFactory()
    with pytest.raises(Http404):
        services.write_talk_note(actor=scope_of(org_admin), member=stranger, body="x")
    assert TalkNote.objects.count() == 0


@pytest.mark.parametrize(
    ("fields", "error_field", "code"),
    [
        ({"body": ""}, "body", "body_required"),
        ({"body": "   \n "}, "body", "body_required"),
        ({"body": "长" * (NOTE_MAX_LENGTH + 1)}, "body", "body_too_long"),
        ({"body": "a\x00b"}, "body", "body_invalid"),
        ({"channel": "pigeon"}, "channel", "channel_invalid"),
        ({"talked_at": "2026-01-01"}, "talked_at", "talked_at_invalid"),
        ({"talked_at": datetime.datetime(2026, 1, 1, 12)}, "talked_at", "talked_at_invalid"),
        ({"talked_at_offset": datetime.timedelta(minutes=2)}, "talked_at", "talked_at_future"),
        ({"talked_at": _at("1999-12-31T23:59")}, "talked_at", "talked_at_too_early"),
        ({"follow_up_offset": -1}, "follow_up_on", "follow_up_past"),
        ({"follow_up_offset": 367}, "follow_up_on", "follow_up_too_far"),
        ({"follow_up_on": "2030-01-01"}, "follow_up_on", "follow_up_invalid"),
    ],
)
def test_bad_input_writes_nothing(org_admin, member, scope_of, fields, error_field, code):
    kwargs: dict[str, Any] = {"body": "聊了聊"}
    today = timezone.now().astimezone(SHANGHAI).date()
    for key, value in fields.items():
        if key == "talked_at_offset":
            kwargs["talked_at"] = timezone.now() + value
        elif key == "follow_up_offset":
            kwargs["follow_up_on"] = today + datetime.timedelta(days=value)
        else:
            kwargs[key] = value
    with pytest.raises(ValidationError) as caught:
        services.write_talk_note(actor=scope_of(org_admin), member=member, **kwargs)
    assert list(caught.value.error_dict) == [error_field]
    assert caught.value.error_dict[error_field][0].code == code
    assert TalkNote.objects.count() == 0
    assert AuditEntry.objects.count() == 0


def test_the_longest_body_and_the_bounds_of_the_dates_are_taken(org_admin, member, scope_of):
    today = timezone.now().astimezone(SHANGHAI).date()
    for follow_up_on in (today, today + datetime.timedelta(days=services.MAX_FOLLOW_UP_DAYS)):
        services.write_talk_note(
            actor=scope_of(org_admin),
            member=member,
            body="长" * NOTE_MAX_LENGTH,
            talked_at=timezone.now() + datetime.timedelta(seconds=30),  # a clock a little ahead
            follow_up_on=follow_up_on,
        )
    assert TalkNote.objects.count() == 2


def test_follow_up_today_is_a_calendar_day_in_shanghai(org_admin, member, scope_of):
    # 2026-12-03 23:59:59 in Shanghai is 15:59:59 UTC: "today" is the 3rd there.
    late = datetime.datetime(2026, 12, 3, 15, 59, 59, tzinfo=datetime.UTC)
    with mock.patch("django.utils.timezone.now", return_value=late):
        services.write_talk_note(
            actor=scope_of(org_admin),
            member=member,
            body="x",
            talked_at=late,
            follow_up_on=datetime.date(2026, 12, 3),
        )
    midnight = datetime.datetime(2026, 12, 3, 16, 0, tzinfo=datetime.UTC)  # the 4th in Shanghai
    with (
        mock.patch("django.utils.timezone.now", return_value=midnight),
        pytest.raises(ValidationError) as caught,
    ):
        services.write_talk_note(
            actor=scope_of(org_admin),
            member=member,
            body="y",
            talked_at=midnight,
            follow_up_on=datetime.date(2026, 12, 3),
        )
    assert caught.value.error_dict["follow_up_on"][0].code == "follow_up_past"
    assert list(TalkNote.objects.values_list("body", flat=True)) == ["x"]


# --- editing and deleting ----------------------------------------------------------------------


def test_the_author_edits_a_note(assistant, member, scope_of):
    note = TalkNoteFactory(member=member, author=assistant, body="旧的")
    follow = timezone.localdate() + datetime.timedelta(days=1)
    services.update_talk_note(
        actor=scope_of(assistant),
        note=note,
        data={"body": "新的内容", "channel": TalkChannel.VIDEO, "follow_up_on": follow},
    )
    note.refresh_from_db()
    assert (note.body, note.channel, note.follow_up_on) == ("新的内容", "video", follow)
    entry = AuditEntry.objects.get()
    assert entry.action == AuditAction.UPDATE
    assert entry.changes == {
        "body_length": [2, 4],
        "channel": ["chat", "video"],
        "follow_up_on": [None, follow.isoformat()],
    }


def test_an_unchanged_edit_writes_no_audit(assistant, member, scope_of):
    note = TalkNoteFactory(member=member, author=assistant, body="一样")
    services.update_talk_note(actor=scope_of(assistant), note=note, data={"body": "一样"})
    assert AuditEntry.objects.count() == 0


def test_an_overdue_follow_up_does_not_block_editing_the_text(assistant, member, scope_of):
    past = timezone.localdate() - datetime.timedelta(days=5)
    note = TalkNoteFactory(member=member, author=assistant, follow_up_on=past)
    services.update_talk_note(
        actor=scope_of(assistant), note=note, data={"body": "补充", "follow_up_on": past}
    )
    note.refresh_from_db()
    assert (note.body, note.follow_up_on) == ("补充", past)


def test_a_new_follow_up_date_opens_the_follow_up_again(assistant, member, scope_of):
    note = TalkNoteFactory(
        member=member,
        author=assistant,
        follow_up_on=timezone.localdate(),
        follow_up_done_at=timezone.now(),
    )
    later = timezone.localdate() + datetime.timedelta(days=7)
    services.update_talk_note(actor=scope_of(assistant), note=note, data={"follow_up_on": later})
    note.refresh_from_db()
    assert (note.follow_up_on, note.follow_up_done_at) == (later, None)
    services.update_talk_note(actor=scope_of(assistant), note=note, data={"follow_up_on": None})
    note.refresh_from_db()
    assert (note.follow_up_on, note.follow_up_done_at) == (None, None)


def test_an_assistant_cannot_edit_another_operators_note(assistant, org_admin, member, scope_of):
    note = TalkNoteFactory(member=member, author=org_admin, body="管理员写的")
    before = _snapshot(note)
    with pytest.raises(PermissionDenied):
        services.update_talk_note(actor=scope_of(assistant), note=note, data={"body": "改"})
    with pytest.raises(PermissionDenied):
        services.delete_talk_note(actor=scope_of(assistant), note=note)
    assert _snapshot(note) == before
    assert AuditEntry.objects.count() == 0


def test_a_chapter_head_cannot_edit_an_assistants_note(chapter_head, assistant, member, scope_of):
    note = TalkNoteFactory(member=member, author=assistant, follow_up_on=timezone.localdate())
    before = _snapshot(note)
    with pytest.raises(PermissionDenied):
        services.update_talk_note(actor=scope_of(chapter_head), note=note, data={"body": "改"})
    with pytest.raises(PermissionDenied):
        services.complete_follow_up(actor=scope_of(chapter_head), note=note)
    assert _snapshot(note) == before


def test_an_org_admin_edits_and_deletes_anyones_note(org_admin, assistant, member, scope_of):
    note = TalkNoteFactory(member=member, author=assistant, body="助教写的")
    services.update_talk_note(actor=scope_of(org_admin), note=note, data={"body": "管理员改的"})
    note.refresh_from_db()
    assert note.body == "管理员改的"
    note_id = note.pk
    services.delete_talk_note(actor=scope_of(org_admin), note=note)
    assert not TalkNote.objects.filter(pk=note_id).exists()
    deleted = AuditEntry.objects.get(action=AuditAction.DELETE)
    assert (deleted.object_id, deleted.changes["member"], deleted.changes["body_length"]) == (
        str(note_id),
        member.pk,
        5,
    )


def test_bad_edits_change_nothing(assistant, member, scope_of):
    note = TalkNoteFactory(member=member, author=assistant, body="原文")
    before = _snapshot(note)
    actor = scope_of(assistant)
    bad: list[dict[str, Any]] = [
        {"body": ""},
        {"body": "x" * (NOTE_MAX_LENGTH + 1)},
        {"channel": "fax"},
        {"talked_at": timezone.now() + datetime.timedelta(days=1)},
        {"follow_up_on": timezone.localdate() - datetime.timedelta(days=1)},
        {"body": "好", "member": 1},
        {"body": "好", "channel": "fax"},  # a good field with a bad one: neither is saved
    ]
    for data in bad:
        with pytest.raises(ValidationError):
            services.update_talk_note(actor=actor, note=note, data=data)
        assert _snapshot(note) == before
    assert AuditEntry.objects.count() == 0


# --- follow-ups ------------------------------------------------------------------------------


def test_the_author_marks_the_follow_up_done(assistant, member, scope_of):
    note = TalkNoteFactory(member=member, author=assistant, follow_up_on=timezone.localdate())
    before = timezone.now()
    services.complete_follow_up(actor=scope_of(assistant), note=note)
    note.refresh_from_db()
    assert note.follow_up_done_at is not None
    assert before <= note.follow_up_done_at <= timezone.now()
    entry = AuditEntry.objects.get()
    assert list(entry.changes) == ["follow_up_done_at"]


def test_done_twice_or_without_a_follow_up_is_refused(org_admin, member, scope_of):
    actor = scope_of(org_admin)
    note = TalkNoteFactory(member=member, author=org_admin, follow_up_on=timezone.localdate())
    services.complete_follow_up(actor=actor, note=note)
    done_at = _snapshot(note)[4]
    with pytest.raises(ValidationError) as caught:
        services.complete_follow_up(actor=actor, note=note)
    assert caught.value.code == "already_done"
    assert _snapshot(note)[4] == done_at
    plain = TalkNoteFactory(member=member, author=org_admin)
    with pytest.raises(ValidationError) as caught:
        services.complete_follow_up(actor=actor, note=plain)
    assert caught.value.code == "no_follow_up"
    assert _snapshot(plain)[4] is None
    assert AuditEntry.objects.count() == 1


def test_a_note_deleted_meanwhile_is_a_clear_error(org_admin, member, scope_of):
    note = TalkNoteFactory(member=member, author=org_admin, follow_up_on=timezone.localdate())
    TalkNote.objects.filter(pk=note.pk).delete()
    with pytest.raises(ValidationError) as caught:
        services.complete_follow_up(actor=scope_of(org_admin), note=note)
    assert caught.value.code == "note_deleted"
    assert AuditEntry.objects.count() == 0
