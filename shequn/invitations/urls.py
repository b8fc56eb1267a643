"""Console pages of invitations, under /invitations/ (shequn.invitations.views)."""

from django.urls import URLPattern, URLResolver, path

from shequn.invitations import views

app_name = "invitations"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.link_list, name="list"),
    path("new/", views.link_create, name="create"),
    path("<int:link_id>/", views.link_detail, name="detail"),
    path("<int:link_id>/edit/", views.link_edit, name="edit"),
    path("<int:link_id>/disable/", views.link_disable, name="disable"),
    path("<int:link_id>/enable/", views.link_enable, name="enable"),
    path("<int:link_id>/qr.png", views.link_qr_png, name="qr_png"),
    path("<int:link_id>/qr.svg", views.link_qr_svg, name="qr_svg"),
    path("<int:link_id>/show/", views.link_show, name="show"),
    path("inviters/", views.inviter_list, name="inviters"),
    path("inviters/members/<int:member_id>/", views.member_invitees, name="member_invitees"),
    path(
        "inviters/operators/<int:operator_id>/", views.operator_invitees, name="operator_invitees"
    ),
]
