"""Console pages of profiles: the member panel, notes, timeline and follow-ups pages, the note
actions (plain posts and htmx), bad input, translations and bounded queries."""

from __future__ import annotations

import datetime
import re
from unittest import mock
from urllib.parse import unquote

import pytest
from django.urls import reverse
from django.utils import timezone

from shequn.audit.models import AuditEntry
from shequn.ladder.models import Stage, StageTransition, TransitionCause
from shequn.members.tests.factories import MemberFactory, MembershipFactory
from shequn.profiles.models import TalkChannel, TalkNote
from shequn.profiles.tests.factories import TalkNoteFactory
from shequn.profiles.tests.helpers import act, at

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


@pytest.fixture(autouse=True)
def _english(settings) -> None:
    """Pages in English unless a test asks for Chinese (its own strings are merged into the
    catalogue later; Chinese assertions use Django's translated messages)."""
    settings.LANGUAGE_CODE = "en"


HTMX = {"HTTP_HX_REQUEST": "true"}


def _form(**overrides: str) -> dict[str, str]:
    data = {
        "channel": TalkChannel.PHONE,
        "talked_at": "2026-11-20T14:30",
        "body": "聊了报名训练营的事",
        "follow_up_on": "",
    }
    return data | overrides


# --- the member panel ----------------------------------------------------------------------


def test_the_member_page_shows_notes_form_and_timeline(client_as, member, community, assistant):
    TalkNoteFactory(
        member=member, author=assistant, body="想做学委", follow_up_on=timezone.localdate()
    )
    act(member, community, "check_in", at("2026-11-01"), text="打卡第一天")
    response = client_as("assistant").get(reverse("members:detail", args=[member.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    panel = body.split('id="profiles-panel"')[1]
    assert "One-to-one talks" in panel
    assert "想做学委" in panel
    assert "Follow up due" in panel
    assert "Timeline" in panel
    assert "打卡第一天" in panel
    assert 'name="follow_up_on"' in panel
    assert f'maxlength="{5000}"' in panel


def test_the_panel_links_to_the_second_timeline_page(client_as, member, community):
    for n in range(12):
        act(member, community, "message", at("2026-11-01", f"{10 + n}:00"), text=f"消息{n}")
    body = client_as("org_admin").get(reverse("members:detail", args=[member.pk])).content
    link = re.search(rb'href="(/profiles/members/\d+/timeline/\?before=[^"]+)"', body)
    assert link is not None
    page = client_as("org_admin").get(link.group(1).decode().replace("&amp;", "&"))
    text = page.content.decode()
    assert page.status_code == 200
    assert "消息1<" in text
    assert "消息0<" in text
    assert "消息2<" not in text  # shown in the panel already


def test_the_member_page_stays_bounded(
    client_as, member, community, org_admin, django_assert_max_num_queries
):
    for n in range(8):
        TalkNoteFactory(member=member, author=org_admin)
        act(member, community, "message", at("2026-11-01", f"1{n}:00"))
    client = client_as("org_admin")
    url = reverse("members:detail", args=[member.pk])
    client.get(url)
    with django_assert_max_num_queries(60) as captured:
        client.get(url)
    profiles_queries = [
        q["sql"] for q in captured.captured_queries if "profiles_talknote" in q["sql"]
    ]
    assert len(profiles_queries) == 2  # the panel's notes, the timeline's notes


# --- adding --------------------------------------------------------------------------------


def test_adding_from_the_panel_with_htmx_answers_the_panel(client_as, member, assistant):
    response = client_as("assistant").post(
        reverse("profiles:note_add", args=[member.pk]),
        _form(follow_up_on=(timezone.localdate() + datetime.timedelta(days=2)).isoformat()),
        **HTMX,
        **ZH,
    )
    assert response.status_code == 200
    assert 'id="profiles-panel"' in response.content.decode()
    assert "聊了报名训练营的事" in response.content.decode()
    note = TalkNote.objects.get()
    assert (note.author_id, note.channel) == (assistant.pk, "phone")
    # 14:30 in Shanghai (the organisation's zone) is 06:30 UTC
    assert note.talked_at == datetime.datetime(2026, 11, 20, 6, 30, tzinfo=datetime.UTC)
    assert note.follow_up_on == timezone.localdate() + datetime.timedelta(days=2)


def test_adding_with_a_plain_post_goes_back_to_next(client_as, member):
    notes_url = reverse("profiles:notes", args=[member.pk])
    response = client_as("chapter_head").post(
        reverse("profiles:note_add", args=[member.pk]), _form(next=notes_url)
    )
    assert response.status_code == 302
    assert response["Location"] == notes_url
    assert TalkNote.objects.count() == 1


def test_next_to_another_site_is_ignored(client_as, member):
    response = client_as("org_admin").post(
        reverse("profiles:note_add", args=[member.pk]), _form(next="https://evil.example/")
    )
    assert response["Location"] == reverse("members:detail", args=[member.pk])


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"body": ""}, "这个字段是必填项。"),
        ({"body": "长" * 5001}, "5000"),
        ({"talked_at": "2099-01-01T10:00"}, "The talk cannot be in the future."),
        ({"talked_at": "昨天"}, "输入一个有效的日期/时间。"),
        ({"follow_up_on": "2020-01-01"}, "The follow-up date must be today or later."),
        ({"channel": "pigeon"}, "选择一个有效的选项"),
    ],
)
def test_bad_input_changes_nothing_and_says_why(client_as, member, overrides, message):
    language = {"HTTP_ACCEPT_LANGUAGE": "zh-hans" if "。" in message or "选" in message else "en"}
    response = client_as("assistant").post(
        reverse("profiles:note_add", args=[member.pk]), _form(**overrides), **HTMX, **language
    )
    assert response.status_code == 422
    assert message in response.content.decode()
    assert TalkNote.objects.count() == 0
    assert AuditEntry.objects.count() == 0


