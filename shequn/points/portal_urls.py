"""Member pages of points (under /c/): /c/me/<org_slug>/points/ (the literal `me` first)."""

from django.urls import URLPattern, URLResolver, path

from shequn.points import portal_views

app_name = "points_portal"

urlpatterns: list[URLPattern | URLResolver] = [
    # The name is used by shequn.points.tasks for the level-up email: keep it.
    path("me/<slug:org_slug>/points/", portal_views.mine, name="mine"),
]
