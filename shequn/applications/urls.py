"""Console pages of applications, under /applications/ (shequn.applications.views)."""

from django.urls import URLPattern, URLResolver, path

from shequn.applications import views

app_name = "applications"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.queue, name="queue"),
    path("bulk-approve/", views.bulk_approve, name="bulk_approve"),
    path("<int:application_id>/", views.detail, name="detail"),
    path("<int:application_id>/approve/", views.approve, name="approve"),
    path("<int:application_id>/reject/", views.reject, name="reject"),
    path("<int:application_id>/interview/", views.interview, name="interview"),
    path("communities/<int:community_id>/form/", views.form_edit, name="form"),
    path(
        "communities/<int:community_id>/form/questions/new/",
        views.question_add,
        name="question_add",
    ),
    path(
        "communities/<int:community_id>/form/questions/<int:number>/",
        views.question_edit,
        name="question_edit",
    ),
    path(
        "communities/<int:community_id>/form/questions/<int:number>/remove/",
        views.question_remove,
        name="question_remove",
    ),
    path(
        "communities/<int:community_id>/form/questions/<int:number>/move/",
        views.question_move,
        name="question_move",
    ),
]
