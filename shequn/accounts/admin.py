"""Django admin for operator accounts and API tokens (superusers only).

Tokens are shown, never created here: only their hash is stored, and a token made in the
admin could not be shown to anybody. Revoke one by setting its "revoked at".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import admin
from django.http import HttpRequest

from shequn.accounts.models import ApiToken, Operator

# Django's admin classes are generic only for the type checker.
if TYPE_CHECKING:
    _OperatorAdmin = admin.ModelAdmin[Operator]
    _ApiTokenAdmin = admin.ModelAdmin[ApiToken]
else:
    _OperatorAdmin = admin.ModelAdmin
    _ApiTokenAdmin = admin.ModelAdmin


@admin.register(Operator)
class OperatorAdmin(_OperatorAdmin):
    list_display = ("user", "role", "organization", "is_active", "created_at")
    list_filter = ("role", "organization", "user__is_active")
    search_fields = ("user__username", "user__email", "user__first_name")
    list_select_related = ("user", "organization")
    autocomplete_fields = ("user",)
    filter_horizontal = ("chapters", "communities")
    readonly_fields = ("created_at", "updated_at")

    @admin.display(boolean=True, description=Operator._meta.get_field("user").verbose_name)
    def is_active(self, obj: Operator) -> bool:
        return bool(obj.user.is_active)


@admin.register(ApiToken)
class ApiTokenAdmin(_ApiTokenAdmin):
    list_display = ("prefix", "name", "operator", "created_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("prefix", "name", "operator__user__username")
    list_select_related = ("operator__user",)
    fields = ("operator", "name", "prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("operator", "name", "prefix", "created_at", "last_used_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
