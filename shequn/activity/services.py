"""The one way activities are written: `ingest_activities` (docs/activities.md).

Every source calls it — the API, the import command and console uploads, shequn's own events
(joins and leaves) and channel connectors. One call is one transaction of up to
MAX_BATCH_ROWS rows in the interchange format (shequn.activity.interchange):

1. each row is decoded and checked (msgspec); a bad row is rejected with a translated reason
   and the index it had, the others go on;
2. the rows' communities are looked up by slug in one query and checked against the actor's
   scope; a second row with the same (channel, id) as an earlier one of the batch is a
   duplicate (the first wins);
3. the actors are resolved to identities in bulk (shequn.members.bulk), creating the
   unknown ones;
4. the rows go into a temporary staging table — COPY on PostgreSQL, executemany on SQLite —
   and one `INSERT … SELECT … ON CONFLICT (organization, channel, external_id) DO NOTHING`
   stores those not stored before;
5. the new join and leave activities update the memberships they concern
   (shequn.activity.memberships).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import msgspec
from django.db import connection, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _
from psycopg.types.json import Jsonb

from shequn.activity.interchange import MEMBERSHIP_KINDS, Row, RowDecoder, RowError
from shequn.activity.models import ActivityKind, ActivitySource
from shequn.activity.signals import send_activities_ingested
from shequn.members.bulk import AccountKey, AccountProfile, ResolvedAccount, resolve_identities
from shequn.members.models import Channel, Identity, Member, Membership, MembershipStatus
from shequn.organizations.models import Community, Organization

if TYPE_CHECKING:
    from shequn.accounts.selectors import OperatorScope

MAX_BATCH_ROWS = 10_000
# Up to this many rows, one INSERT … VALUES; beyond, through the staging table.
DIRECT_INSERT_ROWS = 20
STAGE_TABLE = "shequn_activity_stage"
_STAGE_COLUMNS = (
    "ord",
    "community_id",
    "member_id",
    "identity_id",
    "channel",
    "kind",
    "occurred_at",
    "external_id",
    "text",
    "reply_to",
    "weight",
    "properties",
)
_PG_STAGE_DDL = (
    f"CREATE TEMP TABLE IF NOT EXISTS {STAGE_TABLE} ("
    "ord integer NOT NULL, community_id bigint, member_id bigint NOT NULL, identity_id bigint, "
    "channel varchar(20) NOT NULL, kind varchar(20) NOT NULL, "
    "occurred_at timestamptz NOT NULL, external_id varchar(128) NOT NULL, text text NOT NULL, "
    "reply_to varchar(128) NOT NULL, weight smallint NOT NULL, properties jsonb NOT NULL"
    ") ON COMMIT DELETE ROWS"
)
_SQLITE_STAGE_DDL = (
    f"CREATE TEMP TABLE IF NOT EXISTS {STAGE_TABLE} ("
    "ord integer NOT NULL, community_id integer, member_id integer NOT NULL, "
    "identity_id integer, channel text NOT NULL, kind text NOT NULL, occurred_at text NOT NULL, "
    "external_id text NOT NULL, text text NOT NULL, reply_to text NOT NULL, "
    "weight integer NOT NULL, properties text NOT NULL)"
)
_INSERT_COLUMNS = (
    "organization_id, community_id, member_id, identity_id, channel, kind, occurred_at, "
    "external_id, text, reply_to, weight, properties, source, created_at"
)
_SELECT_COLUMNS = (
    "community_id, member_id, identity_id, channel, kind, occurred_at, external_id, text, "
    "reply_to, weight, properties"
)


class BatchTooLargeError(ValueError):
    """More than MAX_BATCH_ROWS rows in one call (the API answers 413)."""


@dataclass(frozen=True)
class Rejected:
    index: int  # position of the row in `rows`, plus `first_index`
    reason: str  # translated, in the active language


@dataclass
class IngestResult:
    new: int = 0
    duplicate: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    # Members (each with their identity) created for actors seen for the first time.
    members_created: int = 0

    def add(self, other: IngestResult) -> None:
        """Add another batch's counts (for callers that ingest a file batch by batch)."""
        self.new += other.new
        self.duplicate += other.duplicate
        self.rejected.extend(other.rejected)
        self.members_created += other.members_created


@dataclass(frozen=True)
class _Community:
    pk: int
    chapter_id: int | None


