from django.urls import URLPattern, URLResolver, path

from shequn.audit import views

app_name = "audit"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.audit_list, name="list"),
]
