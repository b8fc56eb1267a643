"""`manage.py import_activities`: JSON Lines and a Telegram export, rejects, cut-off files."""

from __future__ import annotations

import json
import shutil
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from shequn.activity.models import Activity
from shequn.imports.tests.conftest import DATA
from shequn.members.models import Identity, Member, Membership, MembershipStatus


def run(*args: str) -> str:
    out = StringIO()
    with translation.override("en"):
        call_command("import_activities", *args, "--language", "en", stdout=out)
    return out.getvalue()


def fail(*args: str) -> str:
    with pytest.raises(CommandError) as info, translation.override("en"):
        call_command("import_activities", *args, "--language", "en", stdout=StringIO())
    assert info.value.returncode == 1
    return str(info.value)


def rejects_of(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def summary(output: str) -> dict[str, str]:
    lines = [line.strip() for line in output.splitlines() if ": " in line]
    return dict(
        line.split(": ", 1)
        for line in lines
        if line.split(": ")[0] in {"Read", "New", "Duplicate", "Rejected", "Skipped"}
    )


@pytest.fixture
def jsonl(tmp_path: Path) -> Path:
    return Path(shutil.copy(DATA / "activities.jsonl", tmp_path / "activities.jsonl"))


@pytest.fixture
def telegram(tmp_path: Path) -> Path:
    return Path(shutil.copy(DATA / "telegram_export.json", tmp_path / "result.json"))


def test_json_lines_keeps_good_rows_and_writes_every_bad_one(org, community, jsonl, tmp_path):
    rejects = tmp_path / "bad.jsonl"
    output = run(str(jsonl), "--rejects", str(rejects))
    assert summary(output) == {
        "Read": "8",
        "New": "4",
        "Duplicate": "1",
        "Rejected": "2",
        "Skipped": "1",
    }
    assert sorted(Activity.objects.values_list("external_id", "kind", "community__slug")) == [
        ("web-1", "message", "sh-salon"),
        ("web-2", "reply", "sh-salon"),
        ("web-5", "join", "sh-salon"),
        ("web-6", "check_in", None),  # names no community: organisation-wide
    ]
    lines = rejects_of(rejects)
    assert [(r["line"], r["reason"]) for r in lines] == [
        (4, "The row is not valid JSON."),
        (5, "Unknown activity kind: dance"),
    ]
    assert lines[0]["row"] == '{"id": "web-3", "channel": "web", '
    # The join opened the membership at the activity's time.
    joined = Membership.objects.get(community=community, member__display_name="张敏")
    assert joined.status == MembershipStatus.ACTIVE
    assert joined.joined_at.isoformat() == "2026-06-01T01:30:00+00:00"


def test_the_same_file_again_adds_nothing(org, community, jsonl, tmp_path):
    run(str(jsonl), "--rejects", str(tmp_path / "r1.jsonl"))
    counts = (Activity.objects.count(), Member.objects.count(), Membership.objects.count())
    output = run(str(jsonl), "--rejects", str(tmp_path / "r2.jsonl"))
    assert summary(output)["New"] == "0"
    assert summary(output)["Duplicate"] == "5"
    assert (Activity.objects.count(), Member.objects.count(), Membership.objects.count()) == counts


def test_default_community_takes_rows_that_name_none(org, community, jsonl, tmp_path):
    output = run(str(jsonl), "--community", "sh-salon", "--rejects", str(tmp_path / "r.jsonl"))
    assert summary(output)["New"] == "4"
    assert Activity.objects.get(external_id="web-6").community == community


def test_json_lines_cut_off_keeps_what_came_before_and_fails(org, community, tmp_path):
    path = Path(shutil.copy(DATA / "activities_cutoff.jsonl", tmp_path / "cut.jsonl"))
    message = fail(str(path), "--rejects", str(tmp_path / "r.jsonl"))
    assert "line 4" in message
    offset = path.read_bytes().rindex(b"\n") + 1
    assert f"byte offset {offset}" in message
    assert sorted(Activity.objects.values_list("external_id", flat=True)) == [
        "web-1",
        "web-2",
        "web-5",
    ]


def test_telegram_export(org, community, telegram, tmp_path):
    rejects = tmp_path / "bad.jsonl"
    output = run(str(telegram), "--community", "sh-salon", "--rejects", str(rejects))
    assert summary(output) == {
        "Read": "16",
        "New": "13",
        "Duplicate": "0",
        "Rejected": "4",
        "Skipped": "2",
    }
    rows = {a.external_id: a for a in Activity.objects.select_related("member", "identity")}
    chat = "tg-1234567"
    assert sorted(rows) == sorted(
        [
            f"{chat}-2",
            f"{chat}-3",
            f"{chat}-4-join-user1003",
            f"{chat}-5",
            f"{chat}-6",
            f"{chat}-6-reaction-user1002-👍",
            f"{chat}-6-reaction-user1004-👍",
            f"{chat}-8",
            f"{chat}-9",
            f"{chat}-10",
            f"{chat}-12-leave-user1004",
            f"{chat}-13-leave-user1003",
            f"{chat}-14",
        ]
    )
    assert {a.channel for a in rows.values()} == {"telegram"}
    assert all(a.community_id == community.pk for a in rows.values())
    first, reply = rows[f"{chat}-2"], rows[f"{chat}-3"]
    assert (first.kind, first.text) == ("message", "大家好，欢迎来到上海沙龙群")
    assert first.occurred_at.isoformat() == "2026-06-01T00:00:00+00:00"
    # Text as an array of strings and entities; an edited reply, stored once.
    assert (reply.kind, reply.reply_to, reply.text) == (
        "reply",
        f"{chat}-2",
        "请看 https://example.com/salon 谢谢 王老师",
    )
    assert reply.properties == {"edited_at": "2026-06-01T08:10:00"}
    # Reactions: named ones are activities, every count is on the message.
    assert rows[f"{chat}-6"].properties == {"reactions": {"👍": 3, "❤": 2}}
    like = rows[f"{chat}-6-reaction-user1002-👍"]
    assert (like.kind, like.reply_to, like.text, like.member.display_name) == (
        "reaction",
        f"{chat}-6",
        "👍",
        "李娜",
    )
    channel_post = rows[f"{chat}-14"].identity
    assert channel_post is not None
    assert channel_post.external_id == "channel500"
    assert rows[f"{chat}-10"].properties == {"media_type": "sticker"}
    # Joins and leaves, and the memberships they made.
    assert rows[f"{chat}-4-join-user1003"].properties == {"invited_by": "user1001"}
    assert rows[f"{chat}-12-leave-user1004"].properties == {
        "removed": True,
        "removed_by": "user1001",
    }
    assert rows[f"{chat}-13-leave-user1003"].properties == {"removed": False}
    memberships = {
        m.member.display_name: m.status
        for m in Membership.objects.filter(community=community).select_related("member")
    }
    assert memberships["张敏"] == MembershipStatus.LEFT
    assert memberships["刘洋"] == MembershipStatus.REMOVED
    assert Identity.objects.filter(channel="telegram", external_id="user1005").count() == 1
    assert Identity.objects.filter(channel="telegram", external_id="user1006").count() == 1
    lines = rejects_of(rejects)
    assert [(r["message_id"], r["reason"]) for r in lines] == [
        (15, "The message has no id or no sender (from_id)."),
        (16, lines[1]["reason"]),
        (4, "No account in the export has the name “赵六”."),
        (11, "Several accounts in the export have the name “小明”."),
    ]
    assert "future" in str(lines[1]["reason"])
    assert lines[2]["row"]["members"] == ["张敏", "赵六"]


def test_telegram_again_adds_nothing(org, community, telegram, tmp_path):
    run(str(telegram), "--community", "sh-salon", "--rejects", str(tmp_path / "a.jsonl"))
    counts = (Activity.objects.count(), Member.objects.count(), Membership.objects.count())
    output = run(str(telegram), "--community", "sh-salon", "--rejects", str(tmp_path / "b.jsonl"))
    assert summary(output)["New"] == "0"
    assert summary(output)["Duplicate"] == "13"
    assert (Activity.objects.count(), Member.objects.count(), Membership.objects.count()) == counts


def test_telegram_cut_off(org, community, tmp_path):
    path = Path(shutil.copy(DATA / "telegram_cutoff.json", tmp_path / "result.json"))
    message = fail(str(path), "--community", "sh-salon", "--rejects", str(tmp_path / "r.jsonl"))
    assert "after message 9" in message
    assert Activity.objects.count() == 9  # messages 2–9 (with the join of 张敏 and 刘洋)
    assert not Activity.objects.filter(external_id="tg-1234567-10").exists()


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("empty.jsonl", "The file is empty."),
        ("not_json.txt", "The file is not JSON"),
    ],
)
def test_unreadable_files_store_nothing(org, community, name, expected, tmp_path):
    members = Member.objects.count()
    message = fail(str(DATA / name), "--rejects", str(tmp_path / "r.jsonl"))
    assert message.startswith(expected)
    assert (Activity.objects.count(), Member.objects.count()) == (0, members)
    assert not (tmp_path / "r.jsonl").exists()


