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

from shequn.core.sqlsets import Members, execute

FACTS = "shequn_member_facts"  # per member and community, the windows of the layers
MEMBER_FACTS = "shequn_member_totals"  # per member, all time (the ladder)
NOT_ENGAGEMENT = ("join", "leave")
SPEAKING_KINDS = ("message", "reply", "post", "comment")
PURCHASE = "purchase"


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


def build_member_facts(
    organization_id: int, members: Members, as_of: datetime.datetime, windows: FactWindows
) -> int:
    """(Re)create the facts table for `members`; how many (member, community) rows."""
    drop_member_facts()
    scope, scope_params = members.sql("a.member_id")
    eng = "a.kind NOT IN ({})".format(", ".join(f"'{k}'" for k in NOT_ENGAGEMENT))
    speaking = ", ".join(f"'{k}'" for k in SPEAKING_KINDS)
    kinds = sorted(windows.layer_since)
    layer_since = (
        "CASE c.kind " + " ".join("WHEN %s THEN %s" for _ in kinds) + " ELSE %s END"
        if kinds
        else "%s"
    )
    layer_params: list[object] = []
    for kind in kinds:
        layer_params += [kind, windows.layer_since[kind]]
    layer_params.append(as_of)  # a kind without a window: nothing counts
    extra_columns = ""
    extra_params: list[object] = []
    for name, condition, cond_params, since in windows.extra:
        window = " AND a.occurred_at >= %s" if since is not None else ""
        extra_columns += f", SUM(CASE WHEN {condition}{window} THEN 1 ELSE 0 END) AS {name}"
        extra_params += [*cond_params, *([since] if since is not None else [])]
    w1, w2, w3, w4 = windows.weeks
    # Older activities than the layers look back to matter only to the member's all-time
    # facts, so the per-community pass reads the window only.
    earliest = windows.layer_lookback or datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
    sql = f"""
        CREATE TEMP TABLE {MEMBER_FACTS} AS
        SELECT a.member_id AS member_id,
          SUM(CASE WHEN {eng} AND a.occurred_at >= %s THEN 1 ELSE 0 END) AS n_short,
          SUM(CASE WHEN {eng} AND a.occurred_at >= %s THEN 1 ELSE 0 END) AS n_long,
          SUM(CASE WHEN a.kind = '{PURCHASE}' THEN 1 ELSE 0 END) AS n_buy,
          MAX(CASE WHEN {eng} THEN a.occurred_at END) AS last_active
          {extra_columns}
        FROM activity_activity a
        WHERE a.organization_id = %s AND {scope} AND a.occurred_at <= %s
        GROUP BY a.member_id
    """  # noqa: S608 - constants and placeholders only
    execute(
        sql,
        [
            windows.short_since,
            windows.long_since,
            *extra_params,
            organization_id,
            *scope_params,
            as_of,
        ],
    )
    sql = f"""
        CREATE TEMP TABLE {FACTS} AS
        SELECT a.member_id AS member_id, COALESCE(a.community_id, 0) AS community_id,
          SUM(CASE WHEN a.occurred_at >= {layer_since} THEN a.weight ELSE 0 END) AS score,
          MAX(CASE WHEN a.occurred_at >= %s THEN 1 ELSE 0 END)
          + MAX(CASE WHEN a.occurred_at >= %s AND a.occurred_at < %s THEN 1 ELSE 0 END)
          + MAX(CASE WHEN a.occurred_at >= %s AND a.occurred_at < %s THEN 1 ELSE 0 END)
          + MAX(CASE WHEN a.occurred_at >= %s AND a.occurred_at < %s THEN 1 ELSE 0 END)
            AS weeks,
          MAX(a.occurred_at) AS last_active,
          MAX(CASE WHEN a.kind IN ({speaking}) THEN a.occurred_at END) AS last_message
        FROM activity_activity a
        LEFT JOIN organizations_community c ON c.id = a.community_id
        WHERE a.organization_id = %s AND {scope} AND a.occurred_at >= %s
          AND a.occurred_at <= %s AND {eng}
        GROUP BY a.member_id, COALESCE(a.community_id, 0)
    """  # noqa: S608 - constants and placeholders only
    params: list[object] = [
        *layer_params,
        w1,
        w2,
        w1,
        w3,
        w2,
        w4,
        w3,
        organization_id,
        *scope_params,
        earliest,
        as_of,
    ]
    execute(sql, params)
    execute(f"CREATE INDEX {MEMBER_FACTS}_key ON {MEMBER_FACTS} (member_id)")
    execute(f"CREATE INDEX {FACTS}_key ON {FACTS} (member_id, community_id)")
    if connection.vendor == "postgresql":
        execute(f"ANALYZE {FACTS}")
        execute(f"ANALYZE {MEMBER_FACTS}")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {FACTS}")  # noqa: S608
        return int(cursor.fetchone()[0])


def drop_member_facts() -> None:
    execute(f"DROP TABLE IF EXISTS {FACTS}")
    execute(f"DROP TABLE IF EXISTS {MEMBER_FACTS}")
