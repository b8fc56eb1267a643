"""Permission-matrix rows of member imports (see tests/matrix/common.py).

The upload page is open to every operator (scoped ones choose a community of their scope);
a preview is seen by whoever sees its job (shequn.imports.selectors). An empty POST shows the
form again with its errors (200) and queues nothing.
"""

from __future__ import annotations

from typing import Any

from shequn.imports.models import ImportFormat, ImportJob, ImportKind, ImportStatus
from tests.matrix.common import OTHER, PAGE, Fixtures, Row

J = {"job_id": "member_import_job"}
OJ = {"job_id": "other_member_import_job"}

CONSOLE: list[Row] = [
    Row("member_imports:upload", {}, "get", PAGE),
    Row("member_imports:upload", {}, "post", PAGE),
    Row("member_imports:preview", J, "get", PAGE),
    Row("member_imports:preview", J, "post", PAGE),
    Row("member_imports:preview", OJ, "get", OTHER),
    Row("member_imports:preview", OJ, "post", OTHER),
]
PORTAL: list[Row] = []
API: list[Row] = []


def _pending_job(fixtures: Fixtures, community: Any) -> int:
    # A job row only: the preview says its file cannot be read, which is all these rows need.
    job = ImportJob.objects.create(
        organization=fixtures.org,
        kind=ImportKind.MEMBERS,
        format=ImportFormat.CSV,
        community=community,
        created_by=fixtures.org_admin.user,
        file="imports/files/matrix-members.csv",
        original_name="members.csv",
        options={"headers": ["姓名", "手机号"], "suggestion": {"name": "姓名"}, "total_rows": 1},
        status=ImportStatus.PENDING,
    )
    return job.pk


def objects(fixtures: Fixtures) -> dict[str, int]:
    """The objects these rows name, by name."""
    return {
        "member_import_job": _pending_job(fixtures, fixtures.community),
        "other_member_import_job": _pending_job(fixtures, fixtures.other_community),
    }
