"""Console pages of points, under /points/."""

from django.urls import URLPattern, URLResolver

app_name = "points"

urlpatterns: list[URLPattern | URLResolver] = []
