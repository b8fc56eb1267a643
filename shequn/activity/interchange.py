"""The interchange format of activities (docs/activities.md): decoding and checking one row.

A row is one JSON object (a JSON Lines line, or an item of the batch API) or a mapping already
parsed. `RowDecoder.decode` turns it into a typed `Row` (msgspec: bytes through one reusable
decoder, mappings through `msgspec.convert`) or raises `RowError` with a translated reason
that names the field. Only what a row says on its own is checked here: whether its community
exists, is in the actor's scope, or its actor is known is for the service
(shequn.activity.services).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
from django.utils import timezone
from django.utils.translation import gettext as _

from shequn.activity.models import ACTIVITY_TEXT_MAX_LENGTH, EXTERNAL_ID_MAX_LENGTH, ActivityKind
from shequn.members.models import Channel

# How far in the future an activity may be dated (clocks differ; beyond this it is a mistake).
FUTURE_TOLERANCE = timedelta(days=1)
# The earliest time an activity may be dated: older is a mistake (a zero date, a wrong unit).
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
WEIGHT_MIN, WEIGHT_MAX = -32768, 32767  # the column is a SMALLINT
ACTOR_ID_MAX_LENGTH = 128

KINDS = frozenset(ActivityKind.values)
CHANNELS = frozenset(Channel.values)
MEMBERSHIP_KINDS = frozenset({ActivityKind.JOIN.value, ActivityKind.LEAVE.value})


class Actor(msgspec.Struct):
    """Who did it, as the channel knows them (unknown fields are ignored)."""

    external_id: str
    display_name: str | None = None
    username: str | None = None
    email: str | None = None
    phone: str | None = None
    avatar_url: str | None = None
    union_id: str | None = None


class Row(msgspec.Struct):
    """One activity as written by a client (unknown fields are ignored)."""

    id: str
    channel: str
    kind: str
    occurred_at: datetime
    actor: Actor
    community: str | None = None
    text: str | None = None
    reply_to: str | None = None
    properties: dict[str, Any] | None = None
    weight: int = 1


class RowError(Exception):
    """A row that cannot be stored; `reason` is translated and names the field."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


_MISSING = re.compile(r"^Object missing required field `(?P<name>[^`]+)`(?: - at `\$(?P<at>.*)`)?$")
_EXPECTED = re.compile(
    r"^Expected `(?P<type>[^`]+)`, got `(?P<got>[^`]+)`(?: - at `\$(?P<at>.*)`)?$"
)
_AT = re.compile(r" - at `\$(?P<at>.*)`$")


def _field(path: str | None, name: str | None = None) -> str:
    """`$.actor.external_id` style path → `actor.external_id`."""
    parts = [p for p in (path or "").split(".") if p]
    if name:
        parts.append(name)
    return ".".join(parts)


def _type_name(spec: str) -> str:
    names = {
        "str": _("a string"),
        "int": _("an integer"),
        "object": _("an object"),
        "datetime": _("a date and time"),
        "null": _("null"),
        "float": _("a number"),
        "bool": _("true or false"),
        "array": _("an array"),
    }
    return _(" or ").join(names.get(part.strip(), part.strip()) for part in spec.split("|"))


def explain_validation_error(message: str) -> str:
    """msgspec's (English, untranslated) message → a translated reason naming the field."""
    if match := _MISSING.match(message):
        return _("Missing field “%(field)s”.") % {"field": _field(match["at"], match["name"])}
    if match := _EXPECTED.match(message):
        field = _field(match["at"])
        if not field:
            return _("A row must be a JSON object.")
        return _("Field “%(field)s” must be %(expected)s.") % {
            "field": field,
            "expected": _type_name(match["type"]),
        }
    at = _AT.search(message)
    field = _field(at["at"]) if at else ""
    if field == "occurred_at":
        return _(
            "Field “occurred_at” is not a valid date and time (ISO 8601, for example "
            "2026-06-01T08:00:00+08:00)."
        )
    if field:
        return _("Field “%(field)s” is not valid.") % {"field": field}
    return _("The row is not valid.")


