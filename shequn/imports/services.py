"""Writes of imports: the bookkeeping of an import job, shared by activity and member imports.

The ImportJob row is the truth (docs/jobs.md, docs/imports.md): `create_import_job` stores the
uploaded file privately and, when the job is QUEUED, enqueues `run_import` once the transaction
commits; a runner `claim_import_job`s it (QUEUED → RUNNING, atomically: a second copy of the task
gets None and does nothing), reports `record_import_progress` (totals so far, one cheap UPDATE
that is also the job's heartbeat) and ends with `finish_import_job` or `fail_import_job`. The
sweeper (`shequn/imports/tasks.py`) puts a job whose heartbeat stopped back to QUEUED with
`requeue_import_job`; running a job twice is harmless because the ingestion dedupes.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from django.core.files import File
from django.db import transaction
from django.utils import timezone

from shequn.audit.models import AuditAction
from shequn.audit.services import record_audit
from shequn.imports.models import ImportJob, ImportStatus
from shequn.imports.storage import private_storage

if TYPE_CHECKING:
    from shequn.accounts.selectors import OperatorScope
    from shequn.organizations.models import Community, Organization

# The longest error kept on a failed job (the operator reads it on the job page).
ERROR_MAX_LENGTH = 2000


def _stored_name(folder: str, original_name: str) -> str:
    """A fresh name under `folder` keeping the upload's extension (never the operator's name:
    it may hold anything)."""
    suffix = Path(original_name).suffix.lower()
    if not suffix[1:].isalnum() or len(suffix) > 8:
        suffix = ""
    return f"{folder}{uuid.uuid4().hex}{suffix}"


def create_import_job(
    *,
    actor: OperatorScope | None,
    organization: Organization,
    kind: str,
    format: str,
    uploaded_file: File[Any],
    community: Community | None = None,
    options: Mapping[str, Any] | None = None,
    status: str = ImportStatus.QUEUED,
) -> ImportJob:
    """Store `uploaded_file` privately as a new job; audited; a QUEUED job is enqueued on commit.

    The caller has checked the file (format, size) and that `community` is in the actor's scope.
    """
    original_name = Path(uploaded_file.name or "upload").name[:255] or "upload"
    job = ImportJob(
        organization=organization,
        kind=kind,
        format=format,
        community=community,
        created_by=actor.user if actor else None,  # type: ignore[misc]
        original_name=original_name,
        size=uploaded_file.size or 0,
        options=dict(options or {}),
        status=status,
    )
    name = private_storage().save(_stored_name("imports/files/", original_name), uploaded_file)
    job.file.name = name
    try:
        with transaction.atomic():
            job.save()
            record_audit(
                actor=actor,
                action=AuditAction.IMPORT,
                target=job,
                changes={
                    "kind": kind,
                    "format": format,
                    "file": original_name,
                    "size": job.size,
                    "community": community.pk if community else None,
                },
                organization_id=organization.pk,
                chapter_id=community.chapter_id if community else None,
                community_id=community.pk if community else None,
            )
            if status == ImportStatus.QUEUED:
                _enqueue_on_commit(job.pk)
    except BaseException:
        private_storage().delete(name)  # nothing stored when the job is not
        raise
    return job


def _enqueue_on_commit(job_id: int) -> None:
    from shequn.imports.tasks import run_import  # tasks import this module

    transaction.on_commit(lambda: run_import(job_id))


def queue_import_job(
    *, actor: OperatorScope | None, job: ImportJob, options: Mapping[str, Any] | None = None
) -> bool:
    """PENDING → QUEUED (a member import after its column preview), with the confirmed
    `options`; enqueued on commit. False (and nothing changed) when the job was not pending."""
    with transaction.atomic():
        fields: dict[str, Any] = {"status": ImportStatus.QUEUED, "updated_at": timezone.now()}
        if options is not None:
            fields["options"] = dict(options)
        changed = ImportJob.objects.filter(pk=job.pk, status=ImportStatus.PENDING).update(**fields)
        if not changed:
            return False
        record_audit(
            actor=actor,
            action=AuditAction.UPDATE,
            target=job,
            changes={"status": [ImportStatus.PENDING, ImportStatus.QUEUED]},
            organization_id=job.organization_id,
            community_id=job.community_id,
            chapter_id=job.community.chapter_id if job.community_id and job.community else None,
        )
        _enqueue_on_commit(job.pk)
    job.refresh_from_db()
    return True


def claim_import_job(job_id: int) -> ImportJob | None:
    """QUEUED → RUNNING in one UPDATE, counters reset (the runner reads the file from its
    start); the job, or None when it is not queued (already running, done, failed or gone)."""
    now = timezone.now()
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportStatus.QUEUED).update(
        status=ImportStatus.RUNNING,
        started_at=now,
        finished_at=None,
        updated_at=now,
        bytes_read=0,
        rows_read=0,
        rows_new=0,
        rows_duplicate=0,
        rows_rejected=0,
        error="",
    )
    if not claimed:
        return None
    return ImportJob.objects.select_related("organization", "community", "created_by").get(
        pk=job_id
    )


def record_import_progress(
    job_id: int, *, bytes_read: int, rows_read: int, new: int, duplicate: int, rejected: int
) -> None:
    """The totals so far of a running job (not increments), in one UPDATE; also its heartbeat."""
    ImportJob.objects.filter(pk=job_id, status=ImportStatus.RUNNING).update(
        bytes_read=bytes_read,
        rows_read=rows_read,
        rows_new=new,
        rows_duplicate=duplicate,
        rows_rejected=rejected,
        updated_at=timezone.now(),
    )


def finish_import_job(job_id: int, *, rejects: RejectsWriter) -> None:
    """RUNNING → DONE; the rejects file (closed here) attached when it holds any line. New
    members may have come with the file: their organisation's merge suggestions are asked for."""
    from shequn.members.tasks import request_merge_suggestions

    _end(job_id, status=ImportStatus.DONE, error="", rejects=rejects)
    org_id = ImportJob.objects.filter(pk=job_id).values_list("organization_id", flat=True).first()
    if org_id is not None:
        request_merge_suggestions(org_id)


