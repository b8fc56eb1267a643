"""Member pages of applications (under /c/): apply, and the application's status."""

from django.urls import URLPattern, URLResolver, path

from shequn.applications import portal_views as views

app_name = "applications_portal"

urlpatterns: list[URLPattern | URLResolver] = [
    path("<slug:org_slug>/<slug:slug>/apply/", views.apply, name="apply"),
    path("<slug:org_slug>/<slug:slug>/application/", views.status, name="status"),
    path("<slug:org_slug>/<slug:slug>/application/withdraw/", views.withdraw, name="withdraw"),
]
