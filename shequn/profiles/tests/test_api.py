"""API v1 of profiles: notes, follow-ups and the timeline; problems for bad input and conflicts;
bounded queries."""

from __future__ import annotations

import datetime
import json
from typing import Any
from unittest import mock

import pytest
from django.utils import timezone

from shequn.audit.models import AuditEntry
from shequn.ladder.models import Stage, StageTransition, TransitionCause
from shequn.profiles.models import TalkNote
from shequn.profiles.tests.factories import TalkNoteFactory
from shequn.profiles.tests.helpers import act, at

pytestmark = pytest.mark.django_db

BASE = "/api/v1"


@pytest.fixture(autouse=True)
def _english(settings) -> None:
    settings.LANGUAGE_CODE = "en"


def _post(client, url, body):
    return client.post(BASE + url, data=json.dumps(body), content_type="application/json")


def _patch(client, url, body):
    return client.patch(BASE + url, data=json.dumps(body), content_type="application/json")


def _problem(response, status: int) -> dict[str, Any]:
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/problem+json")
    return response.json()


def test_create_and_read_a_note(api_client_as, member, assistant):
    follow = (timezone.localdate() + datetime.timedelta(days=2)).isoformat()
    response = _post(
        api_client_as("assistant"),
        f"/members/{member.pk}/notes",
        {
            "body": "问了课程进度",
            "talked_at": "2026-11-20T14:30:00+08:00",
            "channel": "video",
            "follow_up_on": follow,
        },
    )
    assert response.status_code == 201
    data = response.json()
    note = TalkNote.objects.get()
    assert data["id"] == note.pk
    assert (data["member_id"], data["author_id"], data["author_name"]) == (
        member.pk,
        assistant.pk,
        "assistant",
    )
    assert (data["channel"], data["body"]) == ("video", "问了课程进度")
    assert data["follow_up_on"] == follow
    assert data["follow_up_done_at"] is None
    assert note.talked_at == datetime.datetime(2026, 11, 20, 6, 30, tzinfo=datetime.UTC)
    listed = api_client_as("chapter_head").get(f"{BASE}/members/{member.pk}/notes").json()
    assert [n["id"] for n in listed["items"]] == [note.pk]
    assert (listed["count"], listed["next_offset"]) == (1, None)
    got = api_client_as("org_admin").get(f"{BASE}/notes/{note.pk}").json()
    assert got == data


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({}, ["body", "body"]),
        ({"body": ""}, ["body", "body"]),
        ({"body": "   "}, ["body", "body"]),
        ({"body": "长" * 5001}, ["body", "body"]),
        ({"body": "a\x00b"}, ["body", "body"]),
        ({"body": "x", "channel": "pigeon"}, ["body", "channel"]),
        ({"body": "x", "talked_at": "2026-11-20T14:30:00"}, ["body", "talked_at"]),
        ({"body": "x", "talked_at": "2099-01-01T00:00:00+08:00"}, ["body", "talked_at"]),
        ({"body": "x", "follow_up_on": "2020-01-01"}, ["body", "follow_up_on"]),
        ({"body": "x", "follow_up_on": "2030-13-01"}, ["body", "follow_up_on"]),
        ({"body": "x", "author_id": 1}, ["body", "author_id"]),
    ],
)
def test_bad_bodies_are_422_and_store_nothing(api_client_as, member, body, loc):
    response = _post(api_client_as("org_admin"), f"/members/{member.pk}/notes", body)
    problem = _problem(response, 422)
    assert [e["loc"] for e in problem["errors"]] == [loc]
    assert TalkNote.objects.count() == 0
    assert not AuditEntry.objects.filter(object_type="talknote").exists()


def test_a_chapter_head_cannot_write_on_another_chapters_member(api_client_as, other_member):
    response = _post(
        api_client_as("chapter_head"), f"/members/{other_member.pk}/notes", {"body": "x"}
    )
    _problem(response, 404)
    assert TalkNote.objects.count() == 0


def test_patch_changes_only_what_is_sent(api_client_as, member, assistant):
    note = TalkNoteFactory(
        member=member, author=assistant, body="原文", follow_up_on=timezone.localdate()
    )
    response = _patch(api_client_as("assistant"), f"/notes/{note.pk}", {"follow_up_on": None})
    assert response.status_code == 200
    assert (response.json()["body"], response.json()["follow_up_on"]) == ("原文", None)
    note.refresh_from_db()
    assert note.follow_up_on is None


def test_patch_refuses_null_text_and_another_authors_note(api_client_as, member, org_admin):
    note = TalkNoteFactory(member=member, author=org_admin, body="原文")
    client = api_client_as("assistant")
    _problem(_patch(client, f"/notes/{note.pk}", {"body": "改"}), 403)
    _problem(_delete(client, note), 403)
    _problem(client.post(f"{BASE}/notes/{note.pk}/done"), 403)
    admin = api_client_as("org_admin")
    problem = _problem(_patch(admin, f"/notes/{note.pk}", {"body": None}), 422)
    assert problem["errors"][0]["loc"] == ["body", "body"]
    note.refresh_from_db()
    assert note.body == "原文"
    assert not AuditEntry.objects.filter(object_type="talknote").exists()


def _delete(client, note):
    return client.delete(f"{BASE}/notes/{note.pk}")


def test_delete_and_then_404(api_client_as, member, assistant):
    note = TalkNoteFactory(member=member, author=assistant)
    client = api_client_as("assistant")
    assert _delete(client, note).status_code == 204
    _problem(client.get(f"{BASE}/notes/{note.pk}"), 404)
    _problem(_delete(client, note), 404)


