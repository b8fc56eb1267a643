"""Member pages of rewards (under /c/)."""

from django.urls import URLPattern, URLResolver

app_name = "rewards_portal"

urlpatterns: list[URLPattern | URLResolver] = []
