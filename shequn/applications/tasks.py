"""Jobs of applications (docs/jobs.md): the applicant's email about a decision.

`send_decision_email` is enqueued in `transaction.on_commit` by each decision, so a slow mail
server never holds the reviewer's request. It takes the decision's id, re-reads it, and sends
once: `ApplicationDecision.emailed_at` is claimed before sending (and released when the mail
server fails, so a retry sends it), so running it twice sends one mail. The sweeper re-queues,
every ten minutes, the mails of the last two days that have not gone out (a lost queue, a mail
server that was down).
"""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from shequn.applications.emails import list_unsent_decision_ids, send_decision_email_now


@db_task()  # type: ignore[untyped-decorator]  # huey has no types
def send_decision_email(decision_id: int) -> bool:
    """Mail the applicant about one decision; False when there is nothing (more) to send."""
    return send_decision_email_now(decision_id=decision_id)


@db_periodic_task(crontab(minute="*/10"))  # type: ignore[untyped-decorator]
def sweep_decision_emails() -> int:
    """Queue the decision mails that should have gone out but did not. Returns how many."""
    ids = list_unsent_decision_ids()
    for decision_id in ids:
        send_decision_email(decision_id)
    return len(ids)
