"""Computing activity layers in sets (docs/layers.md, docs/recompute.md).

Each community kind's rules become one row of a temporary table (their windows turned into
moments), so one statement gathers the facts of every active membership of the members in
`Members` — weighted activity in the window, active weeks of the last four, last activity and
last message — and decides the layer in SQL. The core band (and the active band in percentile
mode) ranks a member against the whole community: `compute_cutoffs` finds, per community, the
score the member at the band's edge has (`LayerCutoff`), from one ranking of all members; the
layer statement compares with it, so a run over a few members ranks them like a full run.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connection

from shequn.activity.facts import FACTS, FactWindows, build_member_facts, score_sql
from shequn.core.sqlsets import (
    Members,
    analyze,
    execute,
    temp_table,
    timestamp_type,
    window_start,
)
from shequn.layers.models import Layer, LayerMode, LayerRules
from shequn.organizations.models import CommunityKind, Organization

NOT_ENGAGEMENT = ("join", "leave")
# Speaking: what a lurker does not do.
MESSAGE_KINDS = ("message", "reply", "post", "comment")
RULES_TMP = "shequn_layer_rules"
FACTS_TMP = "shequn_layer_computed"


@dataclass(frozen=True)
class LayerCounts:
    changes: int = 0


def rules_by_kind(organization: Organization) -> dict[str, LayerRules]:
    """The rules of every community kind: saved ones, the documented defaults for the rest."""
    saved = {r.community_kind: r for r in LayerRules.objects.filter(organization=organization)}
    return {
        kind: saved.get(kind) or LayerRules(organization=organization, community_kind=kind)
        for kind in CommunityKind.values
    }


def _load_rules(organization: Organization, as_of: datetime.datetime) -> datetime.datetime:
    """Fill the rules table; the earliest moment any rule looks back to."""
    ts = timestamp_type()
    temp_table(
        RULES_TMP,
        f"kind varchar(20) PRIMARY KEY, new_since {ts}, win_since {ts}, core_pct integer, "
        f"core_weeks integer, pct smallint, active_min integer, active_pct integer, "
        f"lurker_joined_before {ts}, lurker_since {ts}, dormant_joined_before {ts}, "
        f"dormant_since {ts}",
    )
    zone = organization.time_zone
    earliest = window_start(as_of, 28, zone)
    for kind, rules in rules_by_kind(organization).items():
        win = window_start(as_of, rules.window_days, zone)
        lurker_since = window_start(as_of, rules.lurker_silent_days, zone)
        dormant_since = window_start(as_of, rules.dormant_days, zone)
        earliest = min(earliest, win, lurker_since, dormant_since)
        execute(
            f"INSERT INTO {RULES_TMP} VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",  # noqa: S608
            [
                kind,
                # New: joined on one of the last `new_days` days (none when 0).
                window_start(as_of, rules.new_days, zone) if rules.new_days else as_of,
                win,
                rules.core_top_percent,
                rules.core_min_active_weeks,
                1 if rules.mode == LayerMode.PERCENTILES else 0,
                rules.active_min_score,
                rules.active_band_percent,
                window_start(as_of, rules.lurker_min_member_days, zone),
                lurker_since,
                window_start(as_of, rules.dormant_days, zone),
                dormant_since,
            ],
        )
    return earliest


def compute_cutoffs(
    organization: Organization,
    as_of: datetime.datetime,
    community_ids: Iterable[int] | None = None,
) -> int:
    """Rank every community's members (or those of `community_ids`) by weighted activity in
    the window and keep the scores at the edges of the bands; how many communities."""
    earliest = _load_rules(organization, as_of)
    del earliest
    only = ""
    params: list[object] = [organization.pk, as_of]
    ids = None if community_ids is None else sorted(set(community_ids))
    if ids is not None:
        if not ids:
            return 0
        only = f" AND a.community_id IN ({', '.join(['%s'] * len(ids))})"
        params.extend(ids)
    min_win = min(
        window_start(as_of, r.window_days, organization.time_zone)
        for r in rules_by_kind(organization).values()
    )
    not_engaged = ", ".join(f"'{k}'" for k in NOT_ENGAGEMENT)
    scope_c = "c.organization_id = %s"
    c_params: list[object] = [organization.pk]
    if ids is not None:
        scope_c += f" AND c.id IN ({', '.join(['%s'] * len(ids))})"
        c_params.extend(ids)
    delete_scope = (
        "community_id IN (SELECT c.id FROM organizations_community c WHERE " + scope_c + ")"  # noqa: S608
    )
    execute(f"DELETE FROM layers_layercutoff WHERE {delete_scope}", c_params)  # noqa: S608
    # Position k of a band's edge: ceil(members × percent / 100), by integer division.
    sql = f"""
        INSERT INTO layers_layercutoff (community_id, core_score, active_score, computed_at)
        SELECT c.id,
          MIN(CASE WHEN ranked.rn <= (c.member_count * r.core_pct + 99) / 100
              THEN ranked.score END),
          MIN(CASE WHEN ranked.rn <= (c.member_count * (r.core_pct + r.active_pct) + 99) / 100
              THEN ranked.score END),
          %s
        FROM organizations_community c
        JOIN {RULES_TMP} r ON r.kind = c.kind
        LEFT JOIN (
          SELECT s.community_id AS community_id, s.score AS score,
            ROW_NUMBER() OVER (PARTITION BY s.community_id ORDER BY s.score DESC) AS rn
          FROM (
            SELECT a.community_id AS community_id, SUM(a.weight) AS score
            FROM activity_activity a
            JOIN organizations_community c2 ON c2.id = a.community_id
            JOIN {RULES_TMP} r2 ON r2.kind = c2.kind
            JOIN members_membership ms ON ms.community_id = a.community_id
              AND ms.member_id = a.member_id AND ms.status = 'active'
            WHERE a.organization_id = %s AND a.occurred_at >= %s AND a.occurred_at <= %s
              AND a.occurred_at >= r2.win_since AND a.kind NOT IN ({not_engaged}){only}
            GROUP BY a.community_id, a.member_id
            HAVING SUM(a.weight) > 0
          ) s
        ) ranked ON ranked.community_id = c.id
        WHERE {scope_c}
        GROUP BY c.id
    """  # noqa: S608
    return execute(sql, [as_of, organization.pk, min_win, *params[1:], *c_params])


def layer_lookback(organization: Organization, as_of: datetime.datetime) -> datetime.datetime:
    """The earliest moment any kind's layer rules look back to."""
    zone = organization.time_zone
    return min(
        min(
            window_start(as_of, r.window_days, zone),
            window_start(as_of, r.lurker_silent_days, zone),
            window_start(as_of, r.dormant_days, zone),
        )
        for r in rules_by_kind(organization).values()
    )


