from django.urls import URLPattern, URLResolver, path

from shequn.accounts.password_reset import password_reset_urls
from shequn.portal import views

app_name = "portal"

urlpatterns: list[URLPattern | URLResolver] = [
    path("login/", views.member_login, name="login"),
    path("logout/", views.member_logout, name="logout"),
    path("me/", views.my_communities, name="my"),
    *password_reset_urls(views.password_resets),
    path("verify/pending/", views.signup_pending, name="signup_pending"),
    path("verify/resend/", views.verification_resend, name="verification_resend"),
    path("verify/<str:token>/", views.verify_email, name="verify_email"),
    path("<slug:org_slug>/<slug:slug>/", views.community_page, name="community"),
    path("<slug:org_slug>/<slug:slug>/signup/", views.signup, name="signup"),
    path("<slug:org_slug>/<slug:slug>/welcome/", views.welcome, name="welcome"),
    path("<slug:org_slug>/<slug:slug>/join/", views.join, name="join"),
]
