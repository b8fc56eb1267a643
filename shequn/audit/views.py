"""The audit log page: who changed what, when, in the actor's scope, with filters."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from shequn.accounts.decorators import OperatorRequest, operator_required
from shequn.accounts.selectors import list_operators
from shequn.audit.display import describe_entries, organization_zone
from shequn.audit.forms import AuditFilterForm
from shequn.audit.selectors import list_audit_entries

ENTRIES_PER_PAGE = 50


@operator_required
@require_GET
def audit_list(request: OperatorRequest) -> HttpResponse:
    actor = request.operator_scope
    operators = list_operators(actor=actor).prefetch_related(None)
    form = AuditFilterForm(
        request.GET, operators=list(operators.values_list("user_id", "user__username"))
    )
    entries = list_audit_entries(actor=actor, **form.filters())
    page = Paginator(entries, ENTRIES_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "rows": describe_entries(actor=actor, entries=page),
        "zone": organization_zone().key,
    }
    partial = bool(request.htmx) and not request.htmx.history_restore_request
    template = "audit/partials/entries.html" if partial else "audit/list.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response
