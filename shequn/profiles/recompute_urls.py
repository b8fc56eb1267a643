"""Console page of the recompute, under /recompute/ (shequn.profiles.recompute_views)."""

from django.urls import URLPattern, URLResolver, path

from shequn.profiles import recompute_views

app_name = "recompute"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", recompute_views.runs, name="runs"),
    path("now/", recompute_views.recompute_now, name="now"),
]