@dataclass
class _Staged:
    """A row that passed every check, waiting for its actor's ids."""

    index: int
    row: Row
    raw: bytes | str | Mapping[str, Any]
    community: _Community | None
    properties: str


class _Communities:
    """The organisation's communities named by a batch, by slug (one query) and in scope."""

    def __init__(
        self,
        organization: Organization,
        actor: OperatorScope | None,
        default: Community | None,
    ) -> None:
        self.organization = organization
        self.actor = actor
        self.default = _Community(default.pk, default.chapter_id) if default else None
        self.by_slug: dict[str, _Community] = {}

    def load(self, slugs: set[str]) -> None:
        if not slugs:
            return
        rows = (
            Community.objects.filter(organization_id=self.organization.pk)
            .annotate(slug_lower=Lower("slug"))
            .filter(slug_lower__in=sorted(slugs))
            .order_by()
            .values_list("slug_lower", "pk", "chapter_id")
        )
        for slug, pk, chapter_id in rows:
            self.by_slug[slug] = _Community(pk, chapter_id)

    def resolve(self, row: Row) -> _Community | None:
        """The row's community (None: organisation-wide), or RowError."""
        if row.community is None:
            community = self.default
        else:
            found = self.by_slug.get(row.community)
            if found is None:
                raise RowError(_("Unknown community: %(slug)s") % {"slug": row.community[:64]})
            community = found
        if community is None and row.kind in MEMBERSHIP_KINDS:
            raise RowError(_("A join or leave activity needs a community."))
        actor = self.actor
        if actor is not None and not actor.is_org_admin:
            if community is None:
                raise RowError(
                    _("Only an organisation admin may record activities without a community.")
                )
            if not actor.can_manage_members_of(community.pk, community.chapter_id):
                raise RowError(_("This community is not one you manage."))
        return community


def _profile(staged: _Staged) -> AccountProfile:
    """What the row says about its (new) actor; the raw actor object is kept whole."""
    raw_actor: Any = None
    raw = staged.raw
    try:
        parsed = msgspec.json.decode(raw) if isinstance(raw, (bytes, str)) else raw
        raw_actor = parsed.get("actor") if isinstance(parsed, Mapping) else None
    except msgspec.DecodeError:  # pragma: no cover - the row decoded before
        raw_actor = None
    actor = staged.row.actor
    return AccountProfile(
        display_name=actor.display_name or "",
        username=actor.username or "",
        email=actor.email or "",
        phone=actor.phone or "",
        avatar_url=actor.avatar_url or "",
        union_id=actor.union_id or "",
        raw=dict(raw_actor) if isinstance(raw_actor, Mapping) else {},
        chapter_id=staged.community.chapter_id if staged.community else None,
    )


def ingest_activities(
    *,
    organization: Organization,
    rows: Iterable[bytes | str | Mapping[str, Any]],
    source: str,
    actor: OperatorScope | None,
    default_community: Community | None = None,
    first_index: int = 0,
    member: Member | None = None,
) -> IngestResult:
    """Store the rows not stored before; count new, duplicate and rejected ones.

    `actor` is the operator on whose behalf (None: the system); a chapter head or assistant
    may only ingest into communities they manage. `member`, for shequn's own events about a
    known member (`record_membership_activity`): every row is theirs (their identity on the
    row's channel, when they have the one the row names), no member is created, and joins and
    leaves do not touch memberships (the caller has written them). BatchTooLargeError past
    MAX_BATCH_ROWS.
    """
    if source not in ActivitySource.values:
        raise ValueError(f"unknown activity source {source!r}")
    if actor is not None:
        actor.require(actor.organization.pk == organization.pk)
    if default_community is not None and default_community.organization_id != organization.pk:
        raise ValueError("default_community belongs to another organisation")
    with transaction.atomic():
        return _ingest(
            organization=organization,
            rows=rows,
            source=source,
            actor=actor,
            default_community=default_community,
            first_index=first_index,
            member=member,
        )


