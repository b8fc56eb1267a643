"""Console pages of member import: upload a CSV/.xlsx list, check its columns, start the job.

Who may (docs/member-import.md): organisation admins (any community, or none); chapter heads
(communities of their chapters) and assistants (their communities), who must choose a default
community of their scope. Members and outsiders get 403, anonymous visitors the sign-in page.
The job page itself is the imports app's (`imports:detail`).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _

from shequn.accounts.decorators import OperatorRequest, operator_required
from shequn.imports.member_files import PREVIEW_ROWS, MemberFileError, open_reader
from shequn.imports.member_forms import MemberMappingForm, MemberUploadForm
from shequn.imports.models import ImportJob, ImportKind, ImportStatus
from shequn.imports.selectors import get_import_job_for_user
from shequn.imports.services import create_import_job, queue_import_job


@operator_required
def member_upload(request: OperatorRequest) -> HttpResponse:
    actor = request.operator_scope
    form = MemberUploadForm(request.POST or None, request.FILES or None, actor=actor)
    if request.method == "POST" and form.is_valid() and form.preview is not None:
        preview = form.preview
        job = create_import_job(
            actor=actor,
            organization=actor.organization,
            kind=ImportKind.MEMBERS,
            format=preview.format,
            uploaded_file=form.cleaned_data["file"],
            community=form.cleaned_data["community"],
            options={
                "headers": preview.headers,
                "suggestion": preview.suggestion,
                "total_rows": preview.total_rows,
                "estimated": preview.estimated,
            },
            status=ImportStatus.PENDING,
        )
        return redirect("member_imports:preview", job_id=job.pk)
    return render(request, "imports/member_upload.html", {"form": form})


def _get_pending_job(request: OperatorRequest, job_id: int) -> ImportJob:
    job = get_import_job_for_user(actor=request.operator_scope, job_id=job_id)
    if job.kind != ImportKind.MEMBERS:
        raise Http404(_("No such import."))
    return job


def _first_rows(job: ImportJob, width: int) -> tuple[list[list[str]], str]:
    """The first rows of the stored file for the preview table, or an error to show."""
    rows: list[list[str]] = []
    try:
        with job.file.open("rb") as file:
            reader = open_reader(file)
            try:
                for _line, cells in reader.rows():
                    if any(cells):
                        rows.append((cells + [""] * width)[:width])
                    if len(rows) >= PREVIEW_ROWS:
                        break
            finally:
                reader.close()
    except (MemberFileError, OSError) as exc:
        return rows, getattr(exc, "message", _("The uploaded file can no longer be read."))
    return rows, ""


@operator_required
def member_preview(request: OperatorRequest, job_id: int) -> HttpResponse:
    actor = request.operator_scope
    job = _get_pending_job(request, job_id)
    if job.status != ImportStatus.PENDING:
        return redirect("imports:detail", job_id=job.pk)
    headers: list[str] = list(job.options.get("headers", []))
    form = MemberMappingForm(
        request.POST or None, headers=headers, suggestion=dict(job.options.get("suggestion", {}))
    )
    if request.method == "POST" and form.is_valid():
        options = {
            **job.options,
            "mapping": form.mapping(),
            "language": translation.get_language(),
        }
        if queue_import_job(actor=actor, job=job, options=options):
            messages.success(request, _("The import of %(file)s has started.") % {"file": job})
        return redirect("imports:detail", job_id=job.pk)
    rows, error = _first_rows(job, len(headers))
    table = [[{"header": h, "value": v} for h, v in zip(headers, row, strict=True)] for row in rows]
    context = {"job": job, "form": form, "headers": headers, "rows": table, "error": error}
    return render(request, "imports/member_preview.html", context)
