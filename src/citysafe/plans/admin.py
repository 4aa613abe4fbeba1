from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Drill, DrillFinding, EmergencyPlan, PlanRevision, ResponseLevel, RoleCard


class LevelInline(admin.TabularInline):
    model = ResponseLevel
    extra = 0


@admin.register(EmergencyPlan)
class PlanAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "level", "owner", "region", "status", "effective_date", "is_demo"]
    list_filter = ["level", "status", "incident_kind", "is_demo"]
    search_fields = ["name", "code"]
    inlines = [LevelInline]


@admin.register(RoleCard)
class RoleCardAdmin(SimpleHistoryAdmin):
    list_display = ["plan", "role", "response_level", "order"]
    list_filter = ["plan"]


@admin.register(PlanRevision)
class PlanRevisionAdmin(SimpleHistoryAdmin):
    list_display = ["plan", "description", "status", "created_at"]
    list_filter = ["status"]


class FindingInline(admin.TabularInline):
    model = DrillFinding
    extra = 0
    raw_id_fields = ["hazard", "revision"]


@admin.register(Drill)
class DrillAdmin(SimpleHistoryAdmin):
    list_display = ["title", "plan", "kind", "planned_date", "held_at", "status", "is_demo"]
    list_filter = ["kind", "status", "is_demo"]
    inlines = [FindingInline]
