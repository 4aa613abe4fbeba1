from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "citysafe.core"
    label = "core"
    verbose_name = _("基础数据")

    def ready(self):
        from .history import register

        register("core.Organization", "citysafe.core.selectors:organizations_for")
        register("core.Region", "citysafe.core.scoping:regions_in_scope")