def test_bad_input_without_htmx_shows_the_notes_page_with_the_errors(client_as, member):
    response = client_as("assistant").post(
        reverse("profiles:note_add", args=[member.pk]), _form(body="")
    )
    assert response.status_code == 422
    assert "This field is required." in response.content.decode()
    assert TalkNote.objects.count() == 0


def test_a_chapter_head_cannot_add_a_note_to_another_chapters_member(client_as, other_member):
    response = client_as("chapter_head").post(
        reverse("profiles:note_add", args=[other_member.pk]), _form()
    )
    assert response.status_code == 404
    assert TalkNote.objects.count() == 0


# --- editing, deleting, done -------------------------------------------------------------------


def test_editing_keeps_the_seconds_of_an_unchanged_time(client_as, member, assistant):
    talked = datetime.datetime(2026, 11, 20, 6, 30, 42, 123456, tzinfo=datetime.UTC)
    note = TalkNoteFactory(member=member, author=assistant, talked_at=talked, body="原来")
    url = reverse("profiles:note_edit", args=[note.pk])
    page = client_as("assistant").get(url).content.decode()
    assert 'value="2026-11-20T14:30"' in page
    response = client_as("assistant").post(url, _form(body="改过了", channel="chat"))
    assert response.status_code == 302
    note.refresh_from_db()
    assert (note.body, note.talked_at) == ("改过了", talked)
    assert "talked_at" not in AuditEntry.objects.get().changes


def test_an_assistant_cannot_edit_or_delete_the_admins_note(client_as, member, org_admin):
    note = TalkNoteFactory(
        member=member, author=org_admin, body="管理员的", follow_up_on=timezone.localdate()
    )
    client = client_as("assistant")
    assert client.get(reverse("profiles:note_edit", args=[note.pk])).status_code == 403
    assert client.post(reverse("profiles:note_edit", args=[note.pk]), _form()).status_code == 403
    assert client.post(reverse("profiles:note_delete", args=[note.pk])).status_code == 403
    assert client.post(reverse("profiles:note_done", args=[note.pk])).status_code == 403
    note.refresh_from_db()
    assert (note.body, note.follow_up_done_at) == ("管理员的", None)
    page = client.get(reverse("profiles:notes", args=[member.pk])).content.decode()
    assert "管理员的" in page
    assert reverse("profiles:note_delete", args=[note.pk]) not in page


