"""Console pages of tags, under /tags/ (shequn.tags.views)."""

from django.urls import URLPattern, URLResolver, path

from shequn.tags import views

app_name = "tags"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.tag_list, name="list"),
    path("groups/new/", views.group_create, name="group_create"),
    path("groups/<int:group_id>/edit/", views.group_edit, name="group_edit"),
    path("groups/<int:group_id>/delete/", views.group_delete, name="group_delete"),
    path("new/", views.tag_create, name="tag_create"),
    path("rules/new/", views.rule_create, name="rule_create"),
    path("rules/preview/", views.rule_preview, name="rule_preview"),
    path("<int:tag_id>/", views.tag_detail, name="detail"),
    path("<int:tag_id>/edit/", views.tag_edit, name="edit"),
    path("<int:tag_id>/delete/", views.tag_delete, name="delete"),
    path("<int:tag_id>/preview/", views.tag_preview, name="preview"),
    path("<int:tag_id>/activate/", views.tag_activate, name="activate"),
    path("<int:tag_id>/deactivate/", views.tag_deactivate, name="deactivate"),
    path("members/<int:member_id>/add/", views.member_tag_add, name="member_tag_add"),
    path(
        "members/<int:member_id>/remove/<int:tag_id>/",
        views.member_tag_remove,
        name="member_tag_remove",
    ),
]
