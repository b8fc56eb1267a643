from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TagsConfig(AppConfig):
    name = "shequn.tags"
    verbose_name = _("Tags")
