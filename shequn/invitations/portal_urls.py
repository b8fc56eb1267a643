"""Member pages of invitations (under /c/)."""

from django.urls import URLPattern, URLResolver, path

from shequn.invitations import portal_views as views

app_name = "invitations_portal"

urlpatterns: list[URLPattern | URLResolver] = [
    path("i/<str:code>/", views.landing, name="landing"),
    path("<slug:org_slug>/<slug:slug>/invite/", views.my_link, name="my_link"),
]
