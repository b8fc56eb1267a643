from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "shequn.members"
    verbose_name = _("Members")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from shequn.members.search import ensure_member_search_index

        post_migrate.connect(ensure_member_search_index, sender=self)
