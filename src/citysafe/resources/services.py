"""Writes to the registry: resources and depot stock.  Every write is scoped and audited (``acting_as``)."""

from django.db import transaction
from django.utils.translation import gettext as _

from citysafe.core.audit import acting_as
from citysafe.core.geo import region_at, valid_lon_lat
from citysafe.core.roles import can_write, is_municipal
from citysafe.core.scoping import organization_in_scope

from .errors import PermissionDenied, ResourceError
from .models import Resource, ResourceKind, ResourceStatus, StockItem
from .selectors import can_manage

RESOURCE_FIELDS = {f.name for f in Resource._meta.concrete_fields} - {"id", "created_at"}


def _default_owner(user):
    profile = getattr(user, "profile", None)
    return getattr(profile, "organization", None)


def check_resource_fields(user, fields: dict) -> dict:
    """Validate kind, point, status and owner; fill region by location and owner from the user's profile.

    Errors: ``ResourceError`` (bad values), ``PermissionDenied`` (owner outside the user's scope).
    """
    unknown = set(fields) - RESOURCE_FIELDS
    if unknown:
        raise ResourceError(_("未知字段: %(f)s") % {"f": ", ".join(sorted(unknown))})
    if fields.get("kind") not in ResourceKind.values:
        raise ResourceError(_("未知资源类型: %(k)s") % {"k": fields.get("kind")})
    if not (fields.get("name") or "").strip():
        raise ResourceError(_("名称不能为空"))
    if not valid_lon_lat(fields.get("lon"), fields.get("lat")):
        raise ResourceError(_("经纬度无效"))
    if fields.get("status", ResourceStatus.AVAILABLE) not in ResourceStatus.values:
        raise ResourceError(_("未知状态: %(s)s") % {"s": fields.get("status")})
    if fields.get("organization") is None:
        fields["organization"] = _default_owner(user)
    owner = fields.get("organization")
    if not is_municipal(user) and (owner is None or not organization_in_scope(user, owner.pk)):
        raise PermissionDenied(_("不能为本单位范围以外的单位登记资源"))
    if fields.get("region") is None:
        fields["region"] = region_at(fields["lon"], fields["lat"]) or getattr(owner, "region", None)
    occupancy, capacity = fields.get("occupancy"), fields.get("capacity")
    if occupancy is not None and capacity is not None and occupancy > capacity:
        raise ResourceError(_("已安置人数超过容量"))
    return fields


def create_resource(*, user, **fields) -> Resource:
    if not can_write(user):
        raise PermissionDenied(_("只读用户不能登记资源"))
    fields = check_resource_fields(user, fields)
    with acting_as(user), transaction.atomic():
        return Resource.objects.create(**fields)


def update_resource(resource: Resource, *, user, **changes) -> Resource:
    if not can_manage(user, resource):
        raise PermissionDenied(_("无权修改该资源"))
    fields = {name: getattr(resource, name) for name in RESOURCE_FIELDS}
    fields.update(changes)
    fields = check_resource_fields(user, fields)
    for name, value in fields.items():
        setattr(resource, name, value)
    with acting_as(user):
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
    if not (item or "").strip():
        raise ResourceError(_("物资名称不能为空"))
    with acting_as(user), transaction.atomic():
        stock, _created = StockItem.objects.update_or_create(
            depot=depot, item=item.strip(),
            defaults={"quantity": quantity, "unit": unit, "expires_on": expires_on, "minimum": minimum or 0})
    return stock
