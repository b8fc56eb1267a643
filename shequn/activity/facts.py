"""Members' activity facts per community, in one pass over the activity stream (docs/recompute.md).

The recompute of stages and layers needs, for each member and community, counts in windows,
weighted activity, active weeks and last moments. `build_member_facts` gathers all of them in
ONE GROUP BY (member, community) over the activities of the members in `Members` into a
temporary table, `shequn_member_facts`; the ladder and the layers then read that small table
instead of the activity table. On PostgreSQL it is a `CREATE TEMP TABLE … AS SELECT`, which may
scan in parallel (an INSERT … SELECT may not). Windows are moments computed by the caller.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass

from django.db import connection

from shequn.core.sqlsets import Members, analyze, execute, tune_for_sets

FACTS = "shequn_member_facts"  # per member and community, the windows of the layers
MEMBER_FACTS = "shequn_member_totals"  # per member, all time (the ladder)
NOT_ENGAGEMENT = ("join", "leave")
SPEAKING_KINDS = ("message", "reply", "post", "comment")
PURCHASE = "purchase"
PURCHASE_COLUMN = "n_buy"


@dataclass(frozen=True)
class FactWindows:
    """The moments the facts count from."""

    short_since: datetime.datetime  # the ladder's "understands" window
    long_since: datetime.datetime  # the ladder's "familiar" window
    layer_since: Mapping[str, datetime.datetime]  # each community kind's layer window
    weeks: tuple[datetime.datetime, datetime.datetime, datetime.datetime, datetime.datetime]
    # The earliest moment the layers look back to (their windows, the lurker's and the
    # dormant's silence); None: all time.
    layer_lookback: datetime.datetime | None = None
    # Per-member counts for rule tags: (column, SQL condition on `a`, its parameters, window
    # start or None), in the all-time table.
    extra: tuple[tuple[str, str, tuple[object, ...], datetime.datetime | None], ...] = ()


def score_columns(layer_since: Mapping[str, datetime.datetime]) -> list[datetime.datetime]:
    """The distinct layer windows, oldest first: the facts table has one score column each
    (`score_0`, `score_1`, …), so the pass needs no community kind."""
    return sorted(set(layer_since.values()))


def score_sql(layer_since: Mapping[str, datetime.datetime], facts: str, community: str) -> str:
    """The weighted activity of a facts row in its community kind's window, as SQL."""
    moments = score_columns(layer_since)
    if not moments:
        return "0"
    if len(moments) == 1:
        return f"{facts}.score_0"
    whens = " ".join(
        f"WHEN '{kind}' THEN {facts}.score_{moments.index(since)}"
        for kind, since in sorted(layer_since.items())
    )
    return f"(CASE {community}.kind {whens} ELSE 0 END)"


