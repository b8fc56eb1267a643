"""Member pages of invitations (under /c/)."""

from django.urls import URLPattern, URLResolver

app_name = "invitations_portal"

urlpatterns: list[URLPattern | URLResolver] = []
