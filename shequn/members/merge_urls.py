from django.urls import URLPattern, URLResolver

app_name = "merges"

urlpatterns: list[URLPattern | URLResolver] = []
