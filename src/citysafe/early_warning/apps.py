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
        register_reference_loader("response_actions", _load_response_actions)
        _register_response_admin()


def _load_rules():
    from .services import load_default_rules

    return load_default_rules()


def _load_call_plans():
    from .calls import load_default_plans

    return load_default_plans()


def _load_response_actions():
    from .response import load_default_templates

    return load_default_templates()


def _register_response_admin():
    """Admin pages of the response table and the actions (registered here unless an admin module already did)."""
    from django.contrib import admin
    from simple_history.admin import SimpleHistoryAdmin

    from .models import ExecutionReport, ResponseAction, ResponseActionTemplate

    class TemplateAdmin(SimpleHistoryAdmin):
        list_display = ["level", "hazard_type", "order", "kind", "title", "owner_target", "deadline_minutes",
                        "required", "is_active"]
        list_editable = ["title", "owner_target", "deadline_minutes", "required", "is_active"]
        list_filter = ["level", "hazard_type", "kind", "is_active"]

    class ActionAdmin(SimpleHistoryAdmin):
        list_display = ["warning", "level", "title", "owner", "owner_organization", "deadline", "status"]
        list_filter = ["level", "kind", "status"]
        raw_id_fields = ["warning", "owner", "owner_organization", "template"]

    class ReportAdmin(admin.ModelAdmin):
        list_display = ["action", "person", "executed_at", "evacuated", "created_at"]
        raw_id_fields = ["action", "person", "reported_by"]

    for model, model_admin in ((ResponseActionTemplate, TemplateAdmin), (ResponseAction, ActionAdmin),
                               (ExecutionReport, ReportAdmin)):
        if not admin.site.is_registered(model):
            admin.site.register(model, model_admin)
