"""Reading activity files: our JSON Lines and Telegram Desktop's chat export (docs/imports.md).

The format is told by the content, never the file name. Both are streamed: JSON Lines a line at
a time (a line longer than `MAX_LINE_BYTES` is rejected, not read whole), a Telegram export
with ijson over `messages.item`, one message at a time. Rows go to the one ingestion service
(`shequn.activity.services.ingest_activities`) in batches of 10,000; each rejected row is mapped
back to its line number (JSON Lines) or message id (Telegram) and written to the rejects file.

Telegram, in one pass: ordinary messages become `message` (or `reply`) activities as they are
read; the service messages that change membership (`invite_members`, `join_group_by_link`,
`remove_members`) wait, in file order, until the end of the file, because `invite_members` and
`remove_members` name people by display name only, and a name is resolved to the account id
(`from_id`) seen with it anywhere in the export: no account with that name, or several, and the
row is rejected with that reason.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import ijson
from django.utils.translation import gettext as _

from shequn.activity.models import ACTIVITY_TEXT_MAX_LENGTH
from shequn.imports.limits import BATCH_SIZE
from shequn.imports.models import ImportFormat

if TYPE_CHECKING:
    from shequn.accounts.selectors import OperatorScope
    from shequn.imports.services import RejectsWriter
    from shequn.organizations.models import Community, Organization

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
MAX_LINE_BYTES = 1024 * 1024  # a JSON Lines row longer than this is rejected unread
SNIFF_BYTES = 64 * 1024
TELEGRAM_CHANNEL = "telegram"
# Service actions that change who is in the group; every other service message is skipped.
MEMBERSHIP_ACTIONS = {"invite_members", "join_group_by_link", "remove_members"}


class ActivityFileError(Exception):
    """The file cannot be imported at all (empty, not JSON, not a format we read): nothing is
    stored. The message is translated, for the operator."""


@dataclass
class ImportProgress:
    """Totals so far of one file's import; `ended_early` says where a cut-off file ended."""

    format: str = ""
    size: int = 0
    bytes_read: int = 0
    read: int = 0  # lines (JSON Lines) or messages (Telegram) read
    rows: int = 0  # activities handed to the ingestion
    new: int = 0
    duplicate: int = 0
    rejected: int = 0
    skipped: int = 0  # blank lines, service messages of other kinds
    started: float = field(default_factory=time.monotonic)
    ended_early: str = ""

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started


ProgressCallback = Callable[[ImportProgress], None]


def detect_format(path: Path) -> str:
    """ImportFormat.JSONL or ImportFormat.TELEGRAM, by content; ActivityFileError otherwise."""
    with path.open("rb") as f:
        head = f.read(SNIFF_BYTES)
    return detect_format_of_head(head, complete=len(head) < SNIFF_BYTES)


def detect_format_of_head(head: bytes, *, complete: bool) -> str:
    """The format of a file that starts with `head` (`complete`: that is the whole file)."""
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if not text:
        raise ActivityFileError(_("The file is empty."))
    if text[:1] != b"{":
        raise ActivityFileError(
            _(
                "The file is not JSON: expected JSON Lines (one activity object a line) or a "
                "Telegram chat export (result.json)."
            )
        )
    if _has_top_level_messages(text, complete=complete):
        return ImportFormat.TELEGRAM
    lines = text.splitlines()
    if not complete and len(lines) > 1:
        lines = lines[:-1]  # the last line of a partial head may be cut
    for line in lines[:50]:
        if _is_json_object(line):
            return ImportFormat.JSONL
    raise ActivityFileError(
        _(
            "The file is not JSON Lines (one activity object a line) nor a Telegram chat "
            "export (a JSON object with “messages”)."
        )
    )


def _is_json_object(line: bytes) -> bool:
    import json

    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


def _has_top_level_messages(text: bytes, *, complete: bool) -> bool:
    """Whether the JSON document starting with `text` has a top-level key "messages" holding
    a list (looked for in the head only: Telegram writes it after name, type and id)."""
    try:
        events = ijson.parse(text)
        for prefix, event, value in events:
            if prefix == "" and event == "map_key" and value == "messages":
                _, next_event, _ = next(events)
                return bool(next_event == "start_array")
            if prefix == "" and event == "end_map":
                return False
    except (ijson.JSONError, StopIteration):
        return False
    return False


