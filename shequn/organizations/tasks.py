"""Jobs of the community lifecycle (docs/jobs.md): thin entry points that call one service.

The table says what must happen: an active community of a kind that closes at its end, whose
`ends_at` has passed, is due; `status` and `closed_by_policy_at` say it happened. Huey only
carries the work: `close_community` is scheduled for a community's end when it is created or
its end changes, and the sweeper catches, once a minute, whatever that missed (a lost queue, a
consumer that was down, an end moved earlier). Either may run twice: the service closes once.
"""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from shequn.organizations.selectors import list_communities_due_to_close
from shequn.organizations.services import close_expired_community

logger = logging.getLogger(__name__)


@db_task()  # type: ignore[untyped-decorator]  # huey has no types
def close_community(community_id: int) -> bool:
    """Close one community whose end has passed (a no-op when it is not due)."""
    return close_expired_community(community_id=community_id) is not None


@db_periodic_task(crontab(minute="*"))  # type: ignore[untyped-decorator]
def close_expired_communities() -> int:
    """The sweeper: close every community that is due but still open. Returns how many."""
    closed = 0
    for community_id in list_communities_due_to_close():
        if close_expired_community(community_id=community_id) is not None:
            closed += 1
    if closed:
        logger.info("Closed %d communities past their end.", closed)
    return closed
