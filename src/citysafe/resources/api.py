"""``/api/v1/resources``: the registry (CRUD, stock), GeoJSON for the map, nearest resources, dispatch, import."""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import File, Query, Router, Status
from ninja.files import UploadedFile

from citysafe.core.models import Organization, Region

from . import dispatch as dispatching
from . import importing, selectors, services
from .errors import ResourceError
from .models import ResourceKind
from .schemas import (
    AdvanceIn,
    DispatchIn,
    DispatchOut,
    ImportOut,
    NearbyOut,
    ResourceIn,
    ResourceOut,
    ResourcePatch,
    StockIn,
    StockOut,
    TimelineEventOut,
)

router = Router(tags=["resources"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _region(adcode):
    if not adcode:
        return None
    region = Region.objects.filter(adcode=adcode).order_by("-valid_from").first()
    if region is None:
        raise ResourceError(_("未知区划代码: %(code)s") % {"code": adcode})
    return region


@router.get("/items", response=list[ResourceOut])
def list_resources(request, kind: str | None = None, status: str | None = None, region: str | None = None,
                   limit: int = Query(500, ge=1, le=5000), offset: int = Query(0, ge=0, le=10**9)):
    qs = selectors.resources_for(request.user, kind)
    if status:
        qs = qs.filter(status=status)
    if region:
        qs = qs.filter(region__adcode=region)
    return qs[offset:offset + limit]


@router.post("/items", response={201: ResourceOut})
def create_resource(request, payload: ResourceIn):
    data = payload.dict()
    data["region"] = _region(data.pop("region_adcode"))
    org_id = data.pop("organization_id")
    data["organization"] = get_object_or_404(Organization, pk=org_id) if org_id else None
    return Status(201, services.create_resource(user=request.user, **data))


@router.get("/items/{int:pk}", response=ResourceOut)
def get_resource(request, pk: int):
    return get_object_or_404(selectors.resources_for(request.user), pk=pk)


@router.patch("/items/{int:pk}", response=ResourceOut)
def patch_resource(request, pk: int, payload: ResourcePatch):
    resource = get_object_or_404(selectors.resources_for(request.user), pk=pk)
    return services.update_resource(resource, user=request.user, **payload.dict(exclude_unset=True))


@router.get("/items/{int:pk}/stock", response=list[StockOut])
def depot_stock(request, pk: int):
    depot = get_object_or_404(selectors.resources_for(request.user, ResourceKind.DEPOT), pk=pk)
    return depot.stock.select_related("depot")


@router.put("/items/{int:pk}/stock", response=StockOut)
def put_stock(request, pk: int, payload: StockIn):
    depot = get_object_or_404(selectors.resources_for(request.user, ResourceKind.DEPOT), pk=pk)
    return services.set_stock(depot, user=request.user, **payload.dict())


@router.get("/stock", response=list[StockOut])
def list_stock(request, below_minimum: bool = False, expiring: bool = False):
    items = list(selectors.stock_for(request.user))
    if below_minimum:
        items = [s for s in items if s.below_minimum]
    if expiring:
        items = [s for s in items if s.is_expiring]
    return items


@router.get("/resources.geojson", url_name="resources_geojson")
def resources_geojson(request, kind: str | None = None, status: str | None = None):
    qs = selectors.resources_for(request.user, kind)
    if status:
        qs = qs.filter(status=status)
    return selectors.resources_geojson(qs)


@router.get("/nearest", response=list[NearbyOut], url_name="resources_nearest")
def nearest(request, incident: int | None = None, lon: float | None = None, lat: float | None = None,
            kind: list[str] = Query(None), available: bool = True, order: str | None = None,
            limit: int = Query(10, ge=1, le=200)):
    """Straight-line ``distance_km`` always; ``travel_min`` when a road graph is configured (else null)."""
    found = selectors.nearest_for(
        request.user, incident=selectors.incident_for(request.user, incident) if incident else None, lon=lon,
        lat=lat, kinds=kind or None, available_only=available, limit=limit, order=order)
    return [{"resource": n.resource, "distance_km": n.distance_km, "travel_min": n.travel_min} for n in found]


@router.get("/dispatches", response=list[DispatchOut])
def list_dispatches(request, incident: int | None = None, status: str | None = None):
    qs = selectors.dispatches_for(request.user)
    if incident:
        qs = qs.filter(incident_id=incident)
    if status:
        qs = qs.filter(status=status)
    return qs[:1000]


@router.post("/dispatches", response={201: DispatchOut})
def create_dispatch(request, payload: DispatchIn):
    incident = selectors.incident_for(request.user, payload.incident_id)
    visible = selectors.resources_for(request.user)
    team = get_object_or_404(visible, pk=payload.team_id) if payload.team_id else None
    stock = selectors.stock_for(request.user)
    items = [(get_object_or_404(stock, pk=i.stock_id), i.quantity) for i in payload.items]
    return Status(201, dispatching.request_dispatch(user=request.user, incident=incident, team=team, items=items,
                                                    note=payload.note))


@router.post("/dispatches/{int:pk}/advance", response=DispatchOut)
def advance_dispatch(request, pk: int, payload: AdvanceIn):
    dispatch = get_object_or_404(selectors.dispatches_for(request.user), pk=pk)
    return dispatching.advance(dispatch, payload.to, user=request.user, returned=payload.returned)


@router.get("/incidents/{int:pk}/timeline", response=list[TimelineEventOut])
def dispatch_timeline(request, pk: int):
    return dispatching.dispatch_timeline(selectors.incident_for(request.user, pk))


@router.post("/import", response=ImportOut)
def import_registry(request, file: UploadedFile = File(...)):
    outcome = importing.import_resources(file.read(), user=request.user)
    return {"ok": outcome.ok, "resources": outcome.resources, "stock": outcome.stock,
            "errors": [{"row": e.row, "column": e.column, "message": e.message} for e in outcome.errors]}


@router.get("/import/template", url_name="resources_import_template")
def import_template(request):
    response = HttpResponse(importing.template_workbook(), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="resources-template.xlsx"'
    return response


