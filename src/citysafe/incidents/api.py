"""``/api/v1/incidents``: intake, scoped list/detail, follow-up and final reports, timeline, GeoJSON."""

from django.core.exceptions import ObjectDoesNotExist
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from citysafe.core.models import Organization, Region
from citysafe.core.scoping import organization_in_scope
from citysafe.hazards.models import Industry

from . import selectors, services
from .errors import IncidentError
from .schemas import IncidentIn, IncidentListOut, IncidentOut, ReportIn, ReportOut, TimelineOut

router = Router(tags=["incidents"])


def _region(adcode):
    if not adcode:
        return None
    region = Region.objects.filter(adcode=adcode).order_by("-valid_from").first()
    if region is None:
        raise IncidentError(_("未知区划代码: %(code)s") % {"code": adcode})
    return region


def _incident(request, incident_id):
    """The incident if the user may see it; otherwise "not found" (project handler: 404 "未找到")."""
    incident = (selectors.incidents_for(request.user).filter(pk=incident_id).first()
                if 0 < incident_id < 2**31 else None)
    if incident is None:
        raise ObjectDoesNotExist(_("未找到该事故事件"))
    return incident


def _organization(request, org_id):
    """The organisation if the user may act for it; other districts' organisations are answered as not found."""
    if not org_id:
        return None
    organization = Organization.objects.filter(pk=org_id).first() if 0 < org_id < 2**31 else None
    if organization is None or not organization_in_scope(request.user, organization.pk):
        raise ObjectDoesNotExist(_("未找到事发单位"))
    return organization


def _industry(code):
    if not code:
        return None
    industry = Industry.objects.filter(code=code).first()
    if industry is None:
        raise IncidentError(_("未知行业领域: %(code)s") % {"code": code})
    return industry


@router.get("", response=list[IncidentListOut])
def list_incidents(request, kind: str | None = None, grade: str | None = None, overdue: bool | None = None,
                   limit: int = Query(200, ge=1, le=1000), offset: int = Query(0, ge=0, le=10**9)):
    qs = selectors.incidents_for(request.user)
    if kind:
        qs = qs.filter(kind=kind)
    if grade:
        qs = qs.filter(grade=grade)
    if overdue is None:
        qs = qs[offset:offset + limit]
    now = timezone.now()
    rows = []
    for incident in qs:
        incident.overdue = selectors.is_overdue(incident, now)
        if overdue is None or incident.overdue == overdue:
            rows.append(incident)
    # The overdue flag is computed per incident, so with that filter the page is cut after filtering.
    return rows if overdue is None else rows[offset:offset + limit]


@router.post("", response={201: IncidentOut})
def create_incident(request, payload: IncidentIn):
    data = payload.dict()
    region = _region(data.pop("region_adcode"))
    industry = _industry(data.pop("industry_code"))
    organization = _organization(request, data.pop("organization_id"))
    data["reporter_name"], data["reporter_phone"] = data.pop("reporter"), data.pop("reporter_contact")
    fields = {k: v for k, v in data.items() if v is not None}
    incident = services.create_incident(user=request.user, region=region, industry=industry,
                                        organization=organization, **fields)
    return Status(201, incident)


GEOJSON_LIMIT = 5000  # project default: bounded like the other map layers


@router.get("/incidents.geojson", url_name="incidents_geojson")
def incidents_geojson(request):
    """The newest ``GEOJSON_LIMIT`` incidents with coordinates (the map clusters them; older ones are in the list)."""
    incidents = (selectors.incidents_for(request.user).filter(lon__isnull=False, lat__isnull=False)
                 .prefetch_related(None).order_by("-occurred_at")[:GEOJSON_LIMIT])
    return selectors.incidents_geojson(incidents)


@router.get("/{incident_id}", response=IncidentOut)
def incident_detail(request, incident_id: int):
    return _incident(request, incident_id)


@router.post("/{incident_id}/reports", response={201: ReportOut})
def add_report(request, incident_id: int, payload: ReportIn):
    incident = _incident(request, incident_id)
    data = {k: v for k, v in payload.dict().items() if v is not None}
    data["reporter_name"] = data.pop("reporter", "")
    report = services.add_report(user=request.user, incident=incident, **data)
    incident = selectors.incidents_for(request.user).get(pk=incident_id)
    return Status(201, next(r for r in selectors.timeline(incident)["reports"] if r["id"] == report.pk))


@router.get("/{incident_id}/timeline", response=TimelineOut)
def incident_timeline(request, incident_id: int):
    return selectors.timeline(_incident(request, incident_id))
