"""Console pages of rewards, under /rewards/."""

from django.urls import URLPattern, URLResolver

app_name = "rewards"

urlpatterns: list[URLPattern | URLResolver] = []
