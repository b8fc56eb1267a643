"""Member pages of applications (under /c/)."""

from django.urls import URLPattern, URLResolver

app_name = "applications_portal"

urlpatterns: list[URLPattern | URLResolver] = []
