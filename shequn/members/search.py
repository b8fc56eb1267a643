"""Member search (name, phone or email) through an index, whatever the organisation's size.

The index is built by migration members.0004: on SQLite an FTS5 table `members_member_search`
with the trigram tokenizer, kept in sync with members_member by triggers; on PostgreSQL GIN
trigram (pg_trgm) indexes on UPPER(display_name/phone/email), the expressions Django's
`icontains` compares. A trigram index cannot answer a query shorter than three characters, and
Chinese names are two or three: one- and two-character queries look up `MemberNameGram`, the
one- and two-character pieces of every name (names only: so short a piece of a phone number
or an email address would match nearly everyone).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import F, OrderBy, Q
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce

MIN_INDEXED_LENGTH = 3
# Up to this many matches, a list filters by their ids; beyond, by a subquery (see member_match).
MAX_LISTED_MATCHES = 2000
SQLITE_TABLE = "members_member_search"
_SQLITE_MATCH = "SELECT rowid FROM members_member_search WHERE members_member_search MATCH %s"
_SQLITE_TRIGGERS = {
    "members_member_search_ai": (
        "CREATE TRIGGER IF NOT EXISTS members_member_search_ai AFTER INSERT ON members_member "
        "BEGIN INSERT INTO members_member_search(rowid, display_name, phone, email) "
        "VALUES (new.id, new.display_name, new.phone, new.email); END"
    ),
    "members_member_search_ad": (
        "CREATE TRIGGER IF NOT EXISTS members_member_search_ad AFTER DELETE ON members_member "
        "BEGIN INSERT INTO members_member_search(members_member_search, rowid, display_name, "
        "phone, email) VALUES ('delete', old.id, old.display_name, old.phone, old.email); END"
    ),
    "members_member_search_au": (
        "CREATE TRIGGER IF NOT EXISTS members_member_search_au "
        "AFTER UPDATE OF display_name, phone, email ON members_member BEGIN "
        "INSERT INTO members_member_search(members_member_search, rowid, display_name, phone, "
        "email) VALUES ('delete', old.id, old.display_name, old.phone, old.email); "
        "INSERT INTO members_member_search(rowid, display_name, phone, email) "
        "VALUES (new.id, new.display_name, new.phone, new.email); END"
    ),
}


def _uses_fts(q: str, using: str = DEFAULT_DB_ALIAS) -> bool:
    return connections[using].vendor == "sqlite" and len(q) >= MIN_INDEXED_LENGTH


def _fts_phrase(q: str) -> str:
    return '"' + q.replace('"', '""') + '"'


class IdFilter(NamedTuple):
    """A filter, and whether it is a short literal list of ids (`listed`).

    A listed filter names few rows, but they may all sit at one end of the sort order (every
    余 sorts under "yu"): a planner that walks the sorted index to meet them would read most
    of the organisation. Lists then order by `unindexed_ordering`, which reads the few rows by
    id and sorts them.
    """

    q: Q
    listed: bool


def unindexed_ordering(fields: Sequence[str]) -> list[OrderBy]:
    """The same order as `fields`, as expressions no index can serve (COALESCE(a, a) = a)."""
    ordering = []
    for name in fields:
        column = name.lstrip("-")
        ordering.append(OrderBy(Coalesce(F(column), F(column)), descending=name.startswith("-")))
    return ordering


def member_match(q: str, *, field: str = "pk", max_listed: int = MAX_LISTED_MATCHES) -> IdFilter:
    """A filter for members whose name, phone or email contains `q` (case-insensitive).

    `field` names the member id in the filtered model: `"pk"` on Member, `"member_id"` on
    Membership. The matching ids are read from the index first (at most `max_listed` + 1):
    when they are few, the list is filtered by that literal id list, so the database looks up
    those rows instead of walking the whole organisation in sort order to find them; when they
    are many, the filter stays a subquery and the sorted walk meets matches at once. A list of
    far fewer rows than members (applications) passes a lower `max_listed`: a few thousand ids
    are a few thousand index probes there, most of them finding nothing.
    """
    matching = _matching_ids(q)
    ids = matching(max_listed + 1)
    if len(ids) <= max_listed:
        return IdFilter(Q(**{f"{field}__in": ids}), listed=True)
    return IdFilter(_match_subquery(q, field), listed=False)


def _matching_ids(q: str) -> Callable[[int], list[int]]:
    from shequn.members.models import Member, MemberNameGram

    if len(q) < MIN_INDEXED_LENGTH:
        grams = MemberNameGram.objects.filter(gram=q.strip().casefold()).order_by()
        return lambda limit: list(grams.values_list("member_id", flat=True)[:limit])
    if _uses_fts(q):

        def fts(limit: int) -> list[int]:
            with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
                cursor.execute(f"{_SQLITE_MATCH} LIMIT %s", (_fts_phrase(q), limit))
                return [row[0] for row in cursor.fetchall()]

        return fts
    members = Member.objects.filter(_contains(q)).order_by()  # any order: no sort
    return lambda limit: list(members.values_list("pk", flat=True)[:limit])


def short_name_query(q: str) -> str | None:
    """The name piece a query too short for trigrams looks up, or None for longer queries."""
    return q.strip().casefold() if len(q) < MIN_INDEXED_LENGTH else None


def _contains(q: str) -> Q:
    return Q(display_name__icontains=q) | Q(phone__icontains=q) | Q(email__icontains=q)


def _match_subquery(q: str, field: str) -> Q:
    from shequn.members.models import Member, MemberNameGram

    if len(q) < MIN_INDEXED_LENGTH:
        grams = MemberNameGram.objects.filter(gram=q.strip().casefold())
        return Q(**{f"{field}__in": grams.values("member_id")})
    if _uses_fts(q):
        # A constant statement; the query travels as a parameter.
        ids = RawSQL(_SQLITE_MATCH, (_fts_phrase(q),))  # noqa: S611
        return Q(**{f"{field}__in": ids})
    if field == "pk":
        return _contains(q)
    return Q(**{f"{field}__in": Member.objects.filter(_contains(q)).values("pk")})


_TRIGRAM_INDEXES = ("member_name_trgm", "member_phone_trgm", "member_email_trgm")
_ANALYZED_TABLES = (
    "members_member",
    "members_membership",
    "members_membernamegram",
    "members_identity",
    "organizations_community",
)


def refresh_planner_statistics(*, using: str = DEFAULT_DB_ALIAS) -> None:
    """ANALYZE, so the planner knows an organisation's filter matches many rows and a short
    list of matching ids few (SQLite keeps no statistics until asked; without them it walks
    the whole organisation in sort order to find one search result)."""
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("ANALYZE")
        elif connection.vendor == "postgresql":
            cursor.execute(f"ANALYZE {', '.join(_ANALYZED_TABLES)}")
            # Rows inserted in bulk wait in each GIN index's pending list, which every search
            # then reads through; autovacuum merges it eventually, this at once.
            for index in _TRIGRAM_INDEXES:
                cursor.execute(
                    "SELECT gin_clean_pending_list(c.oid) FROM pg_class c WHERE c.relname = %s",
                    (index,),
                )


def ensure_member_search_index(*, using: str = DEFAULT_DB_ALIAS, **_: Any) -> bool:
    """After `migrate` (post_migrate): the SQLite search triggers and planner statistics.

    Django's SQLite schema editor rebuilds a table (new table, copy, drop, rename) for many
    column changes, which drops its triggers: missing ones are recreated and the index rebuilt.
    Returns True when it had to repair. PostgreSQL indexes survive column changes, and its
    autovacuum keeps statistics.
    """
    connection = connections[using]
    if connection.vendor != "sqlite":
        return False
    refresh_planner_statistics(using=using)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger') AND name LIKE %s",
            (f"{SQLITE_TABLE}%",),
        )
        present = {row[0] for row in cursor.fetchall()}
        if SQLITE_TABLE not in present:
            return False  # migration members.0004 not applied (yet)
        missing = [sql for name, sql in _SQLITE_TRIGGERS.items() if name not in present]
        for sql in missing:
            cursor.execute(sql)
        if missing:
            rebuild_member_search_index(using=using)
    return bool(missing)


def rebuild_member_search_index(*, using: str = DEFAULT_DB_ALIAS) -> None:
    """Re-read every member into the SQLite search table (PostgreSQL indexes need nothing)."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {SQLITE_TABLE}({SQLITE_TABLE}) VALUES ('rebuild')")  # noqa: S608


def name_grams(name: str) -> set[str]:
    """The one- and two-character pieces of a name (case-folded, no spaces)."""
    text = name.strip().casefold()
    pieces = {text[i : i + n] for n in (1, 2) for i in range(len(text) - n + 1)}
    return {p for p in pieces if p.strip() == p and p}


def index_member_names(member_ids: Iterable[int]) -> None:
    """Rewrite the name pieces of these members from their current names, organisations and
    sort keys (call it after any of them changes)."""
    from shequn.members.models import Member, MemberNameGram

    ids = list(member_ids)
    for start in range(0, len(ids), 2000):
        chunk = ids[start : start + 2000]
        MemberNameGram.objects.filter(member_id__in=chunk).delete()
        members = Member.objects.filter(pk__in=chunk).values_list(
            "pk", "display_name", "organization_id", "sort_key"
        )
        rows = [
            MemberNameGram(member_id=pk, gram=gram, organization_id=org_id, sort_key=key)
            for pk, name, org_id, key in members
            for gram in sorted(name_grams(name))
        ]
        MemberNameGram.objects.bulk_create(rows, batch_size=5000)
