"""The job of a member import: stream the stored file with its confirmed column mapping, import
it batch by batch (shequn.members.importing), report progress and rejected rows, finish.

`run_member_import(job_id)` is called by `shequn.imports.tasks.run_import` for kind=members. It
claims the job first (a second copy of the task does nothing); a job run again after a crash
adds nothing for the rows already imported, because every row matches the member it created.
Each batch is committed before its progress is recorded, so what a failed job stored stays.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation
from django.utils.translation import gettext as _

from shequn.imports.member_files import MAX_ROWS, MemberFileError, is_garbled, open_reader
from shequn.imports.models import ImportJob
from shequn.imports.selectors import get_uploader_scope
from shequn.imports.services import (
    RejectsWriter,
    claim_import_job,
    fail_import_job,
    finish_import_job,
    record_import_progress,
)
from shequn.members.importing import ImportRow, MemberImport

logger = logging.getLogger(__name__)

BATCH_SIZE = 1000
# At most this long between two progress records (the job's heartbeat) while reading rows.
PROGRESS_SECONDS = 2.0


def column_indexes(header: list[str], mapping: Mapping[str, str]) -> dict[str, int]:
    """{field: column index} of a confirmed mapping ({field: header}); MemberFileError when a
    mapped column is not in the file's header."""
    positions = {name: i for i, name in enumerate(header)}
    indexes: dict[str, int] = {}
    for field_name, column in mapping.items():
        if not column:
            continue
        if column not in positions:
            raise MemberFileError(
                _("The column %(column)s is not in the file.") % {"column": column}, "mapping"
            )
        indexes[field_name] = positions[column]
    return indexes


def run_member_import(job_id: int) -> None:
    job = claim_import_job(job_id)
    if job is None:
        return
    with translation.override(job.options.get("language") or translation.get_language()):
        _run(job)


def _run(job: ImportJob) -> None:
    rejects = RejectsWriter(job)
    totals = {"new": 0, "duplicate": 0, "rejected": 0}
    rows_read = 0
    position = 0
    try:
        importer = MemberImport(
            organization=job.organization,
            actor=get_uploader_scope(job),
            default_community=job.community,
            started_at=job.started_at,
        )
        with job.file.open("rb") as file:
            reader = open_reader(file)
            try:
                header = reader.header
                garbled = _("This row is not text in the file's encoding (%(encoding)s).") % {
                    "encoding": reader.encoding.upper()
                }
                indexes = column_indexes(header, job.options.get("mapping", {}))
                batch: list[ImportRow] = []
                raw: dict[int, dict[str, str]] = {}
                last = time.monotonic()

                def flush() -> None:
                    nonlocal last
                    result = importer.import_rows(batch)
                    for rejected in result.rejected:
                        rejects.write({"line": rejected.line}, rejected.reason, raw[rejected.line])
                    totals["new"] += result.new
                    totals["duplicate"] += result.duplicate
                    totals["rejected"] += len(result.rejected)
                    record_import_progress(
                        job.pk, bytes_read=reader.position(), rows_read=rows_read, **totals
                    )
                    batch.clear()
                    raw.clear()
                    last = time.monotonic()

                for line, cells in reader.rows():
                    if not any(cells):
                        continue
                    if rows_read >= MAX_ROWS:
                        raise MemberFileError(
                            _("Stopped after %(max)s rows: split the file and import the rest.")
                            % {"max": f"{MAX_ROWS:,}"},
                            "too_many_rows",
                        )
                    rows_read += 1
                    raw[line] = {
                        h: cells[i] if i < len(cells) else "" for i, h in enumerate(header)
                    }
                    if is_garbled(cells):
                        rejects.write({"line": line}, garbled, raw.pop(line))
                        totals["rejected"] += 1
                        continue
                    values = {f: cells[i] if i < len(cells) else "" for f, i in indexes.items()}
                    batch.append(ImportRow(line=line, values=values))
                    raw[line] = {
                        h: cells[i] if i < len(cells) else "" for i, h in enumerate(header)
                    }
                    if len(batch) >= BATCH_SIZE or time.monotonic() - last > PROGRESS_SECONDS:
                        flush()
                if batch:
                    flush()
                position = reader.position()
            finally:
                reader.close()
    except (MemberFileError, PermissionDenied, ValidationError) as exc:
        message = exc.message if isinstance(exc, MemberFileError) else _error_text(exc)
        fail_import_job(job.pk, error=message, rejects=rejects)
        return
    except Exception:
        logger.exception("Member import %s failed", job.pk)
        fail_import_job(
            job.pk,
            error=_("The import stopped on an unexpected error; the rows before it are kept."),
            rejects=rejects,
        )
        return
    record_import_progress(
        job.pk, bytes_read=max(position, job.size), rows_read=rows_read, **totals
    )
    finish_import_job(job.pk, rejects=rejects)


def _error_text(exc: Any) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(str(m) for m in exc.messages)
    return str(exc)
