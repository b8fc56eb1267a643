"""Console pages of imports: upload an activity file, follow its job, the history of imports."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from shequn.accounts.decorators import OperatorRequest, operator_required
from shequn.core.pagination import get_window
from shequn.imports.forms import ActivityUploadForm
from shequn.imports.limits import upload_max_bytes
from shequn.imports.models import ImportJob, ImportKind, ImportStatus
from shequn.imports.selectors import get_import_job_for_user, list_import_jobs
from shequn.imports.services import create_import_job
from shequn.imports.storage import private_storage

JOBS_PER_PAGE = 30
# The job page polls its progress this often while the job is queued or running.
POLL_SECONDS = 1


@operator_required
@require_GET
def import_list(request: OperatorRequest) -> HttpResponse:
    kind = request.GET.get("kind", "")
    jobs = list_import_jobs(actor=request.operator_scope, kind=kind if kind in ImportKind else "")
    page = get_window(jobs, page=request.GET.get("page"), per_page=JOBS_PER_PAGE)
    context = {"page": page, "kind": kind, "kinds": ImportKind.choices}
    partial = bool(request.htmx) and not request.htmx.history_restore_request
    template = "imports/partials/jobs.html" if partial else "imports/list.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@operator_required
@require_http_methods(["GET", "POST"])
def import_upload(request: OperatorRequest) -> HttpResponseBase:
    actor = request.operator_scope
    form = ActivityUploadForm(request.POST or None, request.FILES or None, actor=actor)
    if request.method == "POST" and form.is_valid():
        job = create_import_job(
            actor=actor,
            organization=actor.organization,
            kind=ImportKind.ACTIVITIES,
            format=form.format,
            uploaded_file=form.cleaned_data["file"],
            community=form.cleaned_data["community"],
            options={"language": get_language()},
        )
        return redirect("imports:detail", job_id=job.pk)
    status = 422 if request.method == "POST" else 200
    context = {"form": form, "limit": upload_max_bytes()}
    return render(request, "imports/upload.html", context, status=status)


def _job_context(job: ImportJob) -> dict[str, object]:
    running = job.status in {ImportStatus.QUEUED, ImportStatus.RUNNING, ImportStatus.PENDING}
    percent = min(100, round(100 * job.bytes_read / job.size)) if job.size else 0
    if job.status == ImportStatus.DONE:
        percent = 100
    seconds = None
    if job.started_at and job.finished_at:
        seconds = (job.finished_at - job.started_at).total_seconds()
    return {
        "job": job,
        "seconds": seconds,
        "polling": running and job.status != ImportStatus.PENDING,
        "percent": percent,
        "poll_seconds": POLL_SECONDS,
    }


@operator_required
@require_GET
def import_detail(request: OperatorRequest, job_id: int) -> HttpResponse:
    job = get_import_job_for_user(actor=request.operator_scope, job_id=job_id)
    return render(request, "imports/detail.html", _job_context(job))


@operator_required
@require_GET
def import_progress(request: OperatorRequest, job_id: int) -> HttpResponse:
    """The progress partial (htmx polls it; it stops polling once the job is done or failed)."""
    job = get_import_job_for_user(actor=request.operator_scope, job_id=job_id)
    response = render(request, "imports/partials/progress.html", _job_context(job))
    response["Cache-Control"] = "no-store"
    return response


@operator_required
@require_GET
def import_rejects(request: OperatorRequest, job_id: int) -> FileResponse:
    """The job's rejected rows (JSON Lines), for whoever sees the job."""
    job = get_import_job_for_user(actor=request.operator_scope, job_id=job_id)
    return rejects_response(job)


def rejects_response(job: ImportJob) -> FileResponse:
    if not job.rejects_file.name or not private_storage().exists(job.rejects_file.name):
        raise Http404(_("This import has no rejected rows."))
    response = FileResponse(
        private_storage().open(job.rejects_file.name, "rb"),
        as_attachment=True,
        filename=f"rejects-{job.pk}.jsonl",
        content_type="application/x-ndjson; charset=utf-8",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