def read_telegram_header(path: Path) -> dict[str, Any]:
    """The export's top-level scalars before "messages" (name, type, id)."""
    header: dict[str, Any] = {}
    with path.open("rb") as f:
        try:
            key = None
            for prefix, event, value in ijson.parse(f):
                if prefix == "" and event == "map_key":
                    if value == "messages":
                        break
                    key = value
                elif key and prefix == key and event in {"string", "number", "boolean"}:
                    header[key] = value
                    key = None
        except ijson.JSONError:
            pass
    return header


# Import


def import_activity_file(
    *,
    path: Path,
    organization: Organization,
    actor: OperatorScope | None,
    rejects: RejectsWriter,
    community: Community | None = None,
    format: str | None = None,
    progress: ProgressCallback | None = None,
) -> ImportProgress:
    """Import one file through the ingestion service; the totals (with `ended_early` set when
    the file was cut off or broken mid-way: what came before is stored)."""
    fmt = format or detect_format(path)
    state = ImportProgress(format=fmt, size=path.stat().st_size)
    feeder = _Feeder(
        organization=organization,
        actor=actor,
        community=community,
        rejects=rejects,
        state=state,
        progress=progress,
    )
    with path.open("rb") as f:
        if fmt == ImportFormat.TELEGRAM:
            _read_telegram(f, path=path, feeder=feeder)
        else:
            _read_jsonl(f, feeder=feeder)
        feeder.flush()
    return state


class _Feeder:
    """Collects rows with where they came from, and hands them to the ingestion in batches."""

    def __init__(
        self,
        *,
        organization: Organization,
        actor: OperatorScope | None,
        community: Community | None,
        rejects: RejectsWriter,
        state: ImportProgress,
        progress: ProgressCallback | None,
    ) -> None:
        self.organization = organization
        self.actor = actor
        self.community = community
        self.rejects = rejects
        self.state = state
        self.progress = progress
        self.rows: list[bytes | Mapping[str, Any]] = []
        self.origins: list[tuple[int, dict[str, Any], Any]] = []
        self.pending: list[tuple[int, dict[str, Any], str, Any]] = []
        self.seq = 0
        self.position: Callable[[], int] = lambda: 0

    def add(self, row: bytes | Mapping[str, Any], ref: dict[str, Any], raw: Any) -> None:
        self.rows.append(row)
        self.origins.append((self.seq, ref, raw))
        self.seq += 1
        if len(self.rows) >= BATCH_SIZE:
            self.flush()

    def reject(self, ref: dict[str, Any], reason: str, raw: Any) -> None:
        """A row rejected by the reader; written, in file order, with the batch's others."""
        self.pending.append((self.seq, ref, reason, raw))
        self.seq += 1

    def flush(self) -> None:
        from shequn.activity.models import ActivitySource
        from shequn.activity.services import ingest_activities

        if self.rows:
            result = ingest_activities(
                organization=self.organization,
                rows=self.rows,
                source=ActivitySource.IMPORT,
                actor=self.actor,
                default_community=self.community,
            )
            self.state.rows += len(self.rows)
            self.state.new += result.new
            self.state.duplicate += result.duplicate
            for rejected in result.rejected:
                seq, ref, raw = self.origins[rejected.index]
                self.pending.append((seq, ref, rejected.reason, raw))
            self.rows = []
            self.origins = []
        self.pending.sort(key=lambda item: item[0])
        for _seq, ref, reason, raw in self.pending:
            self.rejects.write(ref, reason, raw)
        self.state.rejected += len(self.pending)
        self.pending = []
        self.state.bytes_read = self.position()
        if self.progress is not None:
            self.progress(self.state)


# JSON Lines


def _read_jsonl(f: IO[bytes], *, feeder: _Feeder) -> None:
    state = feeder.state
    feeder.position = f.tell
    lineno = 0
    while True:
        line = f.readline(MAX_LINE_BYTES + 1)
        if not line:
            break
        lineno += 1
        state.read += 1
        if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
            while line and not line.endswith(b"\n"):  # skip the rest of the long line
                line = f.readline(MAX_LINE_BYTES)
            feeder.reject(
                {"line": lineno},
                _("The line is longer than %(max)d bytes.") % {"max": MAX_LINE_BYTES},
                "",
            )
            continue
        if lineno == 1:
            line = line.removeprefix(b"\xef\xbb\xbf")
        if not line.strip():
            state.skipped += 1
            continue
        if not line.endswith(b"\n") and not _is_json_object(line):
            # The last line, with no newline and not a whole object: the file was cut off.
            state.read -= 1
            state.ended_early = _(
                "The file ends in the middle of line %(line)d (byte offset %(offset)d): the "
                "lines before it were imported, that one was not."
            ) % {"line": lineno, "offset": f.tell() - len(line)}
            break
        feeder.add(line, {"line": lineno}, line)


