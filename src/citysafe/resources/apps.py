from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResourcesConfig(AppConfig):
    name = "citysafe.resources"
    label = "resources"
    verbose_name = _("应急资源")

    def ready(self):
        from citysafe.core.history import register

        register("resources.Resource", "citysafe.resources.selectors:resources_for")
        register("resources.Dispatch", "citysafe.resources.selectors:dispatches_for")