def fail_import_job(job_id: int, *, error: str, rejects: RejectsWriter | None = None) -> None:
    """RUNNING (or QUEUED) → FAILED with the reason in the operator's words; what the job stored
    before stays, and so do the rejects written so far."""
    _end(job_id, status=ImportStatus.FAILED, error=error[:ERROR_MAX_LENGTH], rejects=rejects)


def _end(job_id: int, *, status: str, error: str, rejects: RejectsWriter | None) -> None:
    fields: dict[str, Any] = {
        "status": status,
        "error": error,
        "finished_at": timezone.now(),
        "updated_at": timezone.now(),
    }
    if rejects is not None:
        rejects.close()
        if rejects.count and rejects.name:
            fields["rejects_file"] = rejects.name
    ImportJob.objects.filter(
        pk=job_id, status__in=[ImportStatus.RUNNING, ImportStatus.QUEUED]
    ).update(**fields)


def requeue_import_job(job_id: int, *, stalled_before: Any) -> bool:
    """Put a job whose heartbeat is older than `stalled_before` back to QUEUED (the sweeper);
    True when it did, so the caller enqueues it."""
    return bool(
        ImportJob.objects.filter(
            pk=job_id,
            status__in=[ImportStatus.QUEUED, ImportStatus.RUNNING],
            updated_at__lt=stalled_before,
        ).update(status=ImportStatus.QUEUED, updated_at=timezone.now())
    )


class RejectsWriter:
    """Streams rejected rows as JSON Lines, one `{"line": 12, "reason": …, "row": …}` (or
    `{"message_id": 345, …}`) a line, to a job's private rejects file or to a path.

    `write(ref, reason, raw)`: `ref` names the row (`{"line": n}`, `{"message_id": id}`, or an
    int, meaning a line number); `raw` is the original row (bytes and str kept as text, a mapping
    as JSON). The file is created at the first reject only; `count` says how many were written.
    """

    def __init__(self, target: ImportJob | str | Path) -> None:
        self.count = 0
        self.name: str | None = None
        if isinstance(target, ImportJob):
            self.name = f"imports/rejects/{target.pk}-{uuid.uuid4().hex}.jsonl"
            self.path = Path(private_storage().path(self.name))
        else:
            self.path = Path(target)
        self._file: IO[str] | None = None

    def write(self, ref: Mapping[str, Any] | int, reason: str, raw: Any) -> None:
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = self.path.open("w", encoding="utf-8")
        if isinstance(raw, bytes | bytearray | memoryview):
            raw = bytes(raw).decode("utf-8", errors="replace").rstrip("\r\n")
        elif isinstance(raw, str):
            raw = raw.rstrip("\r\n")
        line: dict[str, Any] = {"line": ref} if isinstance(ref, int) else dict(ref)
        line["reason"] = str(reason)
        line["row"] = raw
        self._file.write(json.dumps(line, ensure_ascii=False, default=str) + "\n")
        self.count += 1

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self) -> RejectsWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
