"""Jobs of identity merge (docs/merges.md): thin entry points that call one service.

`find_merge_suggestions` is enqueued (in `transaction.on_commit`) after an ingestion or an
import and by the console's "find now" button; `sweep_merge_suggestions` runs the finding for
every organisation once a night, catching whatever a lost job missed. Running either twice is
harmless: finding is idempotent and a rejected pair stays rejected.
"""

from __future__ import annotations

import logging

from django.core.cache import cache
from django.db import transaction
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from shequn.members.merge_suggestions import refresh_merge_suggestions
from shequn.organizations.models import Organization

logger = logging.getLogger(__name__)

# A request for the finding waits this long, and others for the same organisation are dropped
# meanwhile: a stream of API batches brings one finding a minute, not one per batch.
REQUEST_DELAY_SECONDS = 60


@db_task()  # type: ignore[untyped-decorator]  # huey has no types
def find_merge_suggestions(org_id: int) -> int:
    """Find one organisation's merge suggestions again; returns how many are new."""
    organization = Organization.objects.filter(pk=org_id).first()
    if organization is None:
        return 0
    result = refresh_merge_suggestions(organization)
    if result.created or result.merged:
        logger.info(
            "Organisation %s: %d new merge suggestions, %d merged automatically.",
            org_id,
            result.created,
            result.merged,
        )
    return result.created


@db_periodic_task(crontab(minute="17", hour="3"))  # type: ignore[untyped-decorator]
def sweep_merge_suggestions() -> int:
    """Every night: find the suggestions of every organisation. Returns how many are new."""
    created = 0
    for org_id in Organization.objects.order_by("pk").values_list("pk", flat=True):
        created += find_merge_suggestions.call_local(org_id)
    return created


def request_merge_suggestions(org_id: int) -> bool:
    """Ask for the finding of one organisation in a minute, once the transaction commits,
    unless one is already asked for. Returns whether this call scheduled it."""
    if not cache.add(f"merge-suggestions-requested:{org_id}", 1, timeout=REQUEST_DELAY_SECONDS):
        return False
    transaction.on_commit(
        lambda: find_merge_suggestions.schedule((org_id,), delay=REQUEST_DELAY_SECONDS)
    )
    return True
