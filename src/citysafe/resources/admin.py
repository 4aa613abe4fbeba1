from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Dispatch, DispatchItem, Resource, StockItem


class StockInline(admin.TabularInline):
    model = StockItem
    extra = 0


@admin.register(Resource)
class ResourceAdmin(SimpleHistoryAdmin):
    list_display = ["name", "kind", "region", "organization", "status"]
    list_filter = ["kind", "status", "is_demo"]
    search_fields = ["name", "code"]
    inlines = [StockInline]


class DispatchItemInline(admin.TabularInline):
    model = DispatchItem
    extra = 0
    readonly_fields = ["stock", "quantity", "returned"]


@admin.register(Dispatch)
class DispatchAdmin(SimpleHistoryAdmin):
    list_display = ["incident", "team", "status", "requested_at"]
    list_filter = ["status"]
    readonly_fields = ["status", "requested_at", "dispatched_at", "arrived_at", "returned_at", "cancelled_at"]
    inlines = [DispatchItemInline]