def layer_windows(
    organization: Organization, as_of: datetime.datetime
) -> dict[str, datetime.datetime]:
    """Each community kind's activity window (the start of its weighted-activity count)."""
    return {
        kind: window_start(as_of, rules.window_days, organization.time_zone)
        for kind, rules in rules_by_kind(organization).items()
    }


def compute_cutoffs_from_facts(organization: Organization, as_of: datetime.datetime) -> int:
    """`compute_cutoffs` for every community, from a facts table of the WHOLE organisation
    (a full run builds one); how many communities."""
    _load_rules(organization, as_of)
    score = score_sql(layer_windows(organization, as_of), "f", "c3")
    execute(
        "DELETE FROM layers_layercutoff WHERE community_id IN "
        "(SELECT c.id FROM organizations_community c WHERE c.organization_id = %s)",
        [organization.pk],
    )
    sql = f"""
        INSERT INTO layers_layercutoff (community_id, core_score, active_score, computed_at)
        SELECT c.id,
          MIN(CASE WHEN ranked.rn <= (c.member_count * r.core_pct + 99) / 100
              THEN ranked.score END),
          MIN(CASE WHEN ranked.rn <= (c.member_count * (r.core_pct + r.active_pct) + 99) / 100
              THEN ranked.score END),
          %s
        FROM organizations_community c
        JOIN {RULES_TMP} r ON r.kind = c.kind
        LEFT JOIN (
          SELECT f.community_id AS community_id, {score} AS score,
            ROW_NUMBER() OVER (PARTITION BY f.community_id ORDER BY {score} DESC) AS rn
          FROM {FACTS} f
          JOIN organizations_community c3 ON c3.id = f.community_id
          JOIN members_membership ms ON ms.member_id = f.member_id
            AND ms.community_id = f.community_id AND ms.status = 'active'
          WHERE {score} > 0
        ) ranked ON ranked.community_id = c.id
        WHERE c.organization_id = %s
        GROUP BY c.id
    """  # noqa: S608
    return execute(sql, [as_of, organization.pk])


