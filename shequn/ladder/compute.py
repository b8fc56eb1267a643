"""Computing members' stages on the ladder in sets (docs/ladder.md, docs/recompute.md).

One statement gathers the facts of every member in `Members` — a GROUP BY over their
activities and one over their memberships — and decides the stage in SQL; three more write
the changes: a `StageTransition` for each member whose shown stage changes (or who is placed
for the first time), the changed `MemberStage` rows, the new ones. Nothing is read into Python
row by row, so memory stays flat whatever the size of the organisation.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from shequn.activity.facts import MEMBER_FACTS, FactWindows, build_member_facts
from shequn.core.sqlsets import (
    Members,
    analyze,
    distinct,
    execute,
    fetch,
    temp_table,
    timestamp_type,
    window_start,
)
from shequn.ladder.models import LadderRules, Stage, TransitionCause
from shequn.organizations.models import Organization

TMP = "shequn_ladder_computed"


@dataclass(frozen=True)
class StageCounts:
    members: int = 0
    changes: int = 0


def rules_for(organization: Organization) -> LadderRules:
    """The organisation's rules, or the documented defaults (unsaved) when it has none."""
    rules = LadderRules.objects.filter(organization=organization).first()
    return rules or LadderRules(organization=organization)


def stage_windows(
    organization: Organization, as_of: datetime.datetime
) -> tuple[datetime.datetime, datetime.datetime]:
    rules = rules_for(organization)
    zone = organization.time_zone
    return (
        window_start(as_of, rules.understands_window_days, zone),
        window_start(as_of, rules.familiar_window_days, zone),
    )