def build_member_facts(
    organization_id: int, members: Members, as_of: datetime.datetime, windows: FactWindows
) -> int:
    """(Re)create the facts tables for `members`; how many (member, community) rows.

    ONE GROUP BY (member, community) reads the activities since the earliest window (the
    layers' look-back, the ladder's windows, the rule tags' windows) and, from all time, only
    the kinds the all-time counts need (purchases, the rule tags' event and custom kinds).
    The per-member table sums it; for a member silent in the windows, the last engagement and
    whether there is any activity at all are one backward step of activity_member_time."""
    drop_member_facts()
    tune_for_sets()
    scope, scope_params = members.sql("a.member_id")
    eng = "a.kind NOT IN ({})".format(", ".join(f"'{k}'" for k in NOT_ENGAGEMENT))
    speaking = ", ".join(f"'{k}'" for k in SPEAKING_KINDS)
    moments = score_columns(windows.layer_since)
    columns = "".join(
        f", CAST(SUM(CASE WHEN a.occurred_at >= %s THEN a.weight ELSE 0 END) AS integer)"
        f" AS score_{i}"
        for i in range(len(moments))
    )
    params: list[object] = [*moments]
    for name, condition, cond_params, since in _counted(windows):
        window = " AND a.occurred_at >= %s" if since is not None else ""
        columns += (
            f", CAST(SUM(CASE WHEN {condition}{window} THEN 1 ELSE 0 END) AS integer) AS {name}"
        )
        params += [*cond_params, *([since] if since is not None else [])]
    w1, w2, w3, w4 = windows.weeks
    earliest = min(
        windows.layer_lookback or datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC),
        windows.short_since,
        windows.long_since,
        *(x[3] for x in windows.extra if x[3] is not None),
    )
    alltime_kinds = sorted({str(x[2][0]) for x in _counted(windows) if x[3] is None})
    sql = f"""
        CREATE TEMP TABLE {FACTS} AS
        SELECT a.member_id AS member_id, COALESCE(a.community_id, 0) AS community_id
          {columns},
          MAX(CASE WHEN a.occurred_at >= %s THEN 1 ELSE 0 END)
          + MAX(CASE WHEN a.occurred_at >= %s AND a.occurred_at < %s THEN 1 ELSE 0 END)
          + MAX(CASE WHEN a.occurred_at >= %s AND a.occurred_at < %s THEN 1 ELSE 0 END)
          + MAX(CASE WHEN a.occurred_at >= %s AND a.occurred_at < %s THEN 1 ELSE 0 END)
            AS weeks,
          MAX(CASE WHEN a.occurred_at >= %s THEN a.occurred_at END) AS last_active,
          MAX(CASE WHEN a.kind IN ({speaking}) AND a.occurred_at >= %s THEN a.occurred_at END)
            AS last_message,
          CAST(SUM(CASE WHEN a.occurred_at >= %s THEN 1 ELSE 0 END) AS integer) AS n_short,
          CAST(SUM(CASE WHEN a.occurred_at >= %s THEN 1 ELSE 0 END) AS integer) AS n_long
        FROM activity_activity a
        WHERE a.organization_id = %s AND {scope} AND a.occurred_at <= %s AND {eng}
          AND (a.occurred_at >= %s OR a.kind IN ({", ".join(["%s"] * len(alltime_kinds))}))
        GROUP BY a.member_id, COALESCE(a.community_id, 0)
    """  # noqa: S608 - constants and placeholders only
    params += [w1, w2, w1, w3, w2, w4, w3, earliest, earliest]
    params += [windows.short_since, windows.long_since]
    params += [organization_id, *scope_params, as_of, earliest, *alltime_kinds]
    execute(sql, params)
    analyze(FACTS)
    _build_member_totals(organization_id, members, as_of, windows)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {FACTS}")  # noqa: S608
        return int(cursor.fetchone()[0])


def _counted(
    windows: FactWindows,
) -> list[tuple[str, str, tuple[object, ...], datetime.datetime | None]]:
    """The per-member counts besides the windows': purchases (all time) and the rule tags'."""
    return [(PURCHASE_COLUMN, "a.kind = %s", (PURCHASE,), None), *windows.extra]


def _build_member_totals(
    organization_id: int, members: Members, as_of: datetime.datetime, windows: FactWindows
) -> None:
    """Per member: the facts summed over communities; for a member without engagement in
    the windows, the last one before (one backward step of activity_member_time), and
    whether the member has any activity at all (`has_activity`, 0 or 1)."""
    m_scope, m_params = members.sql("m.id")
    eng = "a.kind NOT IN ({})".format(", ".join(f"'{k}'" for k in NOT_ENGAGEMENT))
    names = [name for name, *_rest in _counted(windows)]
    sums = "".join(f", CAST(SUM(f.{name}) AS integer) AS {name}" for name in names)
    cols = "".join(f", COALESCE(w.{name}, 0) AS {name}" for name in names)
    sql = f"""
        CREATE TEMP TABLE {MEMBER_FACTS} AS
        SELECT m.id AS member_id,
          COALESCE(w.n_short, 0) AS n_short, COALESCE(w.n_long, 0) AS n_long,
          CASE WHEN w.last_active IS NOT NULL THEN w.last_active ELSE (
            SELECT MAX(a.occurred_at) FROM activity_activity a
            WHERE a.member_id = m.id AND {eng} AND a.occurred_at <= %s) END AS last_active,
          CASE WHEN w.member_id IS NOT NULL THEN 1 WHEN EXISTS (
            SELECT 1 FROM activity_activity a
            WHERE a.member_id = m.id AND a.occurred_at <= %s) THEN 1 ELSE 0 END
            AS has_activity
          {cols}
        FROM members_member m
        LEFT JOIN (
          SELECT f.member_id AS member_id, CAST(SUM(f.n_short) AS integer) AS n_short,
            CAST(SUM(f.n_long) AS integer) AS n_long,
            MAX(f.last_active) AS last_active{sums}
          FROM {FACTS} f GROUP BY f.member_id
        ) w ON w.member_id = m.id
        WHERE m.organization_id = %s AND {m_scope}
    """  # noqa: S608 - constants and placeholders only
    execute(sql, [as_of, as_of, organization_id, *m_params])
    analyze(MEMBER_FACTS)


def drop_member_facts() -> None:
    execute(f"DROP TABLE IF EXISTS {FACTS}")
    execute(f"DROP TABLE IF EXISTS {MEMBER_FACTS}")
