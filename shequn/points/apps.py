from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PointsConfig(AppConfig):
    name = "shequn.points"
    verbose_name = _("Points and levels")

    def ready(self) -> None:
        from shequn.activity.signals import activities_ingested
        from shequn.members.signals import memberships_changed
        from shequn.points.signals import on_activities_ingested, on_memberships_changed

        activities_ingested.connect(on_activities_ingested, dispatch_uid="points.awards")
        memberships_changed.connect(on_memberships_changed, dispatch_uid="points.balances")
