from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommandConfig(AppConfig):
    name = "citysafe.command"
    label = "command"
    verbose_name = _("应急指挥一张图")
