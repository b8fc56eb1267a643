"""Jobs of imports (docs/jobs.md, docs/imports.md): thin entry points that call one runner.

The ImportJob row says what must happen: a QUEUED job is to run; a RUNNING one records its
progress (and so its heartbeat, `updated_at`) at least every few seconds. `run_import` is
enqueued in `transaction.on_commit` when a job is queued; the sweeper re-queues, once a minute,
every queued or running job whose heartbeat is older than `SHEQUN_IMPORT_STALL_SECONDS` (a lost
queue, a consumer killed mid-file). A job that runs twice stores nothing twice: the ingestion
dedupes activities, the member import matches existing members.
"""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from shequn.imports.models import ImportKind
from shequn.imports.selectors import get_import_kind, list_stalled_import_jobs, stalled_before
from shequn.imports.services import requeue_import_job

logger = logging.getLogger(__name__)


@db_task()  # type: ignore[untyped-decorator]  # huey has no types
def run_import(job_id: int) -> None:
    """Run one import job by its kind; the runner claims it (a no-op unless it is queued)."""
    kind = get_import_kind(job_id)
    if kind == ImportKind.ACTIVITIES:
        from shequn.imports.activity_runner import run_activity_import

        run_activity_import(job_id)
    elif kind == ImportKind.MEMBERS:
        from shequn.imports.member_runner import run_member_import  # type: ignore[import-not-found,unused-ignore]

        run_member_import(job_id)


@db_periodic_task(crontab(minute="*"))  # type: ignore[untyped-decorator]
def requeue_stalled_imports() -> int:
    """The sweeper: re-queue every import job queued or running without progress for a few
    minutes. Returns how many."""
    before = stalled_before()
    requeued = 0
    for job_id in list_stalled_import_jobs(before=before):
        if requeue_import_job(job_id, stalled_before=before):
            run_import(job_id)
            requeued += 1
    if requeued:
        logger.info("Re-queued %d stalled import jobs.", requeued)
    return requeued
