"""Console pages of identity merge, under /merges/ (shequn.members.merge_views)."""

from django.urls import URLPattern, URLResolver, path

from shequn.members import merge_views as views

app_name = "merges"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.merge_queue, name="queue"),
    path("suggestions/<int:suggestion_id>/", views.merge_suggestion, name="suggestion"),
    path(
        "suggestions/<int:suggestion_id>/accept/",
        views.merge_suggestion_accept,
        name="suggestion_accept",
    ),
    path(
        "suggestions/<int:suggestion_id>/reject/",
        views.merge_suggestion_reject,
        name="suggestion_reject",
    ),
    path("accept-above/", views.merge_bulk_accept, name="bulk_accept"),
    path("history/", views.merge_history, name="history"),
    path("<int:merge_id>/unmerge/", views.merge_unmerge, name="unmerge"),
    path("new/", views.merge_create, name="create"),
    path("members/<int:member_id>/panel/", views.merge_member_panel, name="member_panel"),
    path("auto-merge/", views.merge_auto_setting, name="auto_merge"),
    path("refresh/", views.merge_refresh, name="refresh"),
]
