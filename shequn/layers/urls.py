"""Console pages of layers, under /layers/ (shequn.layers.views)."""

from django.urls import URLPattern, URLResolver, path

from shequn.layers import views

app_name = "layers"

urlpatterns: list[URLPattern | URLResolver] = [
    path("communities/<int:community_id>/", views.community_layers, name="community"),
    path("rules/", views.rules, name="rules"),
    path("rules/<str:kind>/", views.rules, name="rules_kind"),
]
