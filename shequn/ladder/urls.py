"""Console pages of the ladder, under /ladder/ (shequn.ladder.views)."""

from django.urls import URLPattern, URLResolver, path

from shequn.ladder import views

app_name = "ladder"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.funnel, name="funnel"),
    path("moves/", views.movers, name="movers"),
    path("rules/", views.rules, name="rules"),
    path("members/<int:member_id>/pin/", views.pin, name="pin"),
    path("members/<int:member_id>/unpin/", views.unpin, name="unpin"),
]
