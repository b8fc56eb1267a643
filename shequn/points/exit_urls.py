"""Console pages of the exit rule, under /exit-reviews/ (shequn.points.exit_views)."""

from django.urls import URLPattern, URLResolver, path

from shequn.points import exit_views as views

app_name = "exit_reviews"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.queue, name="queue"),
    path("<int:review_id>/confirm/", views.confirm, name="confirm"),
    path("<int:review_id>/dismiss/", views.dismiss, name="dismiss"),
]
