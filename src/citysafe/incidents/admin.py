from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Incident, IncidentReport


class ReportInline(admin.TabularInline):
    model = IncidentReport
    extra = 0


@admin.register(Incident)
class IncidentAdmin(SimpleHistoryAdmin):
    list_display = ("title", "kind", "grade", "region", "occurred_at", "deaths", "missing", "serious_injuries")
    list_filter = ("kind", "grade", "is_demo")
    search_fields = ("title", "place")
    inlines = [ReportInline]
