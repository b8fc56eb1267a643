from django.urls import URLPattern, URLResolver

app_name = "member_imports"

urlpatterns: list[URLPattern | URLResolver] = []
