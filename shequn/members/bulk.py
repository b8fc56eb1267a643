"""Members and identities in bulk: resolving thousands of channel accounts in a few queries.

The ingestion service (shequn.activity.services) meets each activity's actor as a channel
account (channel + the channel's id of the person). `resolve_identities` finds the known
ones with one query and creates the unknown ones — a Member and its Identity each — with a
few bulk inserts, cleaning them the way `create_member` / `add_identity` do: the name loses
control characters (shequn.core.text), the sort key is the pinyin key
(shequn.core.collation), the name pieces of the short-name search are written
(shequn.members.search), the email is lower-cased and kept only when valid, the phone is
stored in E.164 (shequn.members.phones) and kept only when valid, and what the channel sent
stays whole in `raw_profile`.

A member created here has no phone or email on the member record itself (those are what an
operator recorded): the channel's are on the identity, where identity merge compares them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import connection
from django.db.models import Model, Q
from django.utils import timezone

from shequn.core.collation import sort_key_for
from shequn.core.text import clean_name
from shequn.members.models import DISPLAY_NAME_MAX_LENGTH, Identity, Member, MemberNameGram
from shequn.members.phones import normalize_phone
from shequn.members.search import name_grams
from shequn.organizations.models import Organization

BULK_BATCH_SIZE = 5000
# Most channel ids in one lookup query (well below SQLite's limit of bound parameters).
LOOKUP_CHUNK = 10_000
USERNAME_MAX_LENGTH = 64
UNION_ID_MAX_LENGTH = 64
AVATAR_URL_MAX_LENGTH = 500
EMAIL_MAX_LENGTH = 254

AccountKey = tuple[str, str]  # (channel, external id)


@dataclass
class AccountProfile:
    """What a channel tells about one of its accounts (any field may be empty)."""

    display_name: str = ""
    username: str = ""
    email: str = ""
    phone: str = ""
    avatar_url: str = ""
    union_id: str = ""
    raw: Mapping[str, Any] = field(default_factory=dict)
    chapter_id: int | None = None  # the new member's home chapter, if one is created


@dataclass(frozen=True)
class ResolvedAccount:
    member_id: int
    identity_id: int


def _lock_organization(organization_id: int) -> None:
    """Serialise the creation of members of one organisation (shequn.members.services does
    the same): of two batches naming the same new account, the second waits, then finds it."""
    list(Organization.objects.select_for_update().filter(pk=organization_id).values("pk"))


def find_identities(
    *, organization_id: int, keys: Iterable[AccountKey]
) -> dict[AccountKey, ResolvedAccount]:
    """The known accounts among `keys`: on PostgreSQL one query joining the identities to the
    keys as two arrays (served by the unique index); elsewhere one query per LOOKUP_CHUNK."""
    if connection.vendor == "postgresql":
        return _find_identities_postgresql(organization_id, keys)
    by_channel: dict[str, list[str]] = {}
    for channel, external_id in keys:
        by_channel.setdefault(channel, []).append(external_id)
    found: dict[AccountKey, ResolvedAccount] = {}
    pending = list(by_channel.items())
    while pending:
        condition = Q()
        budget = LOOKUP_CHUNK
        while pending and budget > 0:
            channel, ids = pending.pop()
            taken, rest = ids[:budget], ids[budget:]
            if rest:
                pending.append((channel, rest))
            budget -= len(taken)
            condition |= Q(channel=channel, external_id__in=taken)
        rows = (
            Identity.objects.filter(condition, organization_id=organization_id)
            .order_by()
            .values_list("channel", "external_id", "member_id", "pk")
        )
        for channel, external_id, member_id, pk in rows:
            found[channel, external_id] = ResolvedAccount(member_id=member_id, identity_id=pk)
    return found


def _find_identities_postgresql(
    organization_id: int, keys: Iterable[AccountKey]
) -> dict[AccountKey, ResolvedAccount]:
    channels: list[str] = []
    external_ids: list[str] = []
    for channel, external_id in keys:
        channels.append(channel)
        external_ids.append(external_id)
    if not channels:
        return {}
    table = Identity._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT i.channel, i.external_id, i.member_id, i.id FROM {table} i "  # noqa: S608
            "JOIN unnest(%s::text[], %s::text[]) AS k(channel, external_id) "
            "ON i.channel = k.channel AND i.external_id = k.external_id "
            "WHERE i.organization_id = %s",
            [channels, external_ids, organization_id],
        )
        return {
            (channel, external_id): ResolvedAccount(member_id=member_id, identity_id=pk)
            for channel, external_id, member_id, pk in cursor.fetchall()
        }


def _clean_email(value: str) -> str:
    value = value.strip().lower()
    if not value or len(value) > EMAIL_MAX_LENGTH:
        return ""
    try:
        validate_email(value)
    except ValidationError:
        return ""
    return value


def _clean_phone(value: str) -> str:
    try:
        return normalize_phone(value)
    except ValidationError:
        return ""


_url = URLValidator(schemes=["http", "https"])


def _clean_url(value: str) -> str:
    value = value.strip()
    if not value or len(value) > AVATAR_URL_MAX_LENGTH:
        return ""
    try:
        _url(value)
    except ValidationError:
        return ""
    return value


def _display_name(key: AccountKey, profile: AccountProfile) -> str:
    for candidate in (profile.display_name, profile.username, key[1]):
        name = clean_name(candidate or "")[:DISPLAY_NAME_MAX_LENGTH].strip()
        if name:
            return name
    return key[1][:DISPLAY_NAME_MAX_LENGTH]


def _allocate_ids(table: str, count: int) -> list[int]:
    """`count` fresh primary keys of `table` (inside the caller's write transaction)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                (table, count),
            )
            return [row[0] for row in cursor.fetchall()]
        # SQLite: the transaction holds the database's write lock (IMMEDIATE), so nobody
        # else takes ids meanwhile; past both the largest id and AUTOINCREMENT's high mark.
        cursor.execute(
            f"SELECT MAX(COALESCE((SELECT MAX(id) FROM {table}), 0), "  # noqa: S608 - a model's table
            "COALESCE((SELECT seq FROM sqlite_sequence WHERE name = %s), 0))",
            (table,),
        )
        first = int(cursor.fetchone()[0]) + 1
        return list(range(first, first + count))


