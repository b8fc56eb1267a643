"""Console pages of joining, under /joining/ (shequn.joining.views)."""

from django.urls import URLPattern, URLResolver, path

from shequn.joining import views

app_name = "joining"

urlpatterns: list[URLPattern | URLResolver] = [
    path("communities/<int:community_id>/settings/", views.policy_edit, name="policy"),
    path("communities/<int:community_id>/waitlist/", views.waitlist, name="waitlist"),
    path("waitlist/<int:entry_id>/offer/", views.waitlist_offer, name="waitlist_offer"),
    path("waitlist/<int:entry_id>/remove/", views.waitlist_remove, name="waitlist_remove"),
    path("leave-requests/", views.leave_requests, name="leave_requests"),
    path("leave-requests/<int:leave_id>/confirm/", views.leave_confirm, name="leave_confirm"),
    path("memberships/<int:membership_id>/allow-rejoin/", views.allow_rejoin, name="allow_rejoin"),
    path("blacklist/", views.blacklist, name="blacklist"),
    path("blacklist/add/", views.blacklist_add, name="blacklist_add"),
    path("blacklist/<int:entry_id>/lift/", views.blacklist_lift, name="blacklist_lift"),
]