def compute_stages(
    organization: Organization,
    members: Members,
    as_of: datetime.datetime,
    *,
    facts_ready: bool = False,
) -> StageCounts:
    """Compute and store the stages of `members` as of `as_of`; call inside a transaction.

    Reads the facts table (shequn.activity.facts), built here unless `facts_ready`."""
    rules = rules_for(organization)
    zone = organization.time_zone
    if not facts_ready:
        short_since, long_since = stage_windows(organization, as_of)
        weeks = tuple(window_start(as_of, d, zone) for d in (7, 14, 21, 28))
        build_member_facts(
            organization.pk,
            members,
            as_of,
            FactWindows(short_since, long_since, {}, weeks),  # type: ignore[arg-type]
        )
    ts = timestamp_type()
    temp_table(
        TMP,
        "member_id bigint PRIMARY KEY, stage smallint NOT NULL, n_short integer NOT NULL, "
        f"n_long integer NOT NULL, n_buy integer NOT NULL, last_active {ts}, first_joined {ts}, "
        "placed smallint NOT NULL, moves smallint NOT NULL",
    )
    ms_scope, ms_params = members.sql("ms.member_id")
    m_scope, m_params = members.sql("m.id")
    familiar_joined_before = window_start(as_of, rules.familiar_min_member_days, zone)
    target = "ladder_memberstage"
    # Only the members whose row would change go into the table: those placed for the first
    # time (placed = 0) and those whose computed stage or facts differ; `moves`: the shown
    # stage changes (not pinned), so a transition is kept.
    sql = f"""
        INSERT INTO {TMP} (member_id, stage, n_short, n_long, n_buy, last_active, first_joined,
          placed, moves)
        SELECT x.member_id, x.stage, x.n_short, x.n_long, x.n_buy, x.last_active,
          x.first_joined,
          CASE WHEN x.old_stage IS NULL THEN 0 ELSE 1 END,
          CASE WHEN x.old_stage IS NULL OR (NOT x.pinned AND x.old_stage <> x.stage) THEN 1
               ELSE 0 END
        FROM (
          SELECT m.id AS member_id,
            CASE
              WHEN COALESCE(a.n_buy, 0) >= %s THEN {Stage.BOUGHT_AGAIN}
              WHEN COALESCE(a.n_buy, 0) >= %s THEN {Stage.BOUGHT}
              WHEN j.first_joined IS NOT NULL AND j.first_joined < %s
                   AND COALESCE(a.n_long, 0) >= %s THEN {Stage.FAMILIAR}
              WHEN COALESCE(a.n_short, 0) >= %s THEN {Stage.UNDERSTANDS}
              WHEN j.first_joined IS NOT NULL THEN {Stage.ACQUAINTED}
              WHEN COALESCE(a.has_activity, 0) = 1 THEN {Stage.CURIOUS}
              ELSE {Stage.UNAWARE}
            END AS stage,
            COALESCE(a.n_short, 0) AS n_short, COALESCE(a.n_long, 0) AS n_long,
            COALESCE(a.n_buy, 0) AS n_buy, a.last_active AS last_active,
            j.first_joined AS first_joined, s.stage AS old_stage,
            s.computed_stage AS old_computed, s.pinned AS pinned,
            s.purchase_count AS old_buy, s.last_active_at AS old_last_active,
            s.first_joined_at AS old_first_joined
          FROM members_member m
          LEFT JOIN {MEMBER_FACTS} a ON a.member_id = m.id
          LEFT JOIN (
            SELECT ms.member_id AS member_id, MIN(ms.joined_at) AS first_joined
            FROM members_membership ms
            WHERE {ms_scope} AND ms.joined_at <= %s
            GROUP BY ms.member_id
          ) j ON j.member_id = m.id
          LEFT JOIN {target} s ON s.member_id = m.id
          WHERE m.organization_id = %s AND m.merged_into_id IS NULL AND {m_scope}
        ) x
        WHERE x.old_stage IS NULL OR x.old_computed <> x.stage OR x.old_buy <> x.n_buy
          OR {distinct("x.old_last_active", "x.last_active")}
          OR {distinct("x.old_first_joined", "x.first_joined")}
    """  # noqa: S608 - constants and placeholders only
    params = [
        rules.bought_again_min_purchases,
        rules.bought_min_purchases,
        familiar_joined_before,
        rules.familiar_min_activities,
        rules.understands_min_activities,
        *ms_params,
        as_of,
        organization.pk,
        *m_params,
    ]
    execute(sql, params)
    analyze(TMP)
    count = _count_members(organization, members)
    changes = execute(
        f"""
        INSERT INTO ladder_stagetransition (organization_id, member_id, from_stage, to_stage,
          occurred_at, cause, engagement_count, long_engagement_count, purchase_count, reason,
          actor_id)
        SELECT %s, c.member_id, s.stage, c.stage, %s, '{TransitionCause.RULES}', c.n_short,
          c.n_long, c.n_buy, '', NULL
        FROM {TMP} c LEFT JOIN {target} s ON s.member_id = c.member_id
        WHERE c.moves = 1
        """,  # noqa: S608
        [organization.pk, as_of],
    )
    execute(
        f"""
        UPDATE {target} SET
          computed_stage = c.stage,
          stage = CASE WHEN {target}.pinned THEN {target}.stage ELSE c.stage END,
          since = CASE WHEN c.moves = 1 THEN %s ELSE {target}.since END,
          purchase_count = c.n_buy,
          last_active_at = c.last_active,
          first_joined_at = c.first_joined
        FROM {TMP} c
        WHERE {target}.member_id = c.member_id AND c.placed = 1
        """,  # noqa: S608
        [as_of],
    )
    execute(
        f"""
        INSERT INTO {target} (member_id, organization_id, stage, computed_stage, since, pinned,
          pin_reason, pinned_by_id, pinned_at, purchase_count, last_active_at, first_joined_at)
        SELECT c.member_id, %s, c.stage, c.stage, %s, FALSE, '', NULL, NULL, c.n_buy,
          c.last_active, c.first_joined
        FROM {TMP} c
        WHERE c.placed = 0 ON CONFLICT (member_id) DO NOTHING
        """,  # noqa: S608
        [organization.pk, as_of],
    )
    gone_scope, gone_params = members.sql("m.id")
    execute(
        f"""
        DELETE FROM {target} WHERE member_id IN (
          SELECT m.id FROM members_member m
          WHERE m.organization_id = %s AND m.merged_into_id IS NOT NULL AND {gone_scope})
        """,  # noqa: S608
        [organization.pk, *gone_params],
    )
    execute(f"DELETE FROM {TMP}")  # noqa: S608
    return StageCounts(members=count, changes=changes)


def _count_members(organization: Organization, members: Members) -> int:
    scope, params = members.sql("m.id")
    rows = fetch(
        "SELECT COUNT(*) FROM members_member m "  # noqa: S608 - a constant condition
        f"WHERE m.organization_id = %s AND m.merged_into_id IS NULL AND {scope}",
        [organization.pk, *params],
    )
    return int(rows[0][0])