def _ingest(
    *,
    organization: Organization,
    rows: Iterable[bytes | str | Mapping[str, Any]],
    source: str,
    actor: OperatorScope | None,
    default_community: Community | None,
    first_index: int,
    member: Member | None,
) -> IngestResult:
    result = IngestResult()
    decoder = RowDecoder(time_zone=organization.time_zone)
    decoded: list[tuple[int, Row, bytes | str | Mapping[str, Any]]] = []
    slugs: set[str] = set()
    count = 0
    for position, raw in enumerate(rows):
        count += 1
        if count > MAX_BATCH_ROWS:
            raise BatchTooLargeError(f"more than {MAX_BATCH_ROWS} rows in one batch")
        index = first_index + position
        try:
            row = decoder.decode(raw)
        except RowError as exc:
            result.rejected.append(Rejected(index, exc.reason))
            continue
        if row.community is not None:
            slugs.add(row.community)
        decoded.append((index, row, raw))

    communities = _Communities(organization, actor, default_community)
    communities.load(slugs)
    staged: list[_Staged] = []
    seen: set[tuple[str, str]] = set()
    accounts: dict[AccountKey, _Staged] = {}
    for index, row, raw in decoded:
        try:
            community = communities.resolve(row)
            properties = decoder.properties_json(row)
        except RowError as exc:
            result.rejected.append(Rejected(index, exc.reason))
            continue
        key = (row.channel, row.id)
        if key in seen:
            result.duplicate += 1
            continue
        seen.add(key)
        item = _Staged(index, row, raw, community, properties)
        staged.append(item)
        account = (row.channel, row.actor.external_id)
        if account not in accounts:
            accounts[account] = item
    if not staged:
        return result

    resolved, result.members_created = _resolve_actors(organization, accounts, member)
    new_ords = _store(organization, staged, resolved, source, member)
    new_count = len(new_ords) if isinstance(new_ords, list) else new_ords
    result.new = new_count
    result.duplicate += len(staged) - new_count
    if new_count:
        send_activities_ingested(
            organization.pk, (resolved_for(resolved, item, member)[0] for item in staged)
        )
    if isinstance(new_ords, list) and new_ords and member is None:
        from shequn.activity.memberships import MembershipEvent, apply_membership_events

        events = []
        for ord_ in new_ords:
            item = staged[ord_]
            if item.row.kind in MEMBERSHIP_KINDS and item.community is not None:
                member_id, _identity_id = resolved_for(resolved, item, member)
                events.append(
                    MembershipEvent(
                        member_id=member_id,
                        community_id=item.community.pk,
                        kind=item.row.kind,
                        occurred_at=item.row.occurred_at,
                        removed=bool((item.row.properties or {}).get("removed") is True),
                    )
                )
        apply_membership_events(events, source=source, actor=actor)
    return result


def resolved_for(
    resolved: Mapping[AccountKey, ResolvedAccount], item: _Staged, member: Member | None
) -> tuple[int, int | None]:
    account = resolved.get((item.row.channel, item.row.actor.external_id))
    if account is not None and (member is None or account.member_id == member.pk):
        return account.member_id, account.identity_id
    # resolve_identities created every other account
    assert member is not None
    return member.pk, None


def _resolve_actors(
    organization: Organization, accounts: Mapping[AccountKey, _Staged], member: Member | None
) -> tuple[dict[AccountKey, ResolvedAccount], int]:
    if member is not None:
        identities = Identity.objects.filter(
            member_id=member.pk, organization_id=organization.pk
        ).values_list("channel", "external_id", "pk")
        wanted = set(accounts)
        return {
            (channel, external_id): ResolvedAccount(member.pk, pk)
            for channel, external_id, pk in identities
            if (channel, external_id) in wanted
        }, 0
    return resolve_identities(
        organization_id=organization.pk,
        accounts=accounts,
        profile_of=lambda key: _profile(accounts[key]),
    )


def _stage_rows(
    staged: list[_Staged],
    resolved: Mapping[AccountKey, ResolvedAccount],
    member: Member | None,
    *,
    sqlite: bool,
) -> Iterable[tuple[Any, ...]]:
    for ord_, item in enumerate(staged):
        row = item.row
        member_id, identity_id = resolved_for(resolved, item, member)
        occurred_at: Any = row.occurred_at
        if sqlite:
            occurred_at = str(occurred_at.astimezone(UTC).replace(tzinfo=None))
        yield (
            ord_,
            item.community.pk if item.community else None,
            member_id,
            identity_id,
            row.channel,
            row.kind,
            occurred_at,
            row.id,
            row.text,
            row.reply_to,
            row.weight,
            item.properties,
        )


