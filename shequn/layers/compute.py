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

from shequn.core.sqlsets import (
    Members,
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
    memberships: int = 0
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


def compute_layers(
    organization: Organization, members: Members, as_of: datetime.datetime
) -> LayerCounts:
    """Compute and store the layers of `members`' active memberships; inside a transaction.

    Communities without a cut-off row (new since the last full run) are ranked first."""
    earliest = _load_rules(organization, as_of)
    ts = timestamp_type()
    temp_table(
        FACTS_TMP,
        "membership_id bigint PRIMARY KEY, member_id bigint NOT NULL, "
        "community_id bigint NOT NULL, layer varchar(10) NOT NULL",
    )
    del ts
    ms_scope, ms_params = members.sql("ms.member_id")
    act_scope, act_params = members.sql("a.member_id")
    missing = [row[0] for row in _fetch_missing_cutoffs(organization, ms_scope, list(ms_params))]
    if missing:
        compute_cutoffs(organization, as_of, missing)
        _load_rules(organization, as_of)
    w1, w2, w3, w4 = (window_start(as_of, days, organization.time_zone) for days in (7, 14, 21, 28))
    not_engaged = ", ".join(f"'{k}'" for k in NOT_ENGAGEMENT)
    speaking = ", ".join(f"'{k}'" for k in MESSAGE_KINDS)
    weeks = "(COALESCE(f.w1, 0) + COALESCE(f.w2, 0) + COALESCE(f.w3, 0) + COALESCE(f.w4, 0))"
    score = "COALESCE(f.score, 0)"
    sql = f"""
        INSERT INTO {FACTS_TMP} (membership_id, member_id, community_id, layer)
        SELECT ms.id, ms.member_id, ms.community_id,
          CASE
            WHEN ms.joined_at >= r.new_since THEN '{Layer.NEW}'
            WHEN ms.joined_at < r.dormant_joined_before
                 AND (f.last_active IS NULL OR f.last_active < r.dormant_since)
              THEN '{Layer.DORMANT}'
            WHEN ms.joined_at < r.lurker_joined_before
                 AND (f.last_message IS NULL OR f.last_message < r.lurker_since)
              THEN '{Layer.LURKER}'
            WHEN {score} > 0 AND k.core_score IS NOT NULL AND {score} >= k.core_score
                 AND {weeks} >= r.core_weeks THEN '{Layer.CORE}'
            WHEN r.pct = 0 AND {score} >= r.active_min THEN '{Layer.ACTIVE}'
            WHEN r.pct = 1 AND {score} > 0 AND k.active_score IS NOT NULL
                 AND {score} >= k.active_score THEN '{Layer.ACTIVE}'
            ELSE '{Layer.CASUAL}'
          END
        FROM members_membership ms
        JOIN organizations_community c ON c.id = ms.community_id
        JOIN {RULES_TMP} r ON r.kind = c.kind
        LEFT JOIN layers_layercutoff k ON k.community_id = c.id
        LEFT JOIN (
          SELECT a.community_id AS community_id, a.member_id AS member_id,
            SUM(CASE WHEN a.occurred_at >= r2.win_since THEN a.weight ELSE 0 END) AS score,
            MAX(CASE WHEN a.occurred_at >= %s THEN 1 ELSE 0 END) AS w1,
            MAX(CASE WHEN a.occurred_at >= %s AND a.occurred_at < %s THEN 1 ELSE 0 END) AS w2,
            MAX(CASE WHEN a.occurred_at >= %s AND a.occurred_at < %s THEN 1 ELSE 0 END) AS w3,
            MAX(CASE WHEN a.occurred_at >= %s AND a.occurred_at < %s THEN 1 ELSE 0 END) AS w4,
            MAX(a.occurred_at) AS last_active,
            MAX(CASE WHEN a.kind IN ({speaking}) THEN a.occurred_at END) AS last_message
          FROM activity_activity a
          JOIN organizations_community c2 ON c2.id = a.community_id
          JOIN {RULES_TMP} r2 ON r2.kind = c2.kind
          WHERE a.organization_id = %s AND {act_scope} AND a.occurred_at >= %s
            AND a.occurred_at <= %s AND a.kind NOT IN ({not_engaged})
          GROUP BY a.community_id, a.member_id
        ) f ON f.community_id = ms.community_id AND f.member_id = ms.member_id
        WHERE c.organization_id = %s AND ms.status = 'active' AND {ms_scope}
    """  # noqa: S608
    params: list[object] = [
        w1,
        w2,
        w1,
        w3,
        w2,
        w4,
        w3,
        organization.pk,
        *act_params,
        earliest,
        as_of,
        organization.pk,
        *ms_params,
    ]
    count = execute(sql, params)
    target = "layers_membershiplayer"
    changed = execute(
        f"""
        UPDATE {target} SET layer = t.layer, since = %s
        FROM {FACTS_TMP} t
        WHERE {target}.membership_id = t.membership_id AND {target}.layer <> t.layer
        """,  # noqa: S608
        [as_of],
    )
    added = execute(
        f"""
        INSERT INTO {target} (membership_id, organization_id, community_id, member_id, layer,
          since)
        SELECT t.membership_id, %s, t.community_id, t.member_id, t.layer, %s
        FROM {FACTS_TMP} t
        WHERE NOT EXISTS (SELECT 1 FROM {target} x WHERE x.membership_id = t.membership_id)
        """,  # noqa: S608
        [organization.pk, as_of],
    )
    gone_scope, gone_params = members.sql(f"{target}.member_id")
    removed = execute(
        f"""
        DELETE FROM {target}
        WHERE {target}.organization_id = %s AND {gone_scope} AND NOT EXISTS (
          SELECT 1 FROM {FACTS_TMP} t WHERE t.membership_id = {target}.membership_id)
        """,  # noqa: S608
        [organization.pk, *gone_params],
    )
    execute(f"DELETE FROM {FACTS_TMP}")  # noqa: S608
    return LayerCounts(memberships=count, changes=changed + added + removed)


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
