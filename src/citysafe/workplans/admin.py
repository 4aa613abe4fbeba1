from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import ProgressReport, ResponsibleUnit, Section, Supervision, Target, Task, WorkPlan


class ResponsibleUnitInline(admin.TabularInline):
    model = ResponsibleUnit
    extra = 0
    autocomplete_fields = ["organization", "via_group"]


class TargetInline(admin.TabularInline):
    model = Target
    extra = 0
    fields = ["index", "metric", "comparator", "value", "unit", "scope", "deadline", "baseline", "status"]
    readonly_fields = ["status"]


@admin.register(WorkPlan)
class WorkPlanAdmin(SimpleHistoryAdmin):
    list_display = ["title", "doc_number", "year", "version", "is_current", "imported_at"]
    list_filter = ["year", "is_current"]


@admin.register(Section)
class SectionAdmin(SimpleHistoryAdmin):
    list_display = ["plan", "number", "title"]


@admin.register(Task)
class TaskAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "plan", "kind", "index"]
    list_filter = ["plan", "kind"]
    search_fields = ["title", "text"]
    inlines = [ResponsibleUnitInline, TargetInline]


@admin.register(Target)
class TargetAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "status", "deadline"]
    list_filter = ["status", "task__kind", "task__plan"]
    search_fields = ["metric", "text"]


@admin.register(ProgressReport)
class ProgressReportAdmin(SimpleHistoryAdmin):
    list_display = ["target", "reporting_unit", "as_of", "value"]


@admin.register(Supervision)
class SupervisionAdmin(SimpleHistoryAdmin):
    list_display = ["title", "owner", "deadline", "status"]
    list_filter = ["status"]
    readonly_fields = ["status"]
