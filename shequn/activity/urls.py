from django.urls import URLPattern, URLResolver, path

from shequn.activity import views

app_name = "activity"

urlpatterns: list[URLPattern | URLResolver] = [
    path("communities/<int:community_id>/", views.community_feed, name="community_feed"),
    path("members/<int:member_id>/", views.member_timeline, name="member_timeline"),
]
