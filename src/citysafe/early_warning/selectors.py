"""Reads of warnings, scoped: a district sees warnings in its region; municipal users see all; public warnings
are visible to every signed-in user."""

from django.db.models import Q, QuerySet

from citysafe.core.roles import is_municipal
from citysafe.core.scoping import scope_region_paths

from .models import EarlyWarning, WarningStatus


def warnings_for(user) -> QuerySet:
    """Issued warnings (never drafts or those awaiting approval: see ``manual.manual_warnings_for``) in scope."""
    qs = (EarlyWarning.objects.select_related("region", "rule", "risk_point")
          .exclude(status__in=[WarningStatus.DRAFT, WarningStatus.PENDING]))
    if not user.is_authenticated:
        return qs.none()
    if is_municipal(user):
        return qs
    condition = Q(is_public=True)
    for path in scope_region_paths(user) or []:
        condition |= Q(region__path__startswith=path)
    return qs.filter(condition)


def active_warnings_geojson(qs: QuerySet) -> dict:
    """Active warnings as GeoJSON: a device's or risk point's location, else the warning polygon."""
    from citysafe.monitoring.models import Device

    warnings = list(qs.filter(status=WarningStatus.ACTIVE))
    located = {pk: (lon, lat) for pk, lon, lat in Device.objects.filter(
        pk__in=[w.device_id for w in warnings if w.device_id]).exclude(lon=None).values_list("pk", "lon", "lat")}
    features = []
    for w in warnings:
        geometry = None
        if w.device_id in located:
            geometry = {"type": "Point", "coordinates": list(located[w.device_id])}
        elif w.risk_point_id:
            geometry = {"type": "Point", "coordinates": [w.risk_point.lon, w.risk_point.lat]}
        elif w.polygon:
            geometry = w.polygon
        elif w.region_id and w.region.center_lon is not None:
            geometry = {"type": "Point", "coordinates": [w.region.center_lon, w.region.center_lat]}
        if geometry is None:
            continue
        features.append({"type": "Feature", "geometry": geometry, "properties": {
            "id": w.pk, "level": w.level, "hazard": w.get_hazard_type_display(), "headline": w.headline,
            "updated": w.updated_at.isoformat()}})
    return {"type": "FeatureCollection", "features": features}