def test_deleting_with_htmx_removes_the_item(client_as, member, assistant):
    note = TalkNoteFactory(member=member, author=assistant)
    response = client_as("assistant").post(reverse("profiles:note_delete", args=[note.pk]), **HTMX)
    assert (response.status_code, response.content) == (200, b"")
    assert TalkNote.objects.count() == 0


def test_done_with_htmx_answers_the_updated_note(client_as, member, assistant):
    note = TalkNoteFactory(member=member, author=assistant, follow_up_on=timezone.localdate())
    url = reverse("profiles:note_done", args=[note.pk])
    response = client_as("assistant").post(url, {"show_member": "1"}, **HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert f'id="note-{note.pk}"' in body
    assert "Followed up" in body
    assert "张三" in body  # the follow-ups page shows whose note it is
    again = client_as("assistant").post(url, **HTMX)
    assert again.status_code == 409
    plain = client_as("assistant").post(url)
    assert plain.status_code == 302
    assert AuditEntry.objects.count() == 1


def test_a_note_out_of_scope_is_404(client_as, other_member, org_admin):
    note = TalkNoteFactory(member=other_member, author=org_admin)
    for name in ("note_edit", "note_delete", "note_done"):
        response = client_as("chapter_head").post(reverse(f"profiles:{name}", args=[note.pk]))
        assert response.status_code == 404
    assert TalkNote.objects.filter(pk=note.pk).exists()


# --- the notes and timeline pages -----------------------------------------------------------


def test_the_notes_page_is_bounded(client_as, member, org_admin, django_assert_num_queries):
    for _ in range(30):
        TalkNoteFactory(member=member, author=org_admin)
    client = client_as("org_admin")
    url = reverse("profiles:notes", args=[member.pk])
    client.get(url)
    with django_assert_num_queries(5):  # session, user, operator, member, a page of notes
        first = client.get(url)
    assert first.content.decode().count('class="note"') == 25
    second = client.get(url + "?page=2")
    assert second.content.decode().count('class="note"') == 5


def test_the_timeline_page_mixes_the_three_kinds(client_as, member, community, org_admin):
    act(member, community, "check_in", at("2026-11-01"), text="打卡")
    StageTransition.objects.create(
        organization_id=member.organization_id,
        member=member,
        from_stage=Stage.CURIOUS,
        to_stage=Stage.ACQUAINTED,
        occurred_at=at("2026-11-02"),
        cause=TransitionCause.RULES,
    )
    TalkNoteFactory(member=member, author=org_admin, talked_at=at("2026-11-03"), body="电话回访")
    response = client_as("assistant").get(reverse("profiles:timeline", args=[member.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Timeline of 张三" in body
    assert body.index("电话回访") < body.index("Stage change") < body.index("打卡")
    assert "2026-11-03 12:00" in body  # in Shanghai time


def test_the_timeline_pages_by_cursor_with_htmx(client_as, member, community):
    for n in range(35):
        act(
            member,
            community,
            "message",
            at("2026-11-01") + datetime.timedelta(minutes=n),
            text=f"m{n}",
        )
    client = client_as("org_admin")
    first = client.get(reverse("profiles:timeline", args=[member.pk])).content.decode()
    assert first.count('class="timeline-item') == 30
    cursor = re.search(r'\?before=([^"]+)"', first)
    assert cursor is not None
    second = client.get(
        reverse("profiles:timeline", args=[member.pk]), {"before": unquote(cursor.group(1))}, **HTMX
    )
    text = second.content.decode()
    assert text.startswith('<div id="timeline-page">')
    assert text.count('class="timeline-item') == 5
    assert ">m4<" in text
    assert ">m0<" in text
    assert ">m5<" not in text


def test_a_bad_timeline_cursor_shows_the_first_page_and_says_so(client_as, member, community):
    act(member, community, "message", at("2026-11-01"), text="第一条")
    response = client_as("org_admin").get(
        reverse("profiles:timeline", args=[member.pk]), {"before": "forged"}, **ZH
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "第一条" in body
    assert 'class="alert error"' in body


def test_a_timeline_page_is_bounded(client_as, member, community, django_assert_num_queries):
    for n in range(40):
        act(member, community, "message", at("2026-11-01") + datetime.timedelta(minutes=n))
    client = client_as("chapter_head")
    url = reverse("profiles:timeline", args=[member.pk])
    client.get(url)
    # session, user, operator (+ its chapters), member, 3 timeline sources
    with django_assert_num_queries(8):
        client.get(url)


# --- follow-ups ----------------------------------------------------------------------------


def test_the_follow_ups_page_shows_due_and_upcoming(client_as, member, assistant):
    today = datetime.date(2026, 12, 3)
    TalkNoteFactory(
        member=member,
        author=assistant,
        body="逾期的",
        follow_up_on=today - datetime.timedelta(days=2),
    )
    TalkNoteFactory(
        member=member,
        author=assistant,
        body="明天的",
        follow_up_on=today + datetime.timedelta(days=1),
    )
    TalkNoteFactory(
        member=member,
        author=assistant,
        body="太远的",
        follow_up_on=today + datetime.timedelta(days=20),
    )
    now = datetime.datetime(2026, 12, 3, 4, 0, tzinfo=datetime.UTC)
    with mock.patch("django.utils.timezone.now", return_value=now):
        response = client_as("assistant").get(reverse("profiles:follow_ups"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "My follow-ups" in body
    due = body.split('id="follow-ups-due"')[1].split('id="follow-ups-upcoming"')[0]
    upcoming = body.split('id="follow-ups-upcoming"')[1]
    assert "逾期的" in due
    assert "明天的" not in due
    assert "明天的" in upcoming
    assert "太远的" not in body


def test_an_org_admin_picks_another_operators_follow_ups(client_as, member, assistant):
    TalkNoteFactory(
        member=member, author=assistant, body="助教的跟进", follow_up_on=timezone.localdate()
    )
    client = client_as("org_admin")
    mine = client.get(reverse("profiles:follow_ups")).content.decode()
    assert "助教的跟进" not in mine
    assert f'<option value="{assistant.pk}"' in mine
    theirs = client.get(reverse("profiles:follow_ups"), {"operator": assistant.pk})
    assert "助教的跟进" in theirs.content.decode()
    assert "assistant" in theirs.content.decode()


def test_others_cannot_pick_another_operator(client_as, assistant, org_admin):
    response = client_as("assistant").get(
        reverse("profiles:follow_ups"), {"operator": org_admin.pk}
    )
    assert response.status_code == 404
    response = client_as("assistant").get(reverse("profiles:follow_ups"), {"operator": "x"})
    assert response.status_code == 200


def test_the_follow_ups_page_is_bounded(
    client_as, org, chapter, community, chapter_head, django_assert_num_queries
):
    for _n in range(60):
        person = MemberFactory(organization=org, chapter=chapter)
        MembershipFactory(member=person, community=community)
        TalkNoteFactory(member=person, author=chapter_head, follow_up_on=timezone.localdate())
    client = client_as("chapter_head")
    client.get(reverse("profiles:follow_ups"))
    with django_assert_num_queries(6):  # session, user, operator, chapters, due, upcoming
        response = client.get(reverse("profiles:follow_ups"))
    body = response.content.decode()
    assert body.count('class="note"') == 50
    assert "due_after=" in body


def test_the_nav_links_to_the_follow_ups(client_as):
    response = client_as("assistant").get(reverse("profiles:follow_ups"), **ZH)
    assert response["Content-Language"] == "zh-hans"
    body = client_as("assistant").get(reverse("profiles:follow_ups")).content.decode()
    assert f'href="{reverse("profiles:follow_ups")}">Follow-ups</a>' in body
