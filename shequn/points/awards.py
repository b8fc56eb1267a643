"""Awards from the activity stream, in sets (docs/points.md, "Awards").

`award_points` reads the organisation's activities after its `AwardCursor` in batches by id
and writes, in ONE statement per batch, an award (or a penalty) for every activity a rule
prices, then moves the balances of the members concerned by the sums of those entries:

- the rule: the community's own rule for the kind (and custom name) when it has one — a
  switched-off community rule means no points there — else the organisation's;
- once per activity, ever: the ledger's unique `activity_id` (a second delivery, a re-read,
  a second job at once: the row is not written twice);
- the cooldown of N minutes: at most one award per member, rule and N-minute slot of the
  clock (slots start at 00:00 UTC), kept by the ledger's unique `source_key`;
- the daily cap: awards of a member for a rule on one day (the organisation's time zone, by
  its UTC offset now) stop at the cap, counting those of earlier batches;
- one job per organisation at a time (the cursor row is locked). Activities recorded in the
  last 2 minutes are read again next time (a transaction that committed late is not missed).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.utils import timezone

from shequn.core.sqlsets import execute, fetch, temp_table, tune_for_sets
from shequn.organizations.models import Organization
from shequn.points.models import AwardCursor, EntryReason, PointRule

BATCH = 50_000
SAFETY = datetime.timedelta(minutes=2)
RULES_TMP = "shequn_point_rules"


@dataclass
class AwardResult:
    batches: int = 0
    entries: int = 0
    points: int = 0
    members: int = 0


def _json_name() -> str:
    if connection.vendor == "postgresql":
        return "COALESCE(a.properties ->> 'name', '')"
    return "COALESCE(json_extract(a.properties, '$.name'), '')"


def _epoch(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"CAST(FLOOR(EXTRACT(EPOCH FROM {column})) AS bigint)"
    return f"CAST(strftime('%%s', {column}) AS integer)"


def _load_rules(organization: Organization) -> int:
    """The rules into a temporary table; how many price something."""
    temp_table(
        RULES_TMP,
        "rule_id bigint PRIMARY KEY, community_id bigint NOT NULL, kind varchar(20) NOT NULL, "
        "custom_name varchar(60) NOT NULL, points integer NOT NULL, cap_awards integer, "
        "slot_seconds integer NOT NULL",
    )
    priced = 0
    for rule in PointRule.objects.filter(organization=organization):
        points = rule.points if rule.is_active else 0
        cap = None
        if rule.daily_cap is not None and points:
            cap = rule.daily_cap // abs(points)
        execute(
            f"INSERT INTO {RULES_TMP} VALUES (%s, %s, %s, %s, %s, %s, %s)",  # noqa: S608
            [
                rule.pk,
                rule.community_id or 0,
                rule.kind,
                rule.custom_name,
                points,
                cap,
                rule.cooldown_minutes * 60,
            ],
        )
        priced += 1 if points else 0
    return priced


def award_points(organization: Organization, *, batch: int = BATCH) -> AwardResult:
    """Award every activity not yet read; what was written."""
    result = AwardResult()
    while True:
        with transaction.atomic():
            AwardCursor.objects.get_or_create(organization=organization)
            cursor = AwardCursor.objects.select_for_update().get(organization=organization)
            lo = cursor.last_activity_id
            last = fetch(
                "SELECT MAX(id) FROM activity_activity WHERE organization_id = %s AND id > %s",
                [organization.pk, lo],
            )[0][0]
            if last is None:
                return result
            edge = fetch(
                "SELECT id FROM activity_activity WHERE organization_id = %s AND id > %s "
                "ORDER BY id LIMIT 1 OFFSET %s",
                [organization.pk, lo, batch - 1],
            )
            hi = int(edge[0][0]) if edge else int(last)
            tune_for_sets()
            if _load_rules(organization):
                _award_batch(organization, lo, hi, result)
            result.batches += 1
            # The cursor stops before the activities of the last minutes (read again).
            recent = fetch(
                "SELECT MIN(id) FROM activity_activity WHERE organization_id = %s AND id > %s "
                "AND id <= %s AND created_at >= %s",
                [organization.pk, lo, hi, timezone.now() - SAFETY],
            )[0][0]
            cursor.last_activity_id = hi if recent is None else max(lo, int(recent) - 1)
            cursor.save(update_fields=["last_activity_id", "updated_at"])
        if recent is not None or hi >= int(last):
            return result


def _award_batch(organization: Organization, lo: int, hi: int, result: AwardResult) -> int:
    """Write the awards of activities lo < id <= hi (rules loaded); how many entries."""
    zone = ZoneInfo(organization.time_zone)
    offset = int((timezone.now().astimezone(zone).utcoffset() or datetime.timedelta()).seconds)
    epoch = _epoch("a.occurred_at")
    now = timezone.now()
    day = f"(({epoch} + {offset}) / 86400)"
    slot = f"({epoch} / CASE WHEN r.slot_seconds > 0 THEN r.slot_seconds ELSE 1 END)"
    name = _json_name()
    # Candidates: priced activities of the batch not awarded yet, with their rule, day, slot;
    # within a cooldown slot only the first; then the cap counts from earlier awards that day.
    sql = f"""
        INSERT INTO points_ledgerentry (organization_id, member_id, community_id, delta, reason,
          note, activity_id, rule_id, actor_id, reverses_id, source_key, earning, occurred_at,
          created_at)
        SELECT %s, c.member_id, c.community_id, c.points,
          CASE WHEN c.points < 0 THEN '{EntryReason.PENALTY}' ELSE '{EntryReason.AWARD}' END,
          '', c.activity_id, c.rule_id, NULL, NULL,
          CASE WHEN c.slot_seconds > 0
            THEN 'slot:' || CAST(c.rule_id AS varchar(20)) || ':'
              || CAST(c.member_id AS varchar(20)) || ':' || CAST(c.slot AS varchar(20))
            ELSE '' END,
          CASE WHEN c.points > 0 THEN TRUE ELSE FALSE END, c.occurred_at, %s
        FROM (
          SELECT s.*, ROW_NUMBER() OVER (
              PARTITION BY s.member_id, s.rule_id, s.day ORDER BY s.occurred_at, s.activity_id
            ) AS rn
          FROM (
            SELECT a.id AS activity_id, a.member_id AS member_id, a.community_id AS community_id,
              a.occurred_at AS occurred_at, r.rule_id AS rule_id, r.points AS points,
              r.cap_awards AS cap_awards, r.slot_seconds AS slot_seconds,
              {day} AS day, {slot} AS slot,
              ROW_NUMBER() OVER (
                PARTITION BY a.member_id, r.rule_id, {slot} ORDER BY a.occurred_at, a.id
              ) AS slot_rn
            FROM activity_activity a
            LEFT JOIN {RULES_TMP} rc ON rc.community_id = a.community_id AND rc.kind = a.kind
              AND rc.custom_name = CASE WHEN a.kind = 'custom' THEN {name} ELSE '' END
            LEFT JOIN {RULES_TMP} ro ON ro.community_id = 0 AND ro.kind = a.kind
              AND ro.custom_name = CASE WHEN a.kind = 'custom' THEN {name} ELSE '' END
            JOIN {RULES_TMP} r ON r.rule_id = COALESCE(rc.rule_id, ro.rule_id)
            WHERE a.organization_id = %s AND a.id > %s AND a.id <= %s
              AND a.member_id IS NOT NULL AND r.points <> 0
              AND NOT EXISTS (
                SELECT 1 FROM points_ledgerentry l WHERE l.activity_id = a.id)
          ) s
          WHERE s.slot_seconds = 0 OR s.slot_rn = 1
        ) c
        LEFT JOIN (
          SELECT l.member_id AS member_id, l.rule_id AS rule_id,
            (({_epoch("l.occurred_at")} + {offset}) / 86400) AS day, COUNT(*) AS n
          FROM points_ledgerentry l
          WHERE l.organization_id = %s AND l.activity_id IS NOT NULL AND l.rule_id IN (
              SELECT rule_id FROM {RULES_TMP} WHERE cap_awards IS NOT NULL)
            AND l.occurred_at >= %s AND l.occurred_at <= %s
          GROUP BY l.member_id, l.rule_id, (({_epoch("l.occurred_at")} + {offset}) / 86400)
        ) p ON p.member_id = c.member_id AND p.rule_id = c.rule_id AND p.day = c.day
        WHERE c.cap_awards IS NULL OR COALESCE(p.n, 0) + c.rn <= c.cap_awards
        ON CONFLICT DO NOTHING
    """  # noqa: S608 - constants and placeholders only
    span = fetch(
        "SELECT MIN(occurred_at), MAX(occurred_at) FROM activity_activity "
        "WHERE organization_id = %s AND id > %s AND id <= %s",
        [organization.pk, lo, hi],
    )[0]
    first, latest = _moment(span[0]), _moment(span[1])
    if first is None or latest is None:
        return 0
    written = execute(
        sql,
        [
            organization.pk,
            now,
            organization.pk,
            lo,
            hi,
            organization.pk,
            first - datetime.timedelta(days=1),
            latest + datetime.timedelta(days=1),
        ],
    )
    if written:
        _move_balances(organization, now, result)
        _leaderboards_after_commit(organization, now, offset)
    result.entries += written
    return written


def _leaderboards_after_commit(
    organization: Organization, now: datetime.datetime, offset: int
) -> None:
    """The Redis leaderboards (docs/leaderboards.md): the batch's awards summed per member,
    community and day in SQL, applied in one pipeline after the commit."""
    from shequn.points.leaderboards import record_awards, redis_url

    if not redis_url():
        return
    day = f"(({_epoch('l.occurred_at')} + {offset}) / 86400)"
    sql = (
        f"SELECT l.member_id, l.community_id, {day}, SUM(l.delta) FROM points_ledgerentry l "  # noqa: S608
        "WHERE l.organization_id = %s AND l.created_at = %s AND l.activity_id IS NOT NULL "
        f"AND l.delta > 0 AND l.earning GROUP BY l.member_id, l.community_id, {day}"
    )
    rows = fetch(sql, [organization.pk, now])
    transaction.on_commit(lambda: record_awards(organization, [tuple(r) for r in rows]))


def _moment(value: object) -> datetime.datetime | None:
    if value is None or isinstance(value, datetime.datetime):
        return value
    parsed = datetime.datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)


def _move_balances(organization: Organization, now: datetime.datetime, result: AwardResult) -> None:
    """Move the balances by the entries just written (they carry this batch's `created_at`),
    then bring the levels of those members in line."""
    sums = """
        SELECT l.member_id AS member_id, SUM(l.delta) AS delta,
          SUM(CASE WHEN l.earning THEN l.delta ELSE 0 END) AS earned
        FROM points_ledgerentry l
        WHERE l.organization_id = %s AND l.created_at = %s AND l.activity_id IS NOT NULL
        GROUP BY l.member_id
    """
    execute(
        f"""
        INSERT INTO points_memberpoints (member_id, organization_id, balance, earned, level_id,
          updated_at)
        SELECT s.member_id, %s, 0, 0, NULL, %s FROM ({sums}) s
        WHERE 1 = 1 ON CONFLICT (member_id) DO NOTHING
        """,  # noqa: S608
        [organization.pk, now, organization.pk, now],
    )
    moved = execute(
        f"""
        UPDATE points_memberpoints SET balance = points_memberpoints.balance + s.delta,
          earned = points_memberpoints.earned + s.earned, updated_at = %s
        FROM ({sums}) s WHERE points_memberpoints.member_id = s.member_id
        """,  # noqa: S608
        [now, organization.pk, now],
    )
    total = fetch(
        "SELECT COALESCE(SUM(delta), 0) FROM points_ledgerentry "
        "WHERE organization_id = %s AND created_at = %s AND activity_id IS NOT NULL",
        [organization.pk, now],
    )[0][0]
    result.points += int(total)
    result.members += moved
    from shequn.points.levels import update_levels

    update_levels(organization, touched_at=now)
