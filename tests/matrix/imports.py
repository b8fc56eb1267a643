"""Permission-matrix rows of imports (see tests/matrix/common.py).

Every operator may upload (scoped ones into their own communities) and sees the history of
their scope; a job, its progress and its rejects are seen by whoever sees the job
(shequn.imports.selectors): an admin all, a chapter head / assistant the jobs into their
communities and their own. An empty upload POST shows the form again with its errors (422) and
stores nothing; the API's upload is multipart, so the matrix's JSON body is a 422 too.
"""

from __future__ import annotations

from typing import Any

from django.core.files.base import ContentFile

from shequn.imports.models import ImportFormat, ImportJob, ImportKind, ImportStatus
from shequn.imports.storage import private_storage
from tests.matrix.common import API_OTHER, API_READ, OTHER, PAGE, Fixtures, Row

J = {"job_id": "activity_import_job"}
OJ = {"job_id": "other_activity_import_job"}
FORM_ERROR = (422, 422, 422, 403, 403, 302)

CONSOLE: list[Row] = [
    Row("imports:list", {}, "get", PAGE),
    Row("imports:upload", {}, "get", PAGE),
    Row("imports:upload", {}, "post", FORM_ERROR),
    *[Row(route, J, "get", PAGE) for route in ("imports:detail", "imports:progress")],
    *[Row(route, OJ, "get", OTHER) for route in ("imports:detail", "imports:progress")],
    Row("imports:rejects", J, "get", PAGE),
    Row("imports:rejects", OJ, "get", OTHER),
]
PORTAL: list[Row] = []
API: list[Row] = [
    Row("/imports", {}, "get", API_READ),
    Row("/imports", {}, "post", (422, 422, 422, 401, 401, 401)),
    Row("/imports/{job_id}", J, "get", API_READ),
    Row("/imports/{job_id}", OJ, "get", API_OTHER),
    Row("/imports/{job_id}/rejects", J, "get", API_READ),
    Row("/imports/{job_id}/rejects", OJ, "get", API_OTHER),
]


def _done_job(fixtures: Fixtures, community: Any, name: str) -> int:
    storage = private_storage()
    rejects = storage.save(f"imports/rejects/{name}.jsonl", ContentFile(b'{"line": 1}\n'))
    job = ImportJob.objects.create(
        organization=fixtures.org,
        kind=ImportKind.ACTIVITIES,
        format=ImportFormat.JSONL,
        community=community,
        created_by=fixtures.org_admin.user,
        file=storage.save(f"imports/files/{name}.jsonl", ContentFile(b"{}\n")),
        original_name=f"{name}.jsonl",
        size=3,
        status=ImportStatus.DONE,
        rows_read=1,
        rows_rejected=1,
        rejects_file=rejects,
    )
    return job.pk


def objects(fixtures: Fixtures) -> dict[str, int]:
    """The objects these rows name, by name."""
    return {
        "activity_import_job": _done_job(fixtures, fixtures.community, "matrix"),
        "other_activity_import_job": _done_job(fixtures, fixtures.other_community, "other"),
    }
