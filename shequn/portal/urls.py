from django.urls import URLPattern, URLResolver, path

from shequn.portal import views

app_name = "portal"

urlpatterns: list[URLPattern | URLResolver] = [
    path("login/", views.member_login, name="login"),
    path("logout/", views.member_logout, name="logout"),
    path("me/", views.my_communities, name="my"),
    path("<slug:org_slug>/<slug:slug>/", views.community_page, name="community"),
    path("<slug:org_slug>/<slug:slug>/signup/", views.signup, name="signup"),
    path("<slug:org_slug>/<slug:slug>/welcome/", views.welcome, name="welcome"),
    path("<slug:org_slug>/<slug:slug>/join/", views.join, name="join"),
    path("<slug:org_slug>/<slug:slug>/leave/", views.leave, name="leave"),
]