def _bulk_insert(model: type[Model], rows: list[dict[str, Any]], *, with_ids: bool) -> list[int]:
    """Insert `rows` (field name → value; every other field takes its default) with one COPY
    (PostgreSQL) or executemany (SQLite), without building model instances. With `with_ids`,
    each row gets a fresh id, returned in order."""
    if not rows:
        return []
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    given = set(rows[0])
    now = timezone.now()
    sqlite = connection.vendor == "sqlite"
    constants: dict[str, Any] = {}
    for f in fields:
        if f.name in given:
            continue
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            value: Any = now
        else:
            value = f.get_default()
        constants[f.name] = f.get_db_prep_save(value, connection)
    json_fields = {f.name for f in fields if f.get_internal_type() == "JSONField"}
    ids = _allocate_ids(model._meta.db_table, len(rows)) if with_ids else []
    names = [f.name for f in fields]
    columns = [str(f.column) for f in fields]
    values = []
    for position, row in enumerate(rows):
        item: list[Any] = [ids[position]] if with_ids else []
        for name in names:
            if name in constants:
                item.append(constants[name])
            elif name in json_fields:
                item.append(json.dumps(row[name], ensure_ascii=False))
            else:
                item.append(row[name])
        values.append(item)
    if with_ids:
        columns = ["id", *columns]
    table = model._meta.db_table
    column_list = ", ".join(connection.ops.quote_name(c) for c in columns)
    if sqlite:
        for item in values:
            for i, value in enumerate(item):
                if isinstance(value, datetime):
                    item[i] = connection.ops.adapt_datetimefield_value(value)
        marks = ", ".join("?" * len(columns))
        connection.ensure_connection()
        connection.connection.executemany(
            f"INSERT INTO {table} ({column_list}) VALUES ({marks})",  # noqa: S608 - model's table
            values,
        )
    else:
        with connection.cursor() as wrapper:
            copy_sql = f"COPY {table} ({column_list}) FROM STDIN"
            with wrapper.cursor.copy(copy_sql) as copy:
                for item in values:
                    copy.write_row(item)
    return ids


def create_accounts(
    *, organization_id: int, accounts: Mapping[AccountKey, AccountProfile]
) -> dict[AccountKey, ResolvedAccount]:
    """A new Member with one Identity for each account (the caller made sure they are new)."""
    if not accounts:
        return {}
    keys = list(accounts)
    members: list[dict[str, Any]] = []
    for key in keys:
        profile = accounts[key]
        name = _display_name(key, profile)
        members.append(
            {
                "organization": organization_id,
                "chapter": profile.chapter_id,
                "display_name": name,
                "sort_key": sort_key_for(name),
            }
        )
    member_ids = _bulk_insert(Member, members, with_ids=True)
    identities: list[dict[str, Any]] = []
    grams: list[dict[str, Any]] = []
    for key, member, member_id in zip(keys, members, member_ids, strict=True):
        profile = accounts[key]
        identities.append(
            {
                "organization": organization_id,
                "member": member_id,
                "channel": key[0],
                "external_id": key[1],
                "display_name": member["display_name"],
                "username": clean_name(profile.username or "")[:USERNAME_MAX_LENGTH],
                "email": _clean_email(profile.email or ""),
                "phone": _clean_phone(profile.phone or ""),
                "avatar_url": _clean_url(profile.avatar_url or ""),
                "union_id": (profile.union_id or "").strip()[:UNION_ID_MAX_LENGTH],
                "raw_profile": dict(profile.raw),
            }
        )
        grams.extend(
            {
                "member": member_id,
                "gram": gram,
                "organization": organization_id,
                "sort_key": member["sort_key"],
            }
            for gram in sorted(name_grams(member["display_name"]))
        )
    identity_ids = _bulk_insert(Identity, identities, with_ids=True)
    _bulk_insert(MemberNameGram, grams, with_ids=False)
    return {
        key: ResolvedAccount(member_id=member_id, identity_id=identity_id)
        for key, member_id, identity_id in zip(keys, member_ids, identity_ids, strict=True)
    }


def resolve_identities(
    *,
    organization_id: int,
    accounts: Iterable[AccountKey],
    profile_of: Callable[[AccountKey], AccountProfile],
    create: bool = True,
) -> tuple[dict[AccountKey, ResolvedAccount], int]:
    """Every account's member and identity, and how many were created: unknown ones are
    created when `create`, from `profile_of(key)` (asked only for the unknown ones).

    One lookup query for all of them; when some are unknown, the organisation row is locked
    and those are looked up again (a concurrent batch may just have created them) before the
    rest are created. Runs inside the caller's transaction.
    """
    keys = list(accounts)
    found = find_identities(organization_id=organization_id, keys=keys)
    missing = [key for key in keys if key not in found]
    if not missing or not create:
        return found, 0
    _lock_organization(organization_id)
    found.update(find_identities(organization_id=organization_id, keys=missing))
    created = create_accounts(
        organization_id=organization_id,
        accounts={key: profile_of(key) for key in missing if key not in found},
    )
    found.update(created)
    return found, len(created)
