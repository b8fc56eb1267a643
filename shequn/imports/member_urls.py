from django.urls import URLPattern, URLResolver, path

from shequn.imports import member_views

app_name = "member_imports"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", member_views.member_upload, name="upload"),
    path("<int:job_id>/", member_views.member_preview, name="preview"),
]
