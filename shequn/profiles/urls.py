"""Console pages of profiles, under /profiles/ (shequn.profiles.views)."""

from django.urls import URLPattern, URLResolver, path

from shequn.profiles import views

app_name = "profiles"

urlpatterns: list[URLPattern | URLResolver] = [
    path("members/<int:member_id>/notes/", views.notes, name="notes"),
    path("members/<int:member_id>/notes/add/", views.note_add, name="note_add"),
    path("members/<int:member_id>/timeline/", views.timeline, name="timeline"),
    path("notes/<int:note_id>/edit/", views.note_edit, name="note_edit"),
    path("notes/<int:note_id>/delete/", views.note_delete, name="note_delete"),
    path("notes/<int:note_id>/done/", views.note_done, name="note_done"),
    path("follow-ups/", views.follow_ups, name="follow_ups"),
]
