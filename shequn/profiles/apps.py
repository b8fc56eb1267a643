from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProfilesConfig(AppConfig):
    name = "shequn.profiles"
    verbose_name = _("Member profiles")

    def ready(self) -> None:
        from shequn.activity.signals import activities_ingested
        from shequn.members.signals import memberships_changed
        from shequn.profiles.pending import on_activities_ingested, on_memberships_changed

        activities_ingested.connect(on_activities_ingested, dispatch_uid="profiles.pending")
        memberships_changed.connect(on_memberships_changed, dispatch_uid="profiles.pending")
