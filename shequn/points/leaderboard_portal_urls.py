"""Member pages of leaderboards (under /c/)."""

from django.urls import URLPattern, URLResolver, path

from shequn.points import leaderboard_views as views

app_name = "leaderboards_portal"

urlpatterns: list[URLPattern | URLResolver] = [
    path("<slug:org_slug>/<slug:slug>/leaderboard/", views.portal_board, name="board"),
]
