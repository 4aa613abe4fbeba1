from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import KpiLink


@admin.register(KpiLink)
class KpiLinkAdmin(SimpleHistoryAdmin):
    list_display = ("target", "kpi_code", "is_active", "last_value", "last_computed_on")
    list_filter = ("kpi_code", "is_active", "target__task__plan")
    raw_id_fields = ("target",)
    readonly_fields = ("last_value", "last_computed_on")
