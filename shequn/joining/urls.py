"""Console pages of joining."""

from django.urls import URLPattern, URLResolver

app_name = "joining"

urlpatterns: list[URLPattern | URLResolver] = []
