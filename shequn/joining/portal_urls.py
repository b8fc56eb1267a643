"""Member pages of joining (under /c/)."""

from django.urls import URLPattern, URLResolver, path

from shequn.joining import portal_views as views

app_name = "joining_portal"

urlpatterns: list[URLPattern | URLResolver] = [
    path("<slug:org_slug>/<slug:slug>/leave/", views.leave, name="leave"),
    path("<slug:org_slug>/<slug:slug>/waitlist/", views.waitlist, name="waitlist"),
]
