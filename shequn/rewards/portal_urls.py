"""Member pages of rewards (under /c/): /c/me/<org_slug>/rewards/… (`me` is reserved)."""

from django.urls import URLPattern, URLResolver, path

from shequn.rewards import portal_views

app_name = "rewards_portal"

urlpatterns: list[URLPattern | URLResolver] = [
    path("me/<slug:org_slug>/rewards/", portal_views.shop, name="shop"),
    path("me/<slug:org_slug>/rewards/mine/", portal_views.mine, name="mine"),
    path("me/<slug:org_slug>/rewards/<int:reward_id>/", portal_views.item, name="item"),
    path(
        "me/<slug:org_slug>/rewards/<int:reward_id>/redeem/",
        portal_views.redeem,
        name="redeem",
    ),
]
