from django.urls import URLPattern, URLResolver

app_name = "organizations"

urlpatterns: list[URLPattern | URLResolver] = []
