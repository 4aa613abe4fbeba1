"""Scoped reads.  A user sees a resource owned by an organisation in their scope or located in their region subtree
(``core.scoping``); municipal users see everything.  Objects outside the scope answer 404."""

from functools import reduce
from operator import or_

from django.db.models import Q, QuerySet

from citysafe.core.roles import can_write, is_municipal
from citysafe.core.scoping import organization_in_scope, scope_organization_ids, scope_region_paths

from .models import Dispatch, Resource, StockItem


def _scope_q(user, org_field: str, region_field: str) -> Q | None:
    """None = unrestricted; an always-false Q for anonymous users or users without a scope."""
    if not user.is_authenticated:
        return Q(pk__in=[])
    if is_municipal(user):
        return None
    parts = []
    ids = scope_organization_ids(user)
    if ids:
        parts.append(Q(**{f"{org_field}__in": ids}))
    for path in scope_region_paths(user) or []:
        parts.append(Q(**{f"{region_field}__path__startswith": path}))
    return reduce(or_, parts) if parts else Q(pk__in=[])


def resources_for(user, kind: str | None = None) -> QuerySet:
    qs = Resource.objects.select_related("region", "organization")
    condition = _scope_q(user, "organization_id", "region")
    if condition is not None:
        qs = qs.filter(condition)
    return qs.filter(kind=kind) if kind else qs


def stock_for(user) -> QuerySet:
    qs = StockItem.objects.select_related("depot", "depot__region")
    condition = _scope_q(user, "depot__organization_id", "depot__region")
    return qs if condition is None else qs.filter(condition)


def incident_visible(user, incident) -> bool:
    """The incidents app's scoping rule (``incidents.selectors.incidents_for``) for one incident."""
    from citysafe.incidents.selectors import incidents_for

    return incidents_for(user).filter(pk=incident.pk).exists()


def dispatches_for(user) -> QuerySet:
    """Dispatches of resources the user sees, or to incidents in the user's scope."""
    qs = Dispatch.objects.select_related("incident", "team", "requested_by").prefetch_related("items__stock__depot")
    if is_municipal(user):
        return qs
    if not user.is_authenticated:
        return qs.none()
    resource_q = _scope_q(user, "team__organization_id", "team__region")
    stock_q = _scope_q(user, "items__stock__depot__organization_id", "items__stock__depot__region")
    incident_q = _scope_q(user, "incident__organization_id", "incident__region")
    return qs.filter(resource_q | stock_q | incident_q).distinct()


def can_manage(user, resource: Resource) -> bool:
    """Writers may change resources of organisations they act for; unowned ones by region."""
    if not can_write(user):
        return False
    if is_municipal(user) or organization_in_scope(user, resource.organization_id):
        return True
    if resource.organization_id is None and resource.region_id:
        return any(resource.region.path.startswith(p) for p in scope_region_paths(user) or [])
    return False


def resources_geojson(resources: QuerySet, limit: int = 20000) -> dict:
    """GeoJSON points (WGS84) for the map; ``properties.layer`` is the kind (one layer per kind)."""
    features = []
    fields = ("pk", "kind", "name", "lon", "lat", "status", "headcount", "capacity", "occupancy", "region__name")
    for r in resources.values(*fields)[:limit]:
        features.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [r["lon"], r["lat"]]},
                         "properties": {"id": r["pk"], "layer": r["kind"], "title": r["name"], "status": r["status"],
                                        "headcount": r["headcount"], "capacity": r["capacity"],
                                        "occupancy": r["occupancy"], "region": r["region__name"]}})
    return {"type": "FeatureCollection", "features": features}


def incident_for(user, pk):
    """The incident if the user may see it; ``Incident.DoesNotExist`` (-> 404) otherwise."""
    from citysafe.incidents.selectors import incidents_for

    return incidents_for(user).get(pk=pk)


def nearest_for(user, *, incident=None, lon=None, lat=None, kinds=None, available_only=True, limit=10, order=None):
    """Nearest resources in the user's scope to an incident (its point) or to (lon, lat); see ``nearest.nearest``."""
    from django.utils.translation import gettext as _

    from .errors import ResourceError
    from .nearest import configured_graph, nearest

    if incident is not None:
        lon, lat = incident.lon, incident.lat
        if lon is None or lat is None:
            raise ResourceError(_("该事件没有经纬度，无法计算最近资源"))
    if lon is None or lat is None:
        raise ResourceError(_("请给出事件或经纬度"))
    return nearest(lon, lat, resources_for(user), kinds=kinds, available_only=available_only, limit=limit,
                   graph=configured_graph(), order=order)