def compute_layers(
    organization: Organization,
    members: Members,
    as_of: datetime.datetime,
    *,
    facts_ready: bool = False,
) -> LayerCounts:
    """Compute and store the layers of `members`' active memberships; inside a transaction.

    Reads the facts table (shequn.activity.facts), built here unless `facts_ready`.
    Communities without a cut-off row (new since the last full run) are ranked first."""
    zone = organization.time_zone
    if not facts_ready:
        from shequn.ladder.compute import stage_windows

        short_since, long_since = stage_windows(organization, as_of)
        weeks = tuple(window_start(as_of, d, zone) for d in (7, 14, 21, 28))
        build_member_facts(
            organization.pk,
            members,
            as_of,
            FactWindows(
                short_since,
                long_since,
                layer_windows(organization, as_of),
                weeks,  # type: ignore[arg-type]
                layer_lookback(organization, as_of),
            ),
        )
    ms_scope, ms_params = members.sql("ms.member_id")
    missing = [row[0] for row in _fetch_missing_cutoffs(organization, ms_scope, list(ms_params))]
    if missing:
        compute_cutoffs(organization, as_of, missing)
    _load_rules(organization, as_of)
    temp_table(
        FACTS_TMP,
        "membership_id bigint PRIMARY KEY, member_id bigint NOT NULL, "
        "community_id bigint NOT NULL, layer varchar(10), placed smallint NOT NULL",
    )
    score = f"COALESCE({score_sql(layer_windows(organization, as_of), 'f', 'c')}, 0)"
    weeks_sql = "COALESCE(f.weeks, 0)"
    target = "layers_membershiplayer"
    # Only what changes goes into the table: an active membership's layer that differs from
    # its row (or has none: placed = 0), and the rows of memberships no longer active (layer
    # NULL: removed).
    sql = f"""
        INSERT INTO {FACTS_TMP} (membership_id, member_id, community_id, layer, placed)
        SELECT x.membership_id, x.member_id, x.community_id, x.layer, x.placed
        FROM (
          SELECT ms.id AS membership_id, ms.member_id AS member_id,
            ms.community_id AS community_id,
            CASE WHEN ms.status <> 'active' THEN NULL
              WHEN ms.joined_at >= r.new_since THEN '{Layer.NEW}'
              WHEN ms.joined_at < r.dormant_joined_before
                   AND (f.last_active IS NULL OR f.last_active < r.dormant_since)
                THEN '{Layer.DORMANT}'
              WHEN ms.joined_at < r.lurker_joined_before
                   AND (f.last_message IS NULL OR f.last_message < r.lurker_since)
                THEN '{Layer.LURKER}'
              WHEN {score} > 0 AND k.core_score IS NOT NULL AND {score} >= k.core_score
                   AND {weeks_sql} >= r.core_weeks THEN '{Layer.CORE}'
              WHEN r.pct = 0 AND {score} >= r.active_min THEN '{Layer.ACTIVE}'
              WHEN r.pct = 1 AND {score} > 0 AND k.active_score IS NOT NULL
                   AND {score} >= k.active_score THEN '{Layer.ACTIVE}'
              ELSE '{Layer.CASUAL}'
            END AS layer,
            CASE WHEN t.membership_id IS NULL THEN 0 ELSE 1 END AS placed,
            t.layer AS old_layer, t.member_id AS old_member_id
          FROM members_membership ms
          JOIN organizations_community c ON c.id = ms.community_id
          JOIN {RULES_TMP} r ON r.kind = c.kind
          LEFT JOIN layers_layercutoff k ON k.community_id = c.id
          LEFT JOIN {FACTS} f ON f.member_id = ms.member_id
            AND f.community_id = ms.community_id
          LEFT JOIN {target} t ON t.membership_id = ms.id
          WHERE c.organization_id = %s AND {ms_scope}
            AND (ms.status = 'active' OR t.membership_id IS NOT NULL)
        ) x
        WHERE x.placed = 0 OR x.layer IS NULL OR x.layer <> x.old_layer
          OR x.member_id <> x.old_member_id
    """  # noqa: S608
    params: list[object] = [organization.pk, *ms_params]
    execute(sql, params)
    analyze(FACTS_TMP)
    changed = execute(
        f"""
        UPDATE {target} SET layer = t.layer, member_id = t.member_id,
          since = CASE WHEN {target}.layer <> t.layer THEN %s ELSE {target}.since END
        FROM {FACTS_TMP} t
        WHERE {target}.membership_id = t.membership_id AND t.placed = 1
          AND t.layer IS NOT NULL
        """,  # noqa: S608
        [as_of],
    )
    added = execute(
        f"""
        INSERT INTO {target} (membership_id, organization_id, community_id, member_id, layer,
          since)
        SELECT t.membership_id, %s, t.community_id, t.member_id, t.layer, %s
        FROM {FACTS_TMP} t
        WHERE t.placed = 0 AND t.layer IS NOT NULL ON CONFLICT (membership_id) DO NOTHING
        """,  # noqa: S608
        [organization.pk, as_of],
    )
    removed = execute(
        f"""
        DELETE FROM {target} WHERE membership_id IN (
          SELECT t.membership_id FROM {FACTS_TMP} t WHERE t.layer IS NULL)
        """,  # noqa: S608
    )
    execute(f"DELETE FROM {FACTS_TMP}")  # noqa: S608
    return LayerCounts(changes=changed + added + removed)


def _fetch_missing_cutoffs(
    organization: Organization, ms_scope: str, ms_params: list[Any]
) -> list[tuple[int]]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT DISTINCT ms.community_id FROM members_membership ms
            JOIN organizations_community c ON c.id = ms.community_id
            WHERE c.organization_id = %s AND ms.status = 'active' AND {ms_scope}
              AND NOT EXISTS (
                SELECT 1 FROM layers_layercutoff k WHERE k.community_id = ms.community_id)
            """,  # noqa: S608
            [organization.pk, *ms_params],
        )
        return list(cursor.fetchall())
