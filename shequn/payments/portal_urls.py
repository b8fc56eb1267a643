"""Member pages of payments (under /c/)."""

from django.urls import URLPattern, URLResolver, path

from shequn.payments import portal_views

app_name = "payments_portal"

urlpatterns: list[URLPattern | URLResolver] = [
    path("orders/", portal_views.my_orders, name="my_orders"),
    path("orders/<str:number>/", portal_views.order_page, name="order"),
    path("orders/<str:number>/cancel/", portal_views.cancel, name="cancel"),
    path("<slug:org_slug>/<slug:slug>/pay/", portal_views.checkout, name="checkout"),
]