# Telegram


def _read_telegram(f: IO[bytes], *, path: Path, feeder: _Feeder) -> None:
    header = read_telegram_header(path)
    chat = str(header.get("id") or "chat")
    mapper = _TelegramMapper(chat=chat, feeder=feeder)
    state = feeder.state
    feeder.position = f.tell
    last_id: Any = None
    try:
        for message in ijson.items(f, "messages.item", use_float=True):
            state.read += 1
            if not isinstance(message, dict):
                state.skipped += 1
                continue
            mapper.map(message)
            last_id = message.get("id", last_id)
    except ijson.JSONError:
        where = (
            _("after message %(id)s") % {"id": last_id}
            if last_id is not None
            else _("before the first message")
        )
        state.ended_early = _(
            "The file is cut off or broken %(where)s (near byte offset %(offset)d): the messages "
            "before it were imported."
        ) % {"where": where, "offset": f.tell()}
    mapper.finish()


def _text_of(value: Any) -> str:
    """Telegram's text: a string, or a list of strings and entity objects {"type", "text"}."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(
            part if isinstance(part, str) else str(part.get("text", ""))
            for part in value
            if isinstance(part, str | dict)
        )
    return ""


def _when(message: Mapping[str, Any]) -> Any:
    """The exact time from date_unixtime (UTC); else the local `date`, which the ingestion
    reads in the organisation's time zone."""
    unix = message.get("date_unixtime")
    try:
        if unix is not None:  # (arithmetic: several times faster than fromtimestamp)
            return (EPOCH + datetime.timedelta(seconds=int(unix))).isoformat()
    except (TypeError, ValueError, OverflowError, OSError):
        pass
    return message.get("date")


