from django.urls import URLPattern, URLResolver, path

from shequn.organizations import views

app_name = "organizations"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.dashboard, name="dashboard"),
    path("communities/", views.community_list, name="community_list"),
    path("communities/new/", views.community_create, name="community_create"),
    path("communities/lifespan/", views.community_lifespan, name="community_lifespan"),
    path("slug-suggestion/", views.slug_suggestion, name="slug_suggestion"),
    path("communities/<int:community_id>/", views.community_detail, name="community_detail"),
    path("communities/<int:community_id>/edit/", views.community_edit, name="community_edit"),
    path(
        "communities/<int:community_id>/archive/",
        views.community_archive,
        name="community_archive",
    ),
    path(
        "communities/<int:community_id>/restore/",
        views.community_restore,
        name="community_restore",
    ),
    path(
        "communities/<int:community_id>/dissolve/",
        views.community_dissolve,
        name="community_dissolve",
    ),
    path(
        "communities/<int:community_id>/members/add/",
        views.community_member_add,
        name="community_member_add",
    ),
    path(
        "communities/<int:community_id>/members/<int:membership_id>/role/",
        views.community_member_role,
        name="community_member_role",
    ),
    path(
        "communities/<int:community_id>/members/<int:membership_id>/remove/",
        views.community_member_remove,
        name="community_member_remove",
    ),
    path("chapters/", views.chapter_list, name="chapter_list"),
    path("chapters/new/", views.chapter_create, name="chapter_create"),
    path("chapters/<int:chapter_id>/", views.chapter_detail, name="chapter_detail"),
    path("chapters/<int:chapter_id>/edit/", views.chapter_edit, name="chapter_edit"),
]
