from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlansConfig(AppConfig):
    name = "citysafe.plans"
    label = "plans"
    verbose_name = _("应急预案与演练")

    def ready(self):
        from citysafe.core.history import register

        register("plans.EmergencyPlan", "citysafe.plans.selectors:plans_for")
        register("plans.Drill", "citysafe.plans.selectors:drills_for")