def test_telegram_needs_a_community_and_other_refusals(org, community, telegram, tmp_path):
    assert "--community" in fail(str(telegram))
    assert "nowhere" in fail(str(telegram), "--community", "nowhere")
    assert "No such file" in fail(str(tmp_path / "missing.json"))
    assert Activity.objects.count() == 0


def test_file_over_the_limit(org, community, jsonl, settings):
    settings.SHEQUN_IMPORT_MAX_BYTES = 100
    assert "larger than the limit of 100 bytes" in fail(str(jsonl))
    assert Activity.objects.count() == 0


def test_plain_progress_lines_when_not_a_terminal(org, community, jsonl, tmp_path, monkeypatch):
    from shequn.imports.management.commands import import_activities

    monkeypatch.setattr(import_activities, "PLAIN_EVERY_SECONDS", 0.0)
    output = run(str(jsonl), "--rejects", str(tmp_path / "r.jsonl"))
    assert "100.0%  read 8 · new 4 · duplicate 1 · rejected 2" in output
    assert "\x1b[" not in output  # no terminal control codes


def test_progress_bar_on_a_terminal(org, community, jsonl, tmp_path, monkeypatch, capsys):
    from django.core.management.base import OutputWrapper

    monkeypatch.setattr(OutputWrapper, "isatty", lambda self: True)
    output = run(str(jsonl), "--rejects", str(tmp_path / "r.jsonl"))
    assert summary(output)["New"] == "4"
    bar = capsys.readouterr().out  # rich draws on the terminal
    assert "read 8 · new 4 · duplicate 1 · rejected 2" in bar
    assert "100%" not in output  # no plain progress lines
