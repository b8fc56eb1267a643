from django.urls import URLPattern, URLResolver, path

from shequn.accounts import views
from shequn.accounts.password_reset import password_reset_urls

app_name = "accounts"

urlpatterns: list[URLPattern | URLResolver] = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    *password_reset_urls(views.password_resets),
    path("operators/", views.operator_list, name="operator_list"),
    path("operators/new/", views.operator_create, name="operator_create"),
    path("operators/<int:operator_id>/edit/", views.operator_edit, name="operator_edit"),
    path(
        "operators/<int:operator_id>/password/",
        views.operator_password,
        name="operator_password",
    ),
    path("tokens/", views.token_list, name="token_list"),
    path("tokens/new/", views.token_create, name="token_create"),
    path("tokens/created/", views.token_created, name="token_created"),
    path("tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
]
