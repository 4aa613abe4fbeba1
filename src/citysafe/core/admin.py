from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from .models import ApiToken, Organization, OrganizationAlias, Person, Region, UserProfile
from .privacy import mask_phone


@admin.register(Region)
class RegionAdmin(SimpleHistoryAdmin):
    list_display = ["adcode", "name", "level", "parent", "valid_from", "valid_to"]
    list_filter = ["level"]
    search_fields = ["adcode", "name"]
    exclude = ["boundary"]


class AliasInline(admin.TabularInline):
    model = OrganizationAlias
    extra = 1


@admin.register(Organization)
class OrganizationAdmin(SimpleHistoryAdmin):
    list_display = ["name", "kind", "region", "parent", "created_by_import"]
    list_filter = ["kind", "created_by_import"]
    search_fields = ["name", "aliases__name"]
    autocomplete_fields = ["parent", "region"]
    filter_horizontal = ["members"]
    inlines = [AliasInline]


@admin.register(Person)
class PersonAdmin(SimpleHistoryAdmin):
    list_display = ["name", "organization", "title", "phone_masked"]
    search_fields = ["name"]

    @admin.display(description=_("电话"))
    def phone_masked(self, obj):
        return mask_phone(obj.phone)


@admin.register(UserProfile)
class UserProfileAdmin(SimpleHistoryAdmin):
    list_display = ["user", "organization", "region"]
    autocomplete_fields = ["organization", "region"]


@admin.register(ApiToken)
class ApiTokenAdmin(SimpleHistoryAdmin):
    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "revoked"]
    readonly_fields = ["prefix", "created_at", "last_used_at"]
