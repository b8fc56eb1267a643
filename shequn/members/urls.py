from django.urls import URLPattern, URLResolver, path

from shequn.members import views

app_name = "members"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.member_list, name="list"),
    path("new/", views.member_create, name="create"),
    path("<int:member_id>/", views.member_detail, name="detail"),
    path("<int:member_id>/edit/", views.member_edit, name="edit"),
    path("<int:member_id>/identities/", views.identity_add, name="identity_add"),
    path(
        "<int:member_id>/identities/<int:identity_id>/remove/",
        views.identity_remove,
        name="identity_remove",
    ),
]