def _check_id(value: str, field: str) -> str:
    value = value.strip()
    if not value:
        raise RowError(_("Field “%(field)s” is empty.") % {"field": field})
    if len(value) > EXTERNAL_ID_MAX_LENGTH:
        raise RowError(
            _("Field “%(field)s” is longer than %(limit)s characters.")
            % {"field": field, "limit": EXTERNAL_ID_MAX_LENGTH}
        )
    if "\x00" in value:
        raise RowError(_("Field “%(field)s” contains a NUL character.") % {"field": field})
    return value


class RowDecoder:
    """Decodes and checks rows for one organisation (its time zone reads naive times)."""

    def __init__(self, *, time_zone: str | tzinfo, now: datetime | None = None) -> None:
        self.zone = ZoneInfo(time_zone) if isinstance(time_zone, str) else time_zone
        self.latest = (now or timezone.now()) + FUTURE_TOLERANCE
        self._json = msgspec.json.Decoder(Row)
        self._encode = msgspec.json.Encoder().encode

    def decode(self, raw: bytes | str | Mapping[str, Any]) -> Row:
        """The checked row (ids stripped, time aware, text/properties set), or RowError."""
        try:
            if isinstance(raw, (bytes, bytearray, memoryview, str)):
                row = self._json.decode(raw)
            elif isinstance(raw, Mapping):
                row = msgspec.convert(raw, Row)
            else:
                raise RowError(_("A row must be a JSON object."))
        except msgspec.ValidationError as exc:
            raise RowError(explain_validation_error(str(exc))) from exc
        except msgspec.DecodeError as exc:
            raise RowError(_("The row is not valid JSON.")) from exc
        return self.check(row)

    def check(self, row: Row) -> Row:
        row.id = _check_id(row.id, "id")
        row.actor.external_id = _check_id(row.actor.external_id, "actor.external_id")
        if row.kind not in KINDS:
            raise RowError(_("Unknown activity kind: %(kind)s") % {"kind": row.kind[:64]})
        if row.channel not in CHANNELS:
            raise RowError(_("Unknown channel: %(channel)s") % {"channel": row.channel[:64]})
        occurred_at = row.occurred_at
        if occurred_at.tzinfo is None:
            occurred_at = row.occurred_at = occurred_at.replace(tzinfo=self.zone)
        try:  # stored in UTC: any offset the row came with is then of no concern
            occurred_at = row.occurred_at = occurred_at.astimezone(UTC)
        except (OverflowError, ValueError):
            occurred_at = EARLIEST - timedelta(days=1)  # year 1 with an offset: too early
        if occurred_at > self.latest:
            raise RowError(
                _("Field “occurred_at” is more than a day in the future: %(time)s")
                % {"time": occurred_at.isoformat()}
            )
        if occurred_at < EARLIEST:
            raise RowError(
                _("Field “occurred_at” is before 1970: %(time)s")
                % {"time": row.occurred_at.isoformat()}
            )
        text = row.text
        if text is None:
            row.text = ""
        elif text:
            if len(text) > ACTIVITY_TEXT_MAX_LENGTH:
                raise RowError(
                    _("Field “text” is longer than %(limit)s characters (%(length)s).")
                    % {"limit": ACTIVITY_TEXT_MAX_LENGTH, "length": len(text)}
                )
            if "\x00" in text:
                raise RowError(_("Field “%(field)s” contains a NUL character.") % {"field": "text"})
        if row.reply_to is None:
            row.reply_to = ""
        elif row.reply_to:
            row.reply_to = _check_id(row.reply_to, "reply_to")
        if not (WEIGHT_MIN <= row.weight <= WEIGHT_MAX):
            raise RowError(
                _("Field “weight” must be between %(low)s and %(high)s.")
                % {"low": WEIGHT_MIN, "high": WEIGHT_MAX}
            )
        if row.properties is None:
            row.properties = {}
        if row.community is not None:
            row.community = row.community.strip().lower() or None
        return row

    def properties_json(self, row: Row) -> str:
        """The row's properties as JSON text; RowError when they hold a NUL character (which
        PostgreSQL's jsonb cannot store)."""
        if not row.properties:
            return "{}"
        encoded = self._encode(row.properties)
        if b"\\u0000" in encoded:
            raise RowError(
                _("Field “%(field)s” contains a NUL character.") % {"field": "properties"}
            )
        return encoded.decode()
