"""Django admin for the audit log: read-only, so nobody rewrites history."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.http import HttpRequest

from shequn.audit.models import AuditEntry

# Django's admin classes are generic only for the type checker.
if TYPE_CHECKING:
    _AuditEntryAdmin = admin.ModelAdmin[AuditEntry]
else:
    _AuditEntryAdmin = admin.ModelAdmin


@admin.register(AuditEntry)
class AuditEntryAdmin(_AuditEntryAdmin):
    list_display = (
        "created_at",
        "actor_name",
        "action",
        "object_type",
        "object_repr",
        "organization",
        "chapter",
        "community",
    )
    list_filter = ("action", "object_type", "organization")
    search_fields = ("actor_name", "object_repr", "object_id")
    list_select_related = ("organization", "chapter", "community")
    date_hierarchy = "created_at"
    show_full_result_count = False

    def get_readonly_fields(self, request: HttpRequest, obj: AuditEntry | None = None) -> Any:
        return [field.name for field in AuditEntry._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditEntry | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEntry | None = None) -> bool:
        return False
