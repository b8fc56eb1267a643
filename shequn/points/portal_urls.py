"""Member pages of points (under /c/)."""

from django.urls import URLPattern, URLResolver

app_name = "points_portal"

urlpatterns: list[URLPattern | URLResolver] = []
