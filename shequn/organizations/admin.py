"""Django admin for organisations, chapters and communities (superusers only).

The admin writes models directly, without the services' checks and audit entries: it is
the superuser's escape hatch, not the operators' console.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import admin
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from shequn.core.images import PreparedImagesModelForm
from shequn.organizations.models import Chapter, Community, Organization

# Django's admin classes are generic only for the type checker.
if TYPE_CHECKING:
    _ChapterInline = admin.TabularInline[Chapter, Organization]
    _OrganizationAdmin = admin.ModelAdmin[Organization]
    _ChapterAdmin = admin.ModelAdmin[Chapter]
    _CommunityAdmin = admin.ModelAdmin[Community]
else:
    _ChapterInline = admin.TabularInline
    _OrganizationAdmin = admin.ModelAdmin
    _ChapterAdmin = admin.ModelAdmin
    _CommunityAdmin = admin.ModelAdmin


class ChapterInline(_ChapterInline):
    model = Chapter
    fields = ("name", "slug", "city")
    extra = 0
    show_change_link = True


@admin.register(Organization)
class OrganizationAdmin(_OrganizationAdmin):
    list_display = ("name", "slug", "created_at")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("created_at", "updated_at")
    inlines = [ChapterInline]


@admin.register(Chapter)
class ChapterAdmin(_ChapterAdmin):
    list_display = ("name", "slug", "city", "organization", "created_at")
    list_filter = ("organization",)
    search_fields = ("name", "slug", "city")
    list_select_related = ("organization",)
    readonly_fields = ("created_at", "updated_at")


@admin.register(Community)
class CommunityAdmin(_CommunityAdmin):
    form = PreparedImagesModelForm  # uploads checked and re-encoded (shequn.core.images)
    list_display = (
        "name",
        "slug",
        "kind",
        "access",
        "status",
        "chapter",
        "organization",
        "active_members",
        "capacity",
        "starts_at",
        "ends_at",
    )
    list_filter = ("status", "kind", "access", "organization", "chapter")
    search_fields = ("name", "slug", "intro")
    list_select_related = ("organization", "chapter")
    date_hierarchy = "starts_at"
    readonly_fields = ("created_at", "updated_at", "archived_at")
    autocomplete_fields = ("chapter",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Community]:
        return (
            super()
            .get_queryset(request)
            .annotate(active_count=Count("memberships", filter=Q(memberships__status="active")))
        )

    @admin.display(description=_("members"), ordering="active_count")
    def active_members(self, obj: Community) -> int:
        return int(getattr(obj, "active_count", 0))
