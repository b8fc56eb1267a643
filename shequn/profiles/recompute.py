"""The recompute of what shequn knows about members: stages, layers, rule tags (docs/recompute.md).

- `run_full_recompute`: the whole organisation, in parts of `PART_SIZE` members by id. It ranks
  every community once (layer cut-offs), then computes each part — stages, then layers, then
  rule tags (which read the first two) — and commits it with the run's cursor. A run that
  stops (a crash, a deploy) is resumed by the next call from its cursor, with the same `as_of`
  clock; a second call while one runs (a heartbeat younger than `STALE_AFTER`) does nothing.
  Running it twice in a row is harmless: the second finds nothing to change.
- `run_incremental_recompute`: the members marked in `PendingRecompute` (new activities,
  changed memberships), in batches; each batch is one transaction that also clears the marks
  it read (unless marked again meanwhile).

Each run keeps what it counted in its `RecomputeRun` row: members, stage and layer changes,
tags added and removed.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone

from shequn.activity.facts import FactWindows, build_member_facts, drop_member_facts
from shequn.core.sqlsets import Members, window_start
from shequn.ladder.compute import compute_stages, stage_windows
from shequn.ladder.rollups import refresh_stage_counts
from shequn.layers.compute import (
    compute_cutoffs_from_facts,
    compute_layers,
    layer_lookback,
    layer_windows,
)
from shequn.layers.rollups import refresh_layer_counts
from shequn.members.models import Member
from shequn.organizations.models import Organization
from shequn.profiles.models import PendingRecompute, RecomputeKind, RecomputeRun, RecomputeStatus
from shequn.tags.rules import (
    active_rule_tags,
    apply_rule_tags,
    rule_tag_columns,
    scan_keywords,
)

logger = logging.getLogger(__name__)

PART_SIZE = 100_000
INCREMENTAL_BATCH = 5_000
STALE_AFTER = datetime.timedelta(minutes=15)


@dataclass
class Totals:
    members: int = 0
    stage_changes: int = 0
    layer_changes: int = 0
    tags_added: int = 0
    tags_removed: int = 0


def _compute(
    organization: Organization,
    members: Members,
    as_of: datetime.datetime,
    totals: Totals,
    *,
    scan_keywords_first: bool = True,
    with_cutoffs: bool = False,
) -> None:
    """Stages, then layers, then rule tags (which read both) for `members`, from one pass over
    their activities (shequn.activity.facts). `with_cutoffs`: `members` is the whole
    organisation, so the same facts rank every community first."""
    build_member_facts(organization.pk, members, as_of, fact_windows(organization, as_of))
    if with_cutoffs:
        compute_cutoffs_from_facts(organization, as_of)
    stages = compute_stages(organization, members, as_of, facts_ready=True)
    layers = compute_layers(organization, members, as_of, facts_ready=True)
    tags = apply_rule_tags(
        organization,
        members,
        as_of,
        active_rule_tags(organization),
        scan=scan_keywords_first,
        facts_ready=True,
    )
    drop_member_facts()
    totals.members += stages.members
    totals.stage_changes += stages.changes
    totals.layer_changes += layers.changes
    totals.tags_added += tags.added
    totals.tags_removed += tags.removed


def fact_windows(organization: Organization, as_of: datetime.datetime) -> FactWindows:
    short_since, long_since = stage_windows(organization, as_of)
    zone = organization.time_zone
    w1, w2, w3, w4 = (window_start(as_of, days, zone) for days in (7, 14, 21, 28))
    return FactWindows(
        short_since,
        long_since,
        layer_windows(organization, as_of),
        (w1, w2, w3, w4),
        layer_lookback(organization, as_of),
        rule_tag_columns(organization, as_of),
    )


def _cutoffs(organization: Organization, as_of: datetime.datetime) -> None:
    """Rank every community once, from the facts of the whole organisation."""
    build_member_facts(organization.pk, Members(), as_of, fact_windows(organization, as_of))
    compute_cutoffs_from_facts(organization, as_of)
    drop_member_facts()


def _add(run: RecomputeRun, totals: Totals, **fields: object) -> None:
    RecomputeRun.objects.filter(pk=run.pk).update(
        members=F("members") + totals.members,
        stage_changes=F("stage_changes") + totals.stage_changes,
        layer_changes=F("layer_changes") + totals.layer_changes,
        tags_added=F("tags_added") + totals.tags_added,
        tags_removed=F("tags_removed") + totals.tags_removed,
        heartbeat_at=timezone.now(),
        **fields,
    )


def _claim_full_run(organization: Organization, as_of: datetime.datetime) -> RecomputeRun | None:
    """The run to work on: a stopped one to resume, a new one, or None while one is alive."""
    with transaction.atomic():
        Organization.objects.select_for_update().filter(pk=organization.pk).first()
        running = (
            RecomputeRun.objects.filter(
                organization=organization,
                kind=RecomputeKind.FULL,
                status=RecomputeStatus.RUNNING,
            )
            .order_by("-started_at")
            .first()
        )
        now = timezone.now()
        if running is not None:
            if now - running.heartbeat_at < STALE_AFTER:
                return None
            running.heartbeat_at = now
            running.save(update_fields=["heartbeat_at"])
            logger.info(
                "Organisation %s: resuming recompute %s at member %s.",
                organization.pk,
                running.pk,
                running.cursor,
            )
            return running
        return RecomputeRun.objects.create(
            organization=organization,
            kind=RecomputeKind.FULL,
            started_at=now,
            heartbeat_at=now,
            as_of=as_of,
        )


def run_full_recompute(
    organization: Organization,
    *,
    as_of: datetime.datetime | None = None,
    part_size: int = PART_SIZE,
    stop_after_parts: int | None = None,
) -> RecomputeRun | None:
    """Recompute the whole organisation (or resume a stopped run); the finished run, or None
    when another is running. `stop_after_parts` stops early on purpose (tests of resuming)."""
    run = _claim_full_run(organization, as_of or timezone.now())
    if run is None:
        return None
    as_of = run.as_of
    last = Member.objects.filter(organization=organization).aggregate(m=Max("pk"))["m"] or 0
    try:
        with transaction.atomic():
            # Messages the keyword rules have not read yet (all of them for a new rule).
            scan_keywords(active_rule_tags(organization))
        whole = run.cursor == 0 and (
            Member.objects.filter(organization=organization).count() <= part_size
        )
        if run.cursor == 0 and not whole:
            with transaction.atomic():
                _cutoffs(organization, as_of)
        parts = 0
        while run.cursor < last:
            if stop_after_parts is not None and parts >= stop_after_parts:
                return run
            lo, hi = run.cursor + 1, _part_end(organization, run.cursor, part_size, last)
            totals = Totals()
            with transaction.atomic():
                _compute(
                    organization,
                    Members() if whole else Members(lo=lo, hi=hi),
                    as_of,
                    totals,
                    scan_keywords_first=False,
                    with_cutoffs=whole,
                )
                _add(run, totals, cursor=hi)
            run.cursor = hi
            parts += 1
    except Exception as exc:
        RecomputeRun.objects.filter(pk=run.pk).update(
            status=RecomputeStatus.FAILED, error=repr(exc)[:2000], finished_at=timezone.now()
        )
        raise
    with transaction.atomic():
        refresh_stage_counts(organization)
        refresh_layer_counts(organization)
        RecomputeRun.objects.filter(pk=run.pk).update(
            status=RecomputeStatus.DONE, finished_at=timezone.now(), heartbeat_at=timezone.now()
        )
    run.refresh_from_db()
    logger.info(
        "Organisation %s: full recompute of %d members, %d stage changes, %d layer changes, "
        "%d tags added, %d removed.",
        organization.pk,
        run.members,
        run.stage_changes,
        run.layer_changes,
        run.tags_added,
        run.tags_removed,
    )
    return run


def _part_end(organization: Organization, cursor: int, part_size: int, last: int) -> int:
    """The id of the `part_size`-th member after `cursor` (the last member's at the end)."""
    ids = (
        Member.objects.filter(organization=organization, pk__gt=cursor)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    edge = list(ids[part_size - 1 : part_size])
    return edge[0] if edge else last


def run_incremental_recompute(
    organization: Organization,
    *,
    as_of: datetime.datetime | None = None,
    batch: int = INCREMENTAL_BATCH,
) -> RecomputeRun | None:
    """Compute the marked members of one organisation; the run (None when none was marked)."""
    pending = PendingRecompute.objects.filter(organization=organization)
    if not pending.exists():
        return None
    now = timezone.now()
    run = RecomputeRun.objects.create(
        organization=organization,
        kind=RecomputeKind.INCREMENTAL,
        started_at=now,
        heartbeat_at=now,
        as_of=as_of or now,
    )
    try:
        while True:
            with transaction.atomic():
                marks = list(
                    pending.order_by("member_id").values_list("member_id", "marked_at")[:batch]
                )
                if not marks:
                    break
                totals = Totals()
                _compute(
                    organization,
                    Members(ids=tuple(m for m, _t in marks)),
                    as_of or timezone.now(),
                    totals,
                )
                _clear(marks)
                _add(run, totals)
    except Exception as exc:
        RecomputeRun.objects.filter(pk=run.pk).update(
            status=RecomputeStatus.FAILED, error=repr(exc)[:2000], finished_at=timezone.now()
        )
        raise
    run.refresh_from_db()
    if run.members == 0:  # another run took the marks first: nothing to show
        run.delete()
        return None
    with transaction.atomic():
        refresh_stage_counts(organization)
        refresh_layer_counts(organization)
        RecomputeRun.objects.filter(pk=run.pk).update(
            status=RecomputeStatus.DONE, finished_at=timezone.now()
        )
    run.refresh_from_db()
    return run


def _clear(marks: list[tuple[int, datetime.datetime]]) -> None:
    """Delete the marks read, each only if not marked again since (its time moved on)."""
    by_time: dict[datetime.datetime, list[int]] = {}
    for member_id, marked_at in marks:
        by_time.setdefault(marked_at, []).append(member_id)
    for marked_at, ids in by_time.items():
        PendingRecompute.objects.filter(member_id__in=ids, marked_at=marked_at).delete()
