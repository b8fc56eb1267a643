"""Format detection of activity files (by content, never the name)."""

from __future__ import annotations

import json

import pytest

from shequn.imports.activity_files import ActivityFileError, detect_format_of_head


def test_telegram_pretty_and_minified():
    pretty = json.dumps({"name": "群", "type": "private_group", "id": 1, "messages": []}, indent=1)
    assert detect_format_of_head(pretty.encode(), complete=True) == "telegram"
    minified = json.dumps({"name": "群", "id": 1, "messages": [{"id": 1}]}).encode()
    assert detect_format_of_head(minified, complete=True) == "telegram"
    # Only the head of a big export was read (cut inside its messages): still Telegram.
    big = {"name": "群", "type": "private_group", "id": 1, "messages": [{"id": 1, "text": "x"}]}
    head = json.dumps(big, indent=1).encode()
    assert detect_format_of_head(head[: head.index(b'"text"')], complete=False) == "telegram"


def test_json_lines_even_when_the_first_line_is_bad():
    assert detect_format_of_head(b'{"id": "a"}\n{"id": "b"}\n', complete=True) == "jsonl"
    assert detect_format_of_head(b'\xef\xbb\xbf{"id": "a"}\n', complete=True) == "jsonl"
    assert detect_format_of_head(b'{"id": \n{"id": "b"}\n', complete=True) == "jsonl"
    # An object whose "messages" is not a list is an activity line, not an export.
    assert detect_format_of_head(b'{"messages": 3}\n', complete=True) == "jsonl"


@pytest.mark.parametrize(
    ("head", "message"),
    [
        (b"", "The file is empty."),
        (b" \n\t\n", "The file is empty."),
        (b"[1, 2]", "The file is not JSON"),
        (b"\x89PNG\r\n", "The file is not JSON"),
        (b"{not json\n{still not\n", "The file is not JSON Lines"),
    ],
)
def test_unreadable(head, message, settings):
    settings.LANGUAGE_CODE = "en"
    from django.utils import translation

    with translation.override("en"), pytest.raises(ActivityFileError) as info:
        detect_format_of_head(head, complete=True)
    assert str(info.value).startswith(message)


def test_custom_emoji_reactions_get_a_short_stable_key():
    from shequn.imports.activity_files import ImportProgress, _TelegramMapper

    class Feeder:
        state = ImportProgress()

        def __init__(self) -> None:
            self.rows: list[dict[str, object]] = []

        def add(self, row, ref, raw):
            self.rows.append(row)

    feeder = Feeder()
    mapper = _TelegramMapper(chat="9", feeder=feeder)  # type: ignore[arg-type]
    custom = {
        "type": "custom_emoji",
        "count": 1,
        "document_id": "stickers/" + "x" * 200,
        "recent": [{"from": "李娜", "from_id": "user2", "date": "2026-06-01T10:00:00"}],
    }
    mapper.map(
        {
            "id": 5,
            "type": "message",
            "date": "2026-06-01T09:00:00",
            "from": "王伟",
            "from_id": "user1",
            "text": "hi",
            "reactions": [custom],
        }
    )
    message, reaction = feeder.rows
    [key] = message["properties"]["reactions"]  # type: ignore[index]
    assert key.startswith("custom-")
    assert len(key) == 17
    assert reaction["id"] == f"tg-9-5-reaction-user2-{key}"
    assert message["occurred_at"] == "2026-06-01T09:00:00"  # no unixtime: the local date
