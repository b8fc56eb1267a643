from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InvitationsConfig(AppConfig):
    name = "shequn.invitations"
    verbose_name = _("Invitations")

    def ready(self) -> None:
        from shequn.invitations.counters import on_memberships_changed
        from shequn.members.signals import memberships_changed

        memberships_changed.connect(on_memberships_changed, dispatch_uid="invitations.counters")
