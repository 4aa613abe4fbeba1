from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    DeadlineExtension,
    DeterminationPack,
    Hazard,
    HazardTransition,
    ImportJob,
    Industry,
    ResponsibilityAssignment,
    RiskPoint,
    TipOff,
)


@admin.register(Industry)
class IndustryAdmin(SimpleHistoryAdmin):
    """The 三管三必须 routing table: edit the supervising department of each sector here."""

    list_display = ["code", "name", "supervising_department", "gbt4754_codes"]
    list_editable = ["supervising_department", "gbt4754_codes"]
    autocomplete_fields = ["supervising_department"]


class TransitionInline(admin.TabularInline):
    model = HazardTransition
    extra = 0
    readonly_fields = ["action", "from_status", "to_status", "comment", "by", "at"]
    can_delete = False


@admin.register(Hazard)
class HazardAdmin(SimpleHistoryAdmin):
    list_display = ["code", "title", "region", "industry", "grade", "status", "deadline"]
    list_filter = ["grade", "status", "source", "industry", "is_demo"]
    search_fields = ["code", "title"]
    readonly_fields = ["status", "code"]
    inlines = [TransitionInline]


class AssignmentInline(admin.TabularInline):
    model = ResponsibilityAssignment
    extra = 0
    raw_id_fields = ["person", "deputy"]


@admin.register(RiskPoint)
class RiskPointAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "kind", "region", "threatened_people"]
    list_filter = ["kind", "is_demo"]
    search_fields = ["code", "name"]
    inlines = [AssignmentInline]


@admin.register(TipOff)
class TipOffAdmin(SimpleHistoryAdmin):
    """Reporter identity is not shown here; staff with the permission see it on the tip-off page."""

    list_display = ["code", "status", "region", "received_at"]
    list_filter = ["status"]
    exclude = ["reporter_name", "reporter_phone", "follow_up_hash", "client_fingerprint"]
    readonly_fields = ["status", "code"]


@admin.register(DeterminationPack)
class DeterminationPackAdmin(admin.ModelAdmin):
    list_display = ["title", "code", "version", "document", "is_current"]


admin.site.register(DeadlineExtension)
admin.site.register(ImportJob)
