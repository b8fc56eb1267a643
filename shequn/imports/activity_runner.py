"""The job of an activity import: read the job's file through the one reader, with progress.

Called by `shequn.imports.tasks.run_import`. It claims the job (a second copy of the task does
nothing), acts with the scope of the operator who uploaded it (a chapter head's file ingests
only into their chapter's communities) in their language, records progress after every batch,
and ends the job DONE, or FAILED with the reason (a cut-off file keeps what came before).
"""

from __future__ import annotations

import logging
from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.utils import translation
from django.utils.translation import gettext as _

from shequn.imports.activity_files import ActivityFileError, ImportProgress, import_activity_file
from shequn.imports.models import ImportJob
from shequn.imports.selectors import get_uploader_scope
from shequn.imports.services import (
    RejectsWriter,
    claim_import_job,
    fail_import_job,
    finish_import_job,
    record_import_progress,
)
from shequn.imports.storage import private_storage

logger = logging.getLogger(__name__)


def run_activity_import(job_id: int) -> None:
    job = claim_import_job(job_id)
    if job is None:
        return
    with translation.override(job.options.get("language") or None):
        _run(job)


def _run(job: ImportJob) -> None:
    rejects = RejectsWriter(job)
    try:
        actor = get_uploader_scope(job)
    except PermissionDenied:
        fail_import_job(job.pk, error=_("The operator who uploaded the file is no longer one."))
        return

    def progress(state: ImportProgress) -> None:
        record_import_progress(
            job.pk,
            bytes_read=state.bytes_read,
            rows_read=state.read,
            new=state.new,
            duplicate=state.duplicate,
            rejected=state.rejected,
        )

    try:
        state = import_activity_file(
            path=Path(private_storage().path(job.file.name or "")),
            organization=job.organization,
            actor=actor,
            rejects=rejects,
            community=job.community,
            format=job.format,
            progress=progress,
        )
    except ActivityFileError as exc:
        fail_import_job(job.pk, error=str(exc), rejects=rejects)
        return
    except Exception:
        logger.exception("Import job %s failed.", job.pk)
        fail_import_job(
            job.pk, error=_("The import stopped on an unexpected error."), rejects=rejects
        )
        raise
    progress(state)
    if state.ended_early:
        fail_import_job(job.pk, error=state.ended_early, rejects=rejects)
    else:
        finish_import_job(job.pk, rejects=rejects)