def test_done_then_409(api_client_as, member, assistant):
    note = TalkNoteFactory(member=member, author=assistant, follow_up_on=timezone.localdate())
    client = api_client_as("assistant")
    response = client.post(f"{BASE}/notes/{note.pk}/done")
    assert response.status_code == 200
    assert response.json()["follow_up_done_at"] is not None
    problem = _problem(client.post(f"{BASE}/notes/{note.pk}/done"), 409)
    assert problem["detail"] == "This follow-up is already done."
    plain = TalkNoteFactory(member=member, author=assistant)
    _problem(client.post(f"{BASE}/notes/{plain.pk}/done"), 409)


def test_follow_ups_due_and_upcoming(api_client_as, member, assistant):
    day = datetime.date(2026, 12, 3)
    due = TalkNoteFactory(member=member, author=assistant, follow_up_on=day)
    soon = TalkNoteFactory(
        member=member, author=assistant, follow_up_on=day + datetime.timedelta(days=14)
    )
    client = api_client_as("assistant")
    last_second = datetime.datetime(2026, 12, 3, 15, 59, 59, tzinfo=datetime.UTC)
    with mock.patch("django.utils.timezone.now", return_value=last_second):
        got = client.get(f"{BASE}/follow-ups").json()
        upcoming = client.get(f"{BASE}/follow-ups", {"when": "upcoming"}).json()
    assert (got["today"], got["operator_id"]) == ("2026-12-03", assistant.pk)
    assert [(n["id"], n["member_name"]) for n in got["items"]] == [(due.pk, "张三")]
    assert [n["id"] for n in upcoming["items"]] == [soon.pk]
    assert got["next_cursor"] is None


def test_follow_ups_page_by_cursor(api_client_as, member, assistant):
    made = [
        TalkNoteFactory(member=member, author=assistant, follow_up_on=timezone.localdate()).pk
        for _ in range(3)
    ]
    client = api_client_as("assistant")
    first = client.get(f"{BASE}/follow-ups", {"limit": 2}).json()
    second = client.get(f"{BASE}/follow-ups", {"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [n["id"] for n in first["items"] + second["items"]] == made
    assert second["next_cursor"] is None
    _problem(client.get(f"{BASE}/follow-ups", {"cursor": "forged"}), 422)
    _problem(client.get(f"{BASE}/follow-ups", {"limit": 201}), 422)
    _problem(client.get(f"{BASE}/follow-ups", {"when": "someday"}), 422)


def test_follow_ups_of_another_operator_for_admins_only(
    api_client_as, member, assistant, org_admin
):
    note = TalkNoteFactory(member=member, author=assistant, follow_up_on=timezone.localdate())
    got = api_client_as("org_admin").get(f"{BASE}/follow-ups", {"operator_id": assistant.pk})
    assert [n["id"] for n in got.json()["items"]] == [note.pk]
    _problem(
        api_client_as("chapter_head").get(f"{BASE}/follow-ups", {"operator_id": assistant.pk}),
        404,
    )


def test_the_timeline_mixes_three_types(api_client_as, member, community, org_admin):
    when = at("2026-11-05", "09:30")
    activity = act(member, community, "check_in", when, text="打卡")
    change = StageTransition.objects.create(
        organization_id=member.organization_id,
        member=member,
        from_stage=None,
        to_stage=Stage.CURIOUS,
        occurred_at=when,
        cause=TransitionCause.RULES,
    )
    note = TalkNoteFactory(member=member, author=org_admin, talked_at=when, body="聊了")
    client = api_client_as("assistant")
    first = client.get(f"{BASE}/members/{member.pk}/timeline", {"limit": 2}).json()
    assert [(i["type"], i["id"]) for i in first["items"]] == [
        ("note", note.pk),
        ("stage_change", change.pk),
    ]
    assert first["items"][0]["note"]["body"] == "聊了"
    assert first["items"][0]["activity"] is None
    assert first["items"][1]["stage_change"] == {
        "from_stage": None,
        "to_stage": 1,
        "cause": "rules",
        "reason": "",
    }
    second = client.get(
        f"{BASE}/members/{member.pk}/timeline", {"limit": 2, "before": first["next_cursor"]}
    ).json()
    assert second["items"] == [
        {
            "type": "activity",
            "id": activity.pk,
            "at": "2026-11-05T01:30:00Z",
            "activity": {
                "kind": "check_in",
                "channel": "web",
                "community_id": community.pk,
                "text": "打卡",
            },
            "stage_change": None,
            "note": None,
        }
    ]
    assert second["next_cursor"] is None


@pytest.mark.parametrize(
    "params", [{"before": "forged"}, {"limit": 0}, {"limit": 101}, {"before": "x" * 201}]
)
def test_bad_timeline_params_are_422(api_client_as, member, params):
    _problem(api_client_as("org_admin").get(f"{BASE}/members/{member.pk}/timeline", params), 422)


def test_lists_are_bounded(api_client_as, member, community, org_admin, django_assert_num_queries):
    for n in range(10):
        act(member, community, "message", at("2026-11-01", f"1{n}:00"))
        TalkNoteFactory(member=member, author=org_admin, follow_up_on=timezone.localdate())
    client = api_client_as("org_admin")
    client.get(f"{BASE}/members/{member.pk}/timeline")
    with django_assert_num_queries(5):  # the token, the member, the three sources
        assert len(client.get(f"{BASE}/members/{member.pk}/timeline").json()["items"]) == 20
    with django_assert_num_queries(3):  # the token, the member, the notes
        assert len(client.get(f"{BASE}/members/{member.pk}/notes").json()["items"]) == 10
    with django_assert_num_queries(2):  # the token, the follow-ups
        assert len(client.get(f"{BASE}/follow-ups").json()["items"]) == 10
