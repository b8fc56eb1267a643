"""Member pages of joining (under /c/)."""

from django.urls import URLPattern, URLResolver

app_name = "joining_portal"

urlpatterns: list[URLPattern | URLResolver] = []
