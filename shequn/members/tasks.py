"""Jobs of identity merge (docs/merges.md): thin entry points that call one service.

`find_merge_suggestions` is enqueued (in `transaction.on_commit`) after an ingestion or an
import and by the console's "find now" button; `sweep_merge_suggestions` runs the finding for
every organisation once a night, catching whatever a lost job missed. Running either twice is
harmless: finding is idempotent and a rejected pair stays rejected.
"""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from shequn.members.merge_suggestions import refresh_merge_suggestions
from shequn.organizations.models import Organization

logger = logging.getLogger(__name__)


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
