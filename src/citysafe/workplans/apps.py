from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkplansConfig(AppConfig):
    name = "citysafe.workplans"
    label = "workplans"
    verbose_name = _("工作要点与目标")

    def ready(self):
        from citysafe.core.history import register

        register("workplans.Target", "citysafe.workplans.selectors:targets_for")
        register("workplans.Supervision", "citysafe.workplans.selectors:supervisions_for")
        register("workplans.ProgressReport", "citysafe.workplans.selectors:reports_for")
        register("workplans.WorkPlan", "citysafe.workplans.selectors:plans_for")
        register("workplans.Task", "citysafe.workplans.selectors:tasks_for")
