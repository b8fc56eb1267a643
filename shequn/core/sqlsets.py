"""Set-based SQL shared by the recomputes (stages, layers, rule tags): one statement per step
over a temporary table, the same text on SQLite and PostgreSQL wherever both accept it.

`Members` names the members a computation covers: an id range (a full run goes through the
organisation in parts) or a list of ids (the incremental run). Its `sql(column)` is a condition
with `%s` parameters for Django's cursor.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection


@dataclass(frozen=True)
class Members:
    """Members `lo`…`hi` (by id, both included), or exactly `ids` when given."""

    lo: int = 0
    hi: int = 2**62
    ids: tuple[int, ...] | None = None

    def sql(self, column: str) -> tuple[str, list[Any]]:
        if self.ids is not None:
            if not self.ids:
                return "1 = 0", []
            return f"{column} IN ({', '.join(['%s'] * len(self.ids))})", list(self.ids)
        return f"{column} BETWEEN %s AND %s", [self.lo, self.hi]


def distinct(a: str, b: str) -> str:
    """A null-safe "differs" between two SQL expressions."""
    if connection.vendor == "postgresql":
        return f"{a} IS DISTINCT FROM {b}"
    return f"{a} IS NOT {b}"


def temp_table(name: str, columns: str) -> None:
    """Create (or empty) a temporary table for this connection."""
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {name} ({columns})")
        cursor.execute(f"DELETE FROM {name}")  # noqa: S608 - a constant name


def timestamp_type() -> str:
    """The column type of a moment in a temporary table."""
    return "timestamptz" if connection.vendor == "postgresql" else "text"


def _params(params: Sequence[Any]) -> list[Any]:
    """Moments as each database stores them (SQLite: UTC text, as Django writes it)."""
    if connection.vendor != "sqlite":
        return list(params)
    return [
        str(p.astimezone(datetime.UTC).replace(tzinfo=None))
        if isinstance(p, datetime.datetime) and p.tzinfo is not None
        else p
        for p in params
    ]


def execute(sql: str, params: Sequence[Any] = ()) -> int:
    """Run one statement; the number of rows it wrote."""
    with connection.cursor() as cursor:
        cursor.execute(sql, _params(params))
        return int(cursor.rowcount or 0)


def fetch(sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, _params(params))
        return list(cursor.fetchall())


def day_start(as_of: datetime.datetime, days_back: int, time_zone: str) -> datetime.datetime:
    """The start (local midnight, in the organisation's zone) of the day `days_back` days
    before the day of `as_of`: the start of a window of `days_back + 1` calendar days that
    ends with today."""
    zone = ZoneInfo(time_zone)
    local = as_of.astimezone(zone).date() - datetime.timedelta(days=days_back)
    return datetime.datetime.combine(local, datetime.time.min, tzinfo=zone)


def window_start(as_of: datetime.datetime, days: int, time_zone: str) -> datetime.datetime:
    """The start of the window of the last `days` calendar days (today included)."""
    return day_start(as_of, max(days, 1) - 1, time_zone)


def analyze(name: str) -> None:
    """Give PostgreSQL the statistics of a temporary table just filled (autovacuum never
    analyses temporary tables, and a plan for an "empty" table is a poor plan)."""
    if connection.vendor == "postgresql":
        execute(f"ANALYZE {name}")


def tune_for_sets() -> None:
    """Inside a transaction on PostgreSQL: room for the hash aggregates and joins of a
    recompute in memory (the default 4 MB spills a 100,000-member GROUP BY to disk) and no JIT
    (its compile time outweighs what it saves on statements of a second). Ends with the
    transaction."""
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        execute("SET LOCAL work_mem = '64MB'")
        execute("SET LOCAL jit = off")
