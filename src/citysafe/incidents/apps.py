from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    name = "citysafe.incidents"
    label = "incidents"
    verbose_name = _("事故事件接报")
