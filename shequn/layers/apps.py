from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LayersConfig(AppConfig):
    name = "shequn.layers"
    verbose_name = _("Activity layers")
