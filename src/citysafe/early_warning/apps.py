from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EarlyWarningConfig(AppConfig):
    name = "citysafe.early_warning"
    label = "early_warning"
    verbose_name = _("预警")

    def ready(self):
        from citysafe.core.history import register
        from citysafe.core.services import register_reference_loader

        register("early_warning.EarlyWarning", "citysafe.early_warning.selectors:warnings_for")
        register_reference_loader("warning_rules", _load_rules)
        register_reference_loader("call_plans", _load_call_plans)


def _load_rules():
    from .services import load_default_rules

    return load_default_rules()


def _load_call_plans():
    from .calls import load_default_plans

    return load_default_plans()
