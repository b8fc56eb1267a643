"""Console pages of applications."""

from django.urls import URLPattern, URLResolver

app_name = "applications"

urlpatterns: list[URLPattern | URLResolver] = []
