"""Django admin for members, their identities and memberships (superusers only)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import admin

from shequn.core.images import PreparedImagesModelForm
from shequn.members.models import Identity, Member, Membership

# Django's admin classes are generic only for the type checker.
if TYPE_CHECKING:
    _IdentityInline = admin.TabularInline[Identity, Member]
    _MembershipInline = admin.TabularInline[Membership, Member]
    _MemberAdmin = admin.ModelAdmin[Member]
    _IdentityAdmin = admin.ModelAdmin[Identity]
    _MembershipAdmin = admin.ModelAdmin[Membership]
else:
    _IdentityInline = admin.TabularInline
    _MembershipInline = admin.TabularInline
    _MemberAdmin = admin.ModelAdmin
    _IdentityAdmin = admin.ModelAdmin
    _MembershipAdmin = admin.ModelAdmin


class IdentityInline(_IdentityInline):
    model = Identity
    fields = ("channel", "external_id", "display_name", "organization")
    extra = 0


class MembershipInline(_MembershipInline):
    model = Membership
    fields = ("community", "role", "status", "source", "joined_at", "left_at")
    autocomplete_fields = ("community",)
    extra = 0


@admin.register(Member)
class MemberAdmin(_MemberAdmin):
    form = PreparedImagesModelForm  # uploads checked and re-encoded (shequn.core.images)
    list_display = ("display_name", "phone", "email", "chapter", "organization", "user")
    list_filter = ("organization", "chapter")
    search_fields = ("display_name", "phone", "email", "identities__external_id")
    list_select_related = ("organization", "chapter", "user")
    autocomplete_fields = ("user", "chapter")
    readonly_fields = ("created_at", "updated_at")
    inlines = [IdentityInline, MembershipInline]
    show_full_result_count = False


@admin.register(Identity)
class IdentityAdmin(_IdentityAdmin):
    list_display = ("external_id", "channel", "display_name", "member", "organization")
    list_filter = ("channel", "organization")
    search_fields = ("external_id", "display_name", "member__display_name")
    list_select_related = ("member", "organization")
    autocomplete_fields = ("member",)
    readonly_fields = ("created_at", "updated_at")


@admin.register(Membership)
class MembershipAdmin(_MembershipAdmin):
    list_display = ("member", "community", "role", "status", "source", "joined_at", "left_at")
    list_filter = ("status", "role", "source", "community__kind", "community__organization")
    search_fields = ("member__display_name", "member__phone", "community__name")
    list_select_related = ("member", "community")
    autocomplete_fields = ("member", "community")
    date_hierarchy = "joined_at"
    readonly_fields = ("created_at", "updated_at")