def _store(
    organization: Organization,
    staged: list[_Staged],
    resolved: Mapping[AccountKey, ResolvedAccount],
    source: str,
    member: Member | None,
) -> list[int] | int:
    """Stage and insert; the staged positions of the new rows (when any is a join or leave,
    whose effects need them), else how many are new."""
    returning = member is None and any(item.row.kind in MEMBERSHIP_KINDS for item in staged)
    now = timezone.now()
    connection.ensure_connection()
    if len(staged) <= DIRECT_INSERT_ROWS:
        return _store_direct(organization, staged, resolved, source, member, now, returning)
    if connection.vendor == "postgresql":
        return _store_postgresql(organization, staged, resolved, source, member, now, returning)
    return _store_sqlite(organization, staged, resolved, source, member, now, returning)


def _store_direct(
    organization: Organization,
    staged: list[_Staged],
    resolved: Mapping[AccountKey, ResolvedAccount],
    source: str,
    member: Member | None,
    now: datetime,
    returning: bool,
) -> list[int] | int:
    """A few rows (shequn's own events, small API calls): one INSERT … VALUES, no staging."""
    sqlite = connection.vendor == "sqlite"
    mark = "?" if sqlite else "%s"
    json_mark = mark if sqlite else "%s::jsonb"
    row_marks = f"({', '.join([mark] * 11)}, {json_mark}, {mark}, {mark})"
    stamp: Any = str(now.astimezone(UTC).replace(tzinfo=None)) if sqlite else now
    params: list[Any] = []
    for values in _stage_rows(staged, resolved, member, sqlite=sqlite):
        params.append(organization.pk)
        params.extend(values[1:])
        params.extend((source, stamp))
    sql = (
        f"INSERT INTO activity_activity ({_INSERT_COLUMNS}) VALUES "  # noqa: S608 - constant
        + ", ".join([row_marks] * len(staged))
        + " ON CONFLICT (organization_id, channel, external_id) DO NOTHING"
    )
    if sqlite:
        cursor = connection.connection.cursor()
    else:
        wrapper = connection.cursor()
        cursor = wrapper.cursor
    try:
        if returning:
            cursor.execute(sql + " RETURNING channel, external_id", params)
            return _new_positions(staged, cursor.fetchall())
        cursor.execute(sql, params)
        return int(cursor.rowcount)
    finally:
        cursor.close()


def _new_positions(staged: list[_Staged], keys: Iterable[tuple[str, str]]) -> list[int]:
    new = {(channel, external_id) for channel, external_id in keys}
    return [ord_ for ord_, item in enumerate(staged) if (item.row.channel, item.row.id) in new]


def _as_is(text: Any) -> str:
    return str(text)


def _store_postgresql(
    organization: Organization,
    staged: list[_Staged],
    resolved: Mapping[AccountKey, ResolvedAccount],
    source: str,
    member: Member | None,
    now: datetime,
    returning: bool,
) -> list[int] | int:
    with connection.cursor() as wrapper:
        cursor = wrapper.cursor  # psycopg's own cursor: COPY
        cursor.execute(_PG_STAGE_DDL)
        cursor.execute(f"TRUNCATE {STAGE_TABLE}")
        columns = ", ".join(_STAGE_COLUMNS)
        with cursor.copy(f"COPY {STAGE_TABLE} ({columns}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(
                [
                    "int4",
                    "int8",
                    "int8",
                    "int8",
                    "varchar",
                    "varchar",
                    "timestamptz",
                    "varchar",
                    "text",
                    "varchar",
                    "int2",
                    "jsonb",
                ]
            )
            for values in _stage_rows(staged, resolved, member, sqlite=False):
                # `properties` is JSON text already: sent as jsonb as it is (a plain str would
                # be encoded once more, into a JSON string).
                copy.write_row((*values[:-1], Jsonb(values[-1], dumps=_as_is)))
        sql = (
            f"INSERT INTO activity_activity ({_INSERT_COLUMNS}) "  # noqa: S608 - constant names
            f"SELECT %s, {_SELECT_COLUMNS}, %s, %s FROM {STAGE_TABLE} "
            "ON CONFLICT (organization_id, channel, external_id) DO NOTHING"
        )
        params = (organization.pk, source, now)
        if returning:
            cursor.execute(sql + " RETURNING channel, external_id", params)
            return _new_positions(staged, cursor.fetchall())
        cursor.execute(sql, params)
        return int(cursor.rowcount)


