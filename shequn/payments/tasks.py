"""Jobs of payments (docs/jobs.md): thin entry points, each safe to run twice.

- every minute: expire pending orders past their pay-by time (one conditional UPDATE);
- daily: renewal reminders (`reminded_at` claimed by a conditional UPDATE: one per term) and
  the end of memberships whose last term ran out (`expired_at` under a row lock).
"""

from __future__ import annotations

import logging

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from shequn.payments.services import (
    expire_pending_orders,
    expire_term,
    list_terms_to_expire,
    list_terms_to_remind,
    remind_term,
)

logger = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="*"))  # type: ignore[untyped-decorator]  # huey has no types
def expire_orders() -> int:
    """Pending orders not paid in SHEQUN_ORDER_PAY_MINUTES expire. Returns how many."""
    return expire_pending_orders()


@db_task()  # type: ignore[untyped-decorator]
def send_renewal_reminder(term_id: int) -> bool:
    return remind_term(term_id=term_id)


@db_periodic_task(crontab(minute="10", hour="9"))  # type: ignore[untyped-decorator]
def send_renewal_reminders() -> int:
    """Remind every member whose term ends within its reminder days (once per term)."""
    sent = 0
    for term_id in list_terms_to_remind(now=timezone.now()):
        sent += int(remind_term(term_id=term_id))
    return sent


@db_periodic_task(crontab(minute="20", hour="*"))  # type: ignore[untyped-decorator]
def expire_terms() -> int:
    """End the memberships whose last paid term ran out. Returns how many ended."""
    ended = 0
    for term_id in list_terms_to_expire(now=timezone.now()):
        ended += int(expire_term(term_id=term_id))
    if ended:
        logger.info("Ended %d memberships whose term ran out.", ended)
    return ended
