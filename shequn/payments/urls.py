"""Console pages of payments."""

from django.urls import URLPattern, URLResolver, path

from shequn.payments import views

app_name = "payments"

urlpatterns: list[URLPattern | URLResolver] = [
    path("orders/", views.order_list, name="order_list"),
    path("orders/<int:order_id>/", views.order_detail, name="order_detail"),
    path("orders/<int:order_id>/mark-paid/", views.order_mark_paid, name="order_mark_paid"),
    path("orders/<int:order_id>/cancel/", views.order_cancel, name="order_cancel"),
    path("orders/<int:order_id>/refund/", views.order_refund, name="order_refund"),
    path("orders/<int:order_id>/resolve/", views.order_resolve, name="order_resolve"),
    path("notifications/", views.notification_list, name="notification_list"),
    path(
        "notifications/<int:notification_id>/",
        views.notification_detail,
        name="notification_detail",
    ),
    path("communities/<int:community_id>/price/", views.price_settings, name="price"),
]
