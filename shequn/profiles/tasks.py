"""Jobs of the recompute (docs/recompute.md): thin entry points that call one service.

- `recompute_pending` computes the members marked by new activities and membership changes;
  it is asked for once a transaction that marked some commits (at most one waiting request per
  organisation, `REQUEST_DELAY_SECONDS` later, so a stream of API batches brings one job, not
  one per batch), and `sweep_pending_recomputes` runs every minute for marks a lost job left.
- `recompute_all` runs the full recompute of every organisation each night (and resumes a
  run that stopped); `recompute_organization` is the console's "recompute now".
Running any of them twice is harmless: a second run finds nothing to change.
"""

from __future__ import annotations

import logging

from django.core.cache import cache
from django.db import transaction
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from shequn.organizations.models import Organization
from shequn.profiles.models import PendingRecompute
from shequn.profiles.recompute import run_full_recompute, run_incremental_recompute

logger = logging.getLogger(__name__)

REQUEST_DELAY_SECONDS = 5


@db_task()  # type: ignore[untyped-decorator]  # huey has no types
def recompute_pending(org_id: int) -> int:
    """Compute the marked members of one organisation; how many."""
    cache.delete(f"recompute-requested:{org_id}")
    organization = Organization.objects.filter(pk=org_id).first()
    if organization is None:
        return 0
    run = run_incremental_recompute(organization)
    return run.members if run is not None else 0


@db_task()  # type: ignore[untyped-decorator]
def recompute_organization(org_id: int) -> int:
    """The full recompute of one organisation; how many members it went through."""
    organization = Organization.objects.filter(pk=org_id).first()
    if organization is None:
        return 0
    run = run_full_recompute(organization)
    return run.members if run is not None else 0


@db_periodic_task(crontab(minute="*"))  # type: ignore[untyped-decorator]
def sweep_pending_recomputes() -> int:
    """Every minute: compute the marks no job took. Returns how many members."""
    done = 0
    org_ids = PendingRecompute.objects.order_by().values_list("organization_id", flat=True)
    for org_id in sorted(set(org_ids)):
        done += recompute_pending.call_local(org_id)
    return done


@db_periodic_task(crontab(minute="41", hour="2"))  # type: ignore[untyped-decorator]
def recompute_all() -> int:
    """Every night: the full recompute of every organisation. Returns how many members."""
    done = 0
    for org_id in Organization.objects.order_by("pk").values_list("pk", flat=True):
        done += recompute_organization.call_local(org_id)
    return done


def request_incremental_recompute(org_id: int) -> bool:
    """Ask for the incremental job of one organisation once the transaction commits, unless
    one is already asked for. Returns whether this call asked."""
    if not cache.add(f"recompute-requested:{org_id}", 1, timeout=REQUEST_DELAY_SECONDS * 12):
        return False
    transaction.on_commit(
        lambda: recompute_pending.schedule((org_id,), delay=REQUEST_DELAY_SECONDS)
    )
    return True
