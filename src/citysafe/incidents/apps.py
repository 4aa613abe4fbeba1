from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    name = "citysafe.incidents"
    label = "incidents"
    verbose_name = _("事故事件接报")

    def ready(self):
        from citysafe.core.history import register

        register("incidents.Incident", "citysafe.incidents.selectors:incidents_for")
