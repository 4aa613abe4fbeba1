"""Reads of devices and readings, scoped by region."""

from django.db.models import Q, QuerySet

from citysafe.core.roles import is_municipal
from citysafe.core.scoping import scope_region_paths

from .models import Device, Reading
from .routers import readings_alias


def devices_for(user) -> QuerySet:
    """Devices the user may see: all for municipal users, else those in the user's region subtree or watching a
    risk point the user may see."""
    qs = Device.objects.select_related("region", "risk_point")
    if not user.is_authenticated:
        return qs.none()
    if is_municipal(user):
        return qs
    from citysafe.hazards.selectors import risk_points_for

    condition = Q(risk_point__in=risk_points_for(user).values("pk"))
    for path in scope_region_paths(user) or []:
        condition |= Q(region__path__startswith=path)
    return qs.filter(condition)


def readings_of(device: Device, metric: str | None = None, since=None, until=None, limit: int = 5000):
    """Readings of one device, oldest first (at most ``limit``, the newest ones)."""
    qs = Reading.objects.using(readings_alias()).filter(device_id=device.pk)
    if metric:
        qs = qs.filter(metric=metric)
    if since:
        qs = qs.filter(time__gte=since)
    if until:
        qs = qs.filter(time__lte=until)
    rows = list(qs.order_by("-time").values("metric", "time", "value")[:limit])
    rows.reverse()
    return rows