def _store_sqlite(
    organization: Organization,
    staged: list[_Staged],
    resolved: Mapping[AccountKey, ResolvedAccount],
    source: str,
    member: Member | None,
    now: datetime,
    returning: bool,
) -> list[int] | int:
    db = connection.connection
    cursor = db.cursor()
    stamp = str(now.astimezone(UTC).replace(tzinfo=None))
    try:
        if not returning:
            # Nothing to learn about single rows: straight into the table, one statement
            # repeated (SQLite has no cheaper bulk path; a staging table would write twice).
            marks = ", ".join("?" for _ in range(14))
            cursor.executemany(
                f"INSERT INTO activity_activity ({_INSERT_COLUMNS}) VALUES ({marks}) "  # noqa: S608
                "ON CONFLICT (organization_id, channel, external_id) DO NOTHING",
                (
                    (organization.pk, *values[1:], source, stamp)
                    for values in _stage_rows(staged, resolved, member, sqlite=True)
                ),
            )
            return int(cursor.rowcount)
        cursor.execute(_SQLITE_STAGE_DDL)
        cursor.execute(f"DELETE FROM {STAGE_TABLE}")  # noqa: S608
        marks = ", ".join("?" for _ in _STAGE_COLUMNS)
        cursor.executemany(
            f"INSERT INTO {STAGE_TABLE} ({', '.join(_STAGE_COLUMNS)}) VALUES ({marks})",  # noqa: S608
            _stage_rows(staged, resolved, member, sqlite=True),
        )
        sql = (
            f"INSERT INTO activity_activity ({_INSERT_COLUMNS}) "  # noqa: S608 - constant names
            f"SELECT ?, {_SELECT_COLUMNS}, ?, ? FROM {STAGE_TABLE} WHERE 1 "
            "ON CONFLICT (organization_id, channel, external_id) DO NOTHING"
        )
        params = (organization.pk, source, stamp)
        cursor.execute(sql + " RETURNING channel, external_id", params)
        new = _new_positions(staged, cursor.fetchall())
        cursor.execute(f"DELETE FROM {STAGE_TABLE}")  # noqa: S608
        return new
    finally:
        cursor.close()


def membership_event_id(kind: str, membership_pk: int, at: datetime) -> str:
    """The id of shequn's own join/leave activity: unique and the same on a second delivery."""
    return f"shequn:{kind}:{membership_pk}:{int(at.timestamp() * 1000)}"


def record_membership_activity(
    *,
    membership: Membership,
    organization: Organization,
    kind: str,
    at: datetime,
    properties: Mapping[str, Any] | None = None,
) -> IngestResult:
    """The join or leave activity of a membership change shequn itself made (console, member
    pages, sign-up), through `ingest_activities` in the caller's transaction.

    Channel web; the member's web identity when they have one. The membership is already what
    the activity says, so the ingestion's membership effect is a no-op: it is not run.
    """
    member = membership.member
    row = {
        "id": membership_event_id(kind, membership.pk, at),
        "channel": Channel.WEB,
        "kind": kind,
        "occurred_at": at,
        # The web identity's id is the account's id (shequn.members.services.sign_up_member).
        "actor": {"external_id": str(member.user_id or f"member:{member.pk}")},
        "properties": (
            {"removed": True}
            if kind == ActivityKind.LEAVE and membership.status == MembershipStatus.REMOVED
            else {}
        )
        | dict(properties or {}),
    }
    return ingest_activities(
        organization=organization,
        rows=[row],
        source=ActivitySource.APP,
        actor=None,
        default_community=membership.community,
        member=member,
    )


def record_app_activity(
    *,
    organization: Organization,
    member: Member,
    community: Community | None,
    kind: str,
    event_id: str,
    at: datetime,
    properties: Mapping[str, Any] | None = None,
    text: str = "",
) -> IngestResult:
    """An activity shequn itself records (an application decision, a payment), in the caller's
    transaction, through `ingest_activities`.

    `event_id` names the event for good ("application:12:approve:…"): recording it twice stores
    it once. Channel web, the member's web identity when they have one.
    """
    row = {
        "id": event_id,
        "channel": Channel.WEB,
        "kind": kind,
        "occurred_at": at,
        "actor": {"external_id": str(member.user_id or f"member:{member.pk}")},
        "properties": dict(properties or {}),
        "text": text,
    }
    return ingest_activities(
        organization=organization,
        rows=[row],
        source=ActivitySource.APP,
        actor=None,
        default_community=community,
        member=member,
    )
