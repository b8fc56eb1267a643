"""Console pages of segments (docs/segments.md): the list, the builder (with a live count and
a preview), a segment's members in keyset pages, its CSV export, edit and delete.

Organisation admins and chapter heads only (assistants: 403); another chapter's segment: 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from shequn.accounts.decorators import OperatorRequest, operator_required
from shequn.core.forms import add_service_errors
from shequn.core.pagination import get_window
from shequn.segments import selectors, services
from shequn.segments.export import export_filename, stream_csv
from shequn.segments.forms import SegmentFilterForm, SegmentForm
from shequn.segments.models import Segment

PER_PAGE = 25  # as every console list


def _form_data(form: SegmentForm) -> dict[str, Any]:
    data = {name: form.cleaned_data[name] for name in ("name", "description", "chapter")}
    return data | {"filters": form.filters}


@operator_required
@require_GET
def segment_list(request: OperatorRequest) -> HttpResponse:
    actor = request.operator_scope
    segments = selectors.list_segments(actor=actor)
    page = get_window(segments, page=request.GET.get("page"), per_page=PER_PAGE)
    template = "segments/partials/list_table.html" if request.htmx else "segments/console/list.html"
    return render(request, template, {"page": page})


@operator_required
@require_http_methods(["GET", "POST"])
def segment_create(request: OperatorRequest) -> HttpResponse:
    actor = request.operator_scope
    actor.require(selectors.can_use_segments(actor))
    form = SegmentForm(request.POST or None, actor=actor)
    if request.method == "POST" and form.is_valid():
        try:
            segment = services.create_segment(actor=actor, **_form_data(form))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Segment %(name)s saved.") % {"name": segment.name})
            return redirect("segments:detail", segment_id=segment.pk)
    return render(request, "segments/console/builder.html", {"form": form, "segment": None})


@operator_required
@require_GET
def segment_preview(request: OperatorRequest) -> HttpResponse:
    """The live count and first members of the builder's filters (htmx, as they change)."""
    actor = request.operator_scope
    actor.require(selectors.can_use_segments(actor))
    form = SegmentFilterForm(request.GET, actor=actor)
    context: dict[str, Any] = {"form": form}
    if not form.is_valid() or form.filters is None:
        return render(request, "segments/partials/preview.html", context, status=422)
    overview = selectors.get_segment_overview(
        actor=actor, filters=form.filters, limit=selectors.PREVIEW_SIZE
    )
    context |= {"count": overview.count, "page": overview.page}
    return render(request, "segments/partials/preview.html", context)


@operator_required
@require_GET
def segment_detail(request: OperatorRequest, segment_id: int) -> HttpResponse:
    actor = request.operator_scope
    segment = selectors.get_segment_for_user(actor=actor, segment_id=segment_id)
    filters = selectors.segment_filters(segment)
    after = request.GET.get("after") or None
    try:  # the first page shows the count; the next ones only more members
        overview = selectors.get_segment_overview(
            actor=actor, filters=filters, cursor=after, with_count=after is None
        )
    except selectors.InvalidCursorError as exc:
        messages.error(request, str(exc))
        return redirect("segments:detail", segment_id=segment.pk)
    context: dict[str, Any] = {
        "segment": segment,
        "filters": selectors.describe_filters(actor=actor, filters=filters),
        "page": overview.page,
        "count": overview.count,
        "after": after,
        "can_manage": services.can_manage_segment(actor, segment),
    }
    template = "segments/partials/members.html" if request.htmx else "segments/console/detail.html"
    return render(request, template, context)


@operator_required
@require_GET
def segment_count(request: OperatorRequest, segment_id: int) -> HttpResponse:
    """One segment's count (the list's "count" button, htmx)."""
    actor = request.operator_scope
    segment = selectors.get_segment_for_user(actor=actor, segment_id=segment_id)
    count = selectors.count_segment(actor=actor, filters=selectors.segment_filters(segment))
    return render(request, "segments/partials/count.html", {"segment": segment, "count": count})


@operator_required
@require_http_methods(["GET", "POST"])
def segment_edit(request: OperatorRequest, segment_id: int) -> HttpResponse:
    actor = request.operator_scope
    segment = selectors.get_segment_for_user(actor=actor, segment_id=segment_id)
    actor.require(services.can_manage_segment(actor, segment))
    initial = SegmentForm.initial_from(selectors.segment_filters(segment))
    initial |= {"name": segment.name, "description": segment.description}
    initial["chapter"] = segment.chapter_id
    form = SegmentForm(request.POST or None, initial=initial, actor=actor)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_segment(actor=actor, segment=segment, data=_form_data(form))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Segment %(name)s saved.") % {"name": segment.name})
            return redirect("segments:detail", segment_id=segment.pk)
    return render(request, "segments/console/builder.html", {"form": form, "segment": segment})


@operator_required
@require_http_methods(["GET", "POST"])
def segment_delete(request: OperatorRequest, segment_id: int) -> HttpResponse:
    actor = request.operator_scope
    segment = selectors.get_segment_for_user(actor=actor, segment_id=segment_id)
    actor.require(services.can_manage_segment(actor, segment))
    if request.method == "GET":
        return render(request, "segments/console/delete.html", {"segment": segment})
    services.delete_segment(actor=actor, segment=segment)
    messages.success(request, _("Segment %(name)s deleted.") % {"name": segment.name})
    return redirect("segments:list")


@operator_required
@require_GET
def segment_export(request: OperatorRequest, segment_id: int) -> StreamingHttpResponse:
    actor = request.operator_scope
    segment: Segment = selectors.get_segment_for_user(actor=actor, segment_id=segment_id)
    return stream_csv(actor=actor, segment=segment, filename=export_filename(segment))
