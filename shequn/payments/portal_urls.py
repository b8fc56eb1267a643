"""Member pages of payments (under /c/)."""

from django.urls import URLPattern, URLResolver

app_name = "payments_portal"

urlpatterns: list[URLPattern | URLResolver] = []
