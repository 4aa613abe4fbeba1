"""Writes to the registry: resources and depot stock.  Every write is scoped and audited (``acting_as``)."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from shapely.geometry import Point, shape

from citysafe.core.audit import acting_as
from citysafe.core.geo import region_at, valid_lon_lat
from citysafe.core.models import Region, RegionLevel
from citysafe.core.roles import can_write, is_municipal
from citysafe.core.scoping import organization_in_scope

from .errors import PermissionDenied, ResourceError
from .models import (
    MAX_COUNT,
    MAX_STOCK,
    MAX_TEXT,
    Dispatch,
    DispatchStatus,
    Resource,
    ResourceKind,
    ResourceStatus,
    StockItem,
)
from .selectors import can_manage

RESOURCE_FIELDS = {f.name for f in Resource._meta.concrete_fields} - {"id", "created_at"}
COUNT_FIELDS = ("headcount", "quantity", "capacity", "occupancy")
TEXT_FIELDS = ("name", "code", "address", "specialty", "equipment", "contact_name", "contact_phone", "notes")
# A resource's status set by hand; "dispatched" is only set and cleared by ``dispatch.py``.
MANUAL_STATUSES = (ResourceStatus.AVAILABLE, ResourceStatus.UNAVAILABLE)
ACTIVE_DISPATCH = (DispatchStatus.REQUESTED, DispatchStatus.DISPATCHED, DispatchStatus.ARRIVED)


def max_length(name: str) -> int:
    """The longest text accepted for a resource field (the column's limit; ``MAX_TEXT`` for text columns)."""
    return Resource._meta.get_field(name).max_length or MAX_TEXT


def text_errors(fields: dict) -> list[tuple[str, str]]:
    """[(field, message)] for texts longer than their limit (shared by the API, the form and the import)."""
    errors = []
    for name in TEXT_FIELDS:
        value = fields.get(name)
        if isinstance(value, str) and len(value) > max_length(name):
            errors.append((name, _("%(field)s 不能超过 %(n)s 个字符")
                           % {"field": Resource._meta.get_field(name).verbose_name, "n": max_length(name)}))
    return errors


def count_error(value) -> str | None:
    """Message when a count is not an integer in 0..MAX_COUNT (None = fine or blank)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
        return _("应为 0 到 %(n)s 之间的整数") % {"n": f"{MAX_COUNT:,}"}
    return None


def region_of_point(lon, lat) -> Region | None:
    """The county-level region in force containing (lon, lat), None outside the city.

    ``core.geo.region_at`` only knows regions with a boundary.  A region created when others were abolished (GB/T 2260
    change of 2025-11-07: 江北区 and 渝北区 -> 两江新区) may have none yet; a point in an abolished region then goes to
    the one region that came into force the day the old one ended.
    """
    region = region_at(lon, lat)
    if region is not None:
        return region
    point = Point(lon, lat)
    abolished = Region.objects.filter(level__in=[RegionLevel.DISTRICT, RegionLevel.ZONE], valid_to__isnull=False,
                                      valid_to__lte=timezone.localdate()).exclude(boundary=None)
    for old in abolished:
        if shape(old.boundary).contains(point):
            successors = list(Region.objects.filter(level__in=[RegionLevel.DISTRICT, RegionLevel.ZONE],
                                                    valid_from=old.valid_to))
            return successors[0] if len(successors) == 1 else None
    return None


def locate(lon, lat):
    """The district containing (lon, lat); ``ResourceError`` when the point is invalid or outside the city."""
    if not valid_lon_lat(lon, lat):
        raise ResourceError(_("经纬度无效"))
    region = region_of_point(lon, lat)
    if region is None:
        raise ResourceError(_("该位置（经度 %(lon)s，纬度 %(lat)s）不在本市范围内，请核对经纬度")
                            % {"lon": lon, "lat": lat})
    return region


def has_active_dispatch(resource: Resource) -> bool:
    return resource.pk is not None and Dispatch.objects.filter(team=resource, status__in=ACTIVE_DISPATCH).exists()


def _default_owner(user):
    profile = getattr(user, "profile", None)
    return getattr(profile, "organization", None)


def check_resource_fields(user, fields: dict) -> dict:
    """Validate kind, point, status, sizes and owner; derive the district from the point, owner from the profile.

    Errors: ``ResourceError`` (bad values), ``PermissionDenied`` (owner outside the user's scope).
    """
    unknown = set(fields) - RESOURCE_FIELDS
    if unknown:
        raise ResourceError(_("未知字段: %(f)s") % {"f": ", ".join(sorted(unknown))})
    if fields.get("kind") not in ResourceKind.values:
        raise ResourceError(_("未知资源类型: %(k)s") % {"k": fields.get("kind")})
    if not (fields.get("name") or "").strip():
        raise ResourceError(_("名称不能为空"))
    too_long = text_errors(fields)
    if too_long:
        raise ResourceError(too_long[0][1])
    for name in COUNT_FIELDS:
        message = count_error(fields.get(name))
        if message:
            raise ResourceError(f"{Resource._meta.get_field(name).verbose_name}：{message}")
    if fields.get("status", ResourceStatus.AVAILABLE) not in ResourceStatus.values:
        raise ResourceError(_("未知状态: %(s)s") % {"s": fields.get("status")})
    # Outside the city there is no district to scope it by (and no one to command it).
    located = locate(fields.get("lon"), fields.get("lat"))
    if fields.get("organization") is None:
        fields["organization"] = _default_owner(user)
    owner = fields.get("organization")
    if not is_municipal(user) and (owner is None or not organization_in_scope(user, owner.pk)):
        raise PermissionDenied(_("不能为本单位范围以外的单位登记资源"))
    fields["region"] = located
    occupancy, capacity = fields.get("occupancy"), fields.get("capacity")
    if occupancy is not None and capacity is not None and occupancy > capacity:
        raise ResourceError(_("已安置人数超过容量"))
    return fields


def create_resource(*, user, **fields) -> Resource:
    if not can_write(user):
        raise PermissionDenied(_("只读用户不能登记资源"))
    if fields.get("status", ResourceStatus.AVAILABLE) not in MANUAL_STATUSES:
        raise ResourceError(_("状态只能为“可用”或“不可用”；“已调派”由调度自动设置"))
    given = fields.pop("region", None)  # derived from the point; a given district must agree with it
    fields = check_resource_fields(user, fields)
    if given is not None and given.adcode != fields["region"].adcode:
        raise ResourceError(_("所在区县与经纬度不符：该点位于%(r)s") % {"r": fields["region"].name})
    with acting_as(user), transaction.atomic():
        return Resource.objects.create(**fields)


def update_resource(resource: Resource, *, user, **changes) -> Resource:
    if not can_manage(user, resource):
        raise PermissionDenied(_("无权修改该资源"))
    changes.pop("region", None)  # derived from the point (moving a resource moves its district)
    status = changes.get("status", resource.status)
    if status != resource.status:
        if status not in MANUAL_STATUSES or resource.status not in MANUAL_STATUSES:
            raise ResourceError(_("“已调派”状态只能由调度设置或解除；请在调度中操作"))
        if has_active_dispatch(resource):
            raise ResourceError(_("该资源有进行中的调度，不能修改状态"))
    fields = {name: getattr(resource, name) for name in RESOURCE_FIELDS}
    fields.update(changes)
    fields = check_resource_fields(user, fields)
    with acting_as(user), transaction.atomic():
        # The status is changed only if nobody dispatched it meanwhile (dispatch.py reserves by conditional UPDATE).
        if status != resource.status and not Resource.objects.filter(
                pk=resource.pk, status=resource.status).update(status=status):
            raise ResourceError(_("资源状态已被他人更新，请刷新"))
        for name, value in fields.items():
            setattr(resource, name, value)
        resource.save()
    return resource


def set_stock(depot: Resource, *, user, item: str, quantity: int, unit: str = "", expires_on=None,
              minimum: int = 0) -> StockItem:
    """Create or replace one stock line of a depot (a stock-take, not a draw; draws go through ``dispatch``)."""
    if depot.kind != ResourceKind.DEPOT:
        raise ResourceError(_("只有物资储备库可以登记库存"))
    if not can_manage(user, depot):
        raise PermissionDenied(_("无权修改该储备库"))
    if quantity is None or quantity < 0 or (minimum or 0) < 0:
        raise ResourceError(_("数量不能为负"))
    if quantity > MAX_STOCK or (minimum or 0) > MAX_STOCK:
        raise ResourceError(_("数量不能超过 %(n)s") % {"n": f"{MAX_STOCK:,}"})
    if not (item or "").strip():
        raise ResourceError(_("物资名称不能为空"))
    for name, value in (("item", item.strip()), ("unit", unit or "")):
        limit = StockItem._meta.get_field(name).max_length
        if len(value) > limit:
            raise ResourceError(_("%(field)s 不能超过 %(n)s 个字符")
                                % {"field": StockItem._meta.get_field(name).verbose_name, "n": limit})
    with acting_as(user), transaction.atomic():
        stock, _created = StockItem.objects.update_or_create(
            depot=depot, item=item.strip(),
            defaults={"quantity": quantity, "unit": unit, "expires_on": expires_on, "minimum": minimum or 0})
    return stock
