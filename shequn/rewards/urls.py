"""Console pages of rewards, under /rewards/."""

from django.urls import URLPattern, URLResolver, path

from shequn.rewards import views

app_name = "rewards"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.reward_list, name="list"),
    path("new/", views.reward_create, name="create"),
    path("queue/", views.fulfilment_queue, name="queue"),
    path("<int:reward_id>/", views.reward_edit, name="edit"),
    path("<int:reward_id>/switch/", views.reward_switch, name="switch"),
    path("<int:reward_id>/codes/", views.reward_codes, name="codes"),
    path("<int:reward_id>/redemptions/", views.reward_redemptions, name="redemptions"),
    path("redemptions/<int:redemption_id>/fulfil/", views.redemption_fulfil, name="fulfil"),
    path("redemptions/<int:redemption_id>/cancel/", views.redemption_cancel, name="cancel"),
]
