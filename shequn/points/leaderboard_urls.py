"""Console pages of leaderboards, under /leaderboards/."""

from django.urls import URLPattern, URLResolver, path

from shequn.points import leaderboard_views as views

app_name = "leaderboards"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.board, name="board"),
]
