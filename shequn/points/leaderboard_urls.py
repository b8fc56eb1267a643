"""Console pages of leaderboards, under /leaderboards/."""

from django.urls import URLPattern, URLResolver

app_name = "leaderboards"

urlpatterns: list[URLPattern | URLResolver] = []