class _TelegramMapper:
    """Turns Telegram messages into interchange rows (docs/imports.md, "Telegram mapping")."""

    def __init__(self, *, chat: str, feeder: _Feeder) -> None:
        self.chat = chat
        self.feeder = feeder
        # display name → the account ids seen with it (for invite/remove, which name people).
        self.names: dict[str, set[str]] = {}
        self.deferred: list[dict[str, Any]] = []

    def id_of(self, message_id: Any) -> str:
        return f"tg-{self.chat}-{message_id}"

    def see(self, name: Any, account: Any) -> None:
        if isinstance(name, str) and name and isinstance(account, str) and account:
            accounts = self.names.setdefault(name, set())
            if len(accounts) < 2:
                accounts.add(account)

    def map(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "message":
            self.see(message.get("from"), message.get("from_id"))
            self.message(message)
        elif kind == "service":
            self.see(message.get("actor"), message.get("actor_id"))
            if message.get("action") in MEMBERSHIP_ACTIONS:
                self.deferred.append(message)
            else:
                self.feeder.state.skipped += 1
        else:
            self.feeder.state.skipped += 1

    def message(self, message: dict[str, Any]) -> None:
        mid = message.get("id")
        ref = {"message_id": mid}
        account = message.get("from_id")
        if mid is None or not isinstance(account, str) or not account:
            self.feeder.reject(ref, _("The message has no id or no sender (from_id)."), message)
            return
        activity_id = self.id_of(mid)
        properties: dict[str, Any] = {}
        for key in ("media_type", "forwarded_from", "via_bot"):
            if message.get(key):
                properties[key] = message[key]
        if message.get("edited"):
            properties["edited_at"] = message.get("edited")
        reactions: dict[str, int] = {}
        named: list[tuple[str, dict[str, Any]]] = []
        for reaction in message.get("reactions") or []:
            if not isinstance(reaction, dict):
                continue
            emoji = reaction.get("emoji")
            if not isinstance(emoji, str) or not emoji:
                # A custom emoji (`document_id`, a file path): a short stable key instead.
                custom = str(reaction.get("document_id") or reaction.get("type") or "?")
                emoji = "custom-" + hashlib.sha1(custom.encode()).hexdigest()[:10]  # noqa: S324
            else:
                emoji = emoji[:16]
            with contextlib.suppress(TypeError, ValueError):
                reactions[emoji] = reactions.get(emoji, 0) + int(reaction.get("count") or 0)
            for who in reaction.get("recent") or []:
                if isinstance(who, dict):
                    named.append((emoji, who))
        if reactions:
            properties["reactions"] = reactions
        text = _text_of(message.get("text"))
        if len(text) > ACTIVITY_TEXT_MAX_LENGTH:  # Telegram allows 4,096 characters
            text = text[:ACTIVITY_TEXT_MAX_LENGTH]
            properties["text_truncated"] = True
        reply = message.get("reply_to_message_id")
        row: dict[str, Any] = {
            "id": activity_id,
            "channel": TELEGRAM_CHANNEL,
            "kind": "reply" if reply is not None else "message",
            "occurred_at": _when(message),
            "actor": {"external_id": account, "display_name": message.get("from") or None},
            "text": text,
            "properties": properties,
        }
        if reply is not None:
            row["reply_to"] = self.id_of(reply)
        self.feeder.add(row, ref, message)
        for emoji, who in named:
            self.see(who.get("from"), who.get("from_id"))
            reactor = who.get("from_id")
            if not isinstance(reactor, str) or not reactor:
                self.feeder.reject(ref, _("A reaction has no account (from_id)."), message)
                continue
            self.feeder.add(
                {
                    "id": f"{activity_id}-reaction-{reactor}-{emoji}",
                    "channel": TELEGRAM_CHANNEL,
                    "kind": "reaction",
                    "occurred_at": who.get("date") or _when(message),
                    "actor": {"external_id": reactor, "display_name": who.get("from") or None},
                    "text": emoji,
                    "reply_to": activity_id,
                    "properties": {"emoji": emoji},
                },
                ref,
                message,
            )

    def finish(self) -> None:
        """The membership service messages, now that every name of the export is known."""
        for message in self.deferred:
            self.membership(message)
        self.deferred = []

    def resolve(self, name: Any) -> tuple[str | None, str]:
        """The account id of a display name, or None and why not."""
        if not isinstance(name, str) or not name:
            return None, _("A member is named by no name (a deleted account?).")
        accounts = self.names.get(name) or set()
        if not accounts:
            return None, _("No account in the export has the name “%(name)s”.") % {"name": name}
        if len(accounts) > 1:
            return None, _("Several accounts in the export have the name “%(name)s”.") % {
                "name": name
            }
        return next(iter(accounts)), ""

    def membership(self, message: dict[str, Any]) -> None:
        mid = message.get("id")
        ref = {"message_id": mid}
        action = message.get("action")
        actor = message.get("actor_id")
        base = {"channel": TELEGRAM_CHANNEL, "occurred_at": _when(message)}
        if mid is None:
            self.feeder.reject(ref, _("The message has no id."), message)
            return
        if action == "join_group_by_link":
            if not isinstance(actor, str) or not actor:
                self.feeder.reject(ref, _("The message has no account (actor_id)."), message)
                return
            joined: dict[str, Any] = {"via": "link"}
            if message.get("inviter"):
                joined["inviter"] = message["inviter"]
            self.feeder.add(
                base
                | {
                    "id": self.id_of(mid),
                    "kind": "join",
                    "actor": {"external_id": actor, "display_name": message.get("actor")},
                    "properties": joined,
                },
                ref,
                message,
            )
            return
        members = message.get("members") or []
        if not isinstance(members, list) or not members:
            self.feeder.reject(ref, _("The message names no members."), message)
            return
        joining = action == "invite_members"
        for name in members:
            account, reason = self.resolve(name)
            if account is None:
                self.feeder.reject(ref, reason, message)
                continue
            properties: dict[str, Any] = {}
            if joining:
                if isinstance(actor, str) and actor and actor != account:
                    properties["invited_by"] = actor
            else:
                # Someone who leaves is shown as removing themselves.
                removed = not (isinstance(actor, str) and actor == account)
                properties["removed"] = removed
                if removed and isinstance(actor, str) and actor:
                    properties["removed_by"] = actor
            kind = "join" if joining else "leave"
            self.feeder.add(
                base
                | {
                    "id": f"{self.id_of(mid)}-{kind}-{account}",
                    "kind": kind,
                    "actor": {"external_id": account, "display_name": name},
                    "properties": properties,
                },
                ref,
                message,
            )
