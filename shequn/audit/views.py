"""The audit log page: who changed what, when, in the actor's scope."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render

from shequn.accounts.decorators import OperatorRequest, operator_required
from shequn.audit.models import AuditAction, AuditEntry
from shequn.audit.selectors import list_audit_entries, list_audit_object_types

ENTRIES_PER_PAGE = 50
# Actions whose `changes` hold a snapshot of the values, not [old, new] pairs.
SNAPSHOT_ACTIONS = {AuditAction.CREATE, AuditAction.DELETE, AuditAction.ISSUE_TOKEN}


@dataclass(frozen=True)
class ChangeRow:
    field: str
    old: Any
    new: Any
    is_change: bool  # False: `new` is the value recorded (on create, delete, …)


def describe_changes(entry: AuditEntry) -> list[ChangeRow]:
    """The entry's changed fields as rows: old → new, or the recorded value."""
    changes = entry.changes if isinstance(entry.changes, dict) else {}
    pairs = entry.action not in SNAPSHOT_ACTIONS and all(
        isinstance(v, list) and len(v) == 2 for v in changes.values()
    )
    if pairs:
        return [ChangeRow(k, v[0], v[1], True) for k, v in changes.items()]
    return [ChangeRow(k, None, v, False) for k, v in changes.items()]


def object_type_choices(types: list[str]) -> list[tuple[str, str]]:
    """(model name, its translated verbose name) for each object type in the log."""
    labels = {m._meta.model_name: str(m._meta.verbose_name) for m in apps.get_models()}
    return [(t, labels.get(t, t)) for t in types]


@operator_required
def audit_list(request: OperatorRequest) -> HttpResponse:
    actor = request.operator_scope
    action = request.GET.get("action", "")
    action = action if action in AuditAction.values else ""
    object_types = list_audit_object_types(actor=actor)
    object_type = request.GET.get("object_type", "")
    object_type = object_type if object_type in object_types else ""
    entries = list_audit_entries(actor=actor, action=action, object_type=object_type)
    page = Paginator(entries, ENTRIES_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "rows": [(entry, describe_changes(entry)) for entry in page],
        "actions": AuditAction.choices,
        "object_types": object_type_choices(object_types),
        "selected_action": action,
        "selected_object_type": object_type,
    }
    template = "audit/partials/entries.html" if request.htmx else "audit/list.html"
    return render(request, template, context)
