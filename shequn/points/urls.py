"""Console pages of points, under /points/ (shequn.points.views)."""

from django.urls import URLPattern, URLResolver, path

from shequn.points import views

app_name = "points"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.rule_list, name="rules"),
    path("rules/new/", views.rule_create, name="rule_create"),
    path("rules/defaults/", views.install_defaults, name="install_defaults"),
    path("rules/<int:rule_id>/edit/", views.rule_edit, name="rule_edit"),
    path("rules/<int:rule_id>/delete/", views.rule_delete, name="rule_delete"),
    path("rules/<int:rule_id>/switch/", views.rule_switch, name="rule_switch"),
    path("settings/", views.settings_edit, name="settings"),
    path("levels/", views.levels_edit, name="levels"),
    path("members/<int:member_id>/", views.member_points, name="member"),
    path("members/<int:member_id>/adjust/", views.member_adjust, name="adjust"),
    path("entries/<int:entry_id>/reverse/", views.entry_reverse, name="reverse"),
]
