"""Imports over the API: upload a file, follow its job, download its rejected rows.

`POST /imports` (multipart): `file`, optional `community_id`, `kind` (`activities`, the
default, or `members`, with an optional `mapping` JSON object {field: column}; the columns
suggested from the header are used otherwise). The job then runs in the background: poll
`GET /imports/{id}` until `status` is `done` or `failed`.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile

from shequn.accounts.api import actor_of
from shequn.core.problems import problem_responses
from shequn.core.schemas import PageParams, PathId, paginate
from shequn.imports.forms import check_activity_upload
from shequn.imports.limits import upload_max_bytes
from shequn.imports.models import ImportJob, ImportKind, ImportStatus
from shequn.imports.schemas import ImportJobOut, ImportJobPage
from shequn.imports.selectors import get_import_job_for_user, list_import_jobs
from shequn.imports.services import create_import_job
from shequn.imports.views import rejects_response
from shequn.organizations.models import CommunityStatus
from shequn.organizations.selectors import get_community_for_user

router = Router(tags=["imports"])

KINDS = {ImportKind.ACTIVITIES.value, ImportKind.MEMBERS.value}


@router.get("/imports", response=ImportJobPage, openapi_extra=problem_responses(422))
def list_imports(request: HttpRequest, page: Query[PageParams], kind: str = "") -> dict[str, Any]:
    """The import jobs the token's operator sees (docs/imports.md), newest first."""
    if kind and kind not in KINDS:
        raise ValidationError({"kind": _("Choose activities or members.")})
    return paginate(list_import_jobs(actor=actor_of(request), kind=kind), page)


@router.get("/imports/{job_id}", response=ImportJobOut, openapi_extra=problem_responses(404, 422))
def get_import(request: HttpRequest, job_id: PathId) -> ImportJob:
    """One job: its status and counts so far (poll while `queued` or `running`)."""
    return get_import_job_for_user(actor=actor_of(request), job_id=job_id)


@router.get(
    "/imports/{job_id}/rejects",
    url_name="import_rejects",
    response={200: None},
    openapi_extra={
        **problem_responses(404, 422),
        "responses": {
            **problem_responses(404, 422)["responses"],
            200: {
                "description": "The rejected rows, JSON Lines: one "
                '`{"line": n | "message_id": id, "reason": "…", "row": …}` a line.',
                "content": {"application/x-ndjson": {"schema": {"type": "string"}}},
            },
        },
    },
)
def get_import_rejects(request: HttpRequest, job_id: PathId) -> FileResponse:
    """Download the job's rejected rows (404 when none was rejected)."""
    return rejects_response(get_import_job_for_user(actor=actor_of(request), job_id=job_id))


@router.post(
    "/imports",
    response={202: ImportJobOut},
    openapi_extra=problem_responses(403, 404, 413, 422),
)
def create_import(
    request: HttpRequest,
    file: File[UploadedFile],
    kind: Form[str] = ImportKind.ACTIVITIES.value,
    community_id: Form[int | None] = None,
    mapping: Form[str] = "",
) -> Status[ImportJob]:
    """Upload a file to import; the job runs in the background (202)."""
    actor = actor_of(request)
    if kind not in KINDS:
        raise ValidationError({"kind": _("Choose activities or members.")})
    if file.size and file.size > upload_max_bytes():
        raise HttpError(
            413,
            _("The file is larger than the limit of %(limit)d bytes.")
            % {"limit": upload_max_bytes()},
        )
    community = None
    if community_id is not None:
        community = get_community_for_user(actor=actor, community_id=community_id)
        if community.status != CommunityStatus.ACTIVE:
            raise ValidationError({"community_id": _("The community is no longer active.")})
    if kind == ImportKind.MEMBERS:
        return Status(202, _create_member_import(request, file, community, mapping))
    if mapping:
        raise ValidationError({"mapping": _("Only a member import takes a column mapping.")})
    try:
        fmt = check_activity_upload(file)
    except ValidationError as exc:
        raise ValidationError({"file": exc.messages}) from exc
    if fmt == "telegram" and community is None:
        raise ValidationError(
            {"community_id": _("A Telegram export is one chat: give its community_id.")}
        )
    job = create_import_job(
        actor=actor,
        organization=actor.organization,
        kind=ImportKind.ACTIVITIES,
        format=fmt,
        uploaded_file=file,
        community=community,
        options={"language": get_language()},
    )
    return Status(202, job)


def _create_member_import(
    request: HttpRequest, file: UploadedFile, community: Any, mapping: str
) -> ImportJob:
    """A member import, checked by the member import's own forms (docs/member-import.md)."""
    from shequn.imports.member_forms import MemberMappingForm, MemberUploadForm

    actor = actor_of(request)
    upload = MemberUploadForm(
        data={"community": community.pk if community else ""}, files={"file": file}, actor=actor
    )
    if not upload.is_valid() or upload.preview is None:
        errors = upload.errors.get_json_data()
        raise ValidationError(
            {
                ("community_id" if name == "community" else name): [e["message"] for e in items]
                for name, items in errors.items()
            }
        )
    preview = upload.preview
    chosen: dict[str, Any] = dict(preview.suggestion)
    if mapping:
        try:
            chosen = json.loads(mapping)
        except ValueError:
            chosen = None  # type: ignore[assignment]
        if not isinstance(chosen, dict):
            raise ValidationError({"mapping": _("The mapping must be a JSON object.")})
    form = MemberMappingForm(
        data={k: v for k, v in chosen.items() if isinstance(v, str)},
        headers=preview.headers,
        suggestion=preview.suggestion,
    )
    if not form.is_valid():
        raise ValidationError(
            {
                "mapping": [
                    f"{name}: {e['message']}"
                    for name, items in form.errors.get_json_data().items()
                    for e in items
                ]
            }
        )
    return create_import_job(
        actor=actor,
        organization=actor.organization,
        kind=ImportKind.MEMBERS,
        format=preview.format,
        uploaded_file=upload.cleaned_data["file"],
        community=upload.cleaned_data["community"],
        options={
            "headers": preview.headers,
            "suggestion": preview.suggestion,
            "total_rows": preview.total_rows,
            "estimated": preview.estimated,
            "mapping": form.mapping(),
            "language": get_language(),
        },
        status=ImportStatus.QUEUED,
    )
