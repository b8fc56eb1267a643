"""Console pages of segments, under /segments/ (shequn.segments.views)."""

from django.urls import URLPattern, URLResolver, path

from shequn.segments import views

app_name = "segments"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.segment_list, name="list"),
    path("new/", views.segment_create, name="create"),
    path("preview/", views.segment_preview, name="preview"),
    path("<int:segment_id>/", views.segment_detail, name="detail"),
    path("<int:segment_id>/count/", views.segment_count, name="count"),
    path("<int:segment_id>/edit/", views.segment_edit, name="edit"),
    path("<int:segment_id>/delete/", views.segment_delete, name="delete"),
    path("<int:segment_id>/export.csv", views.segment_export, name="export"),
]
