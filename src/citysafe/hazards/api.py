"""``/api/v1/hazards``: hazards (CRUD + workflow), risk points, statistics, GeoJSON for the map."""

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from citysafe.core.models import Organization, Region

from . import selectors, services
from .errors import HazardError
from .models import OPEN_STATUSES, Industry
from .schemas import (
    ExtensionIn,
    HazardFilterSchema,
    HazardIn,
    HazardOut,
    HazardPatch,
    IndustryOut,
    RiskPointIn,
    RiskPointOut,
    RiskPointPatch,
    TransitionIn,
    TransitionOut,
)

router = Router(tags=["hazards"])


def _region(adcode):
    if not adcode:
        return None
    region = Region.objects.filter(adcode=adcode).order_by("-valid_from").first()
    if region is None:
        raise HazardError(_("未知区划代码: %(code)s") % {"code": adcode})
    return region


def _industry(code):
    if not code:
        return None
    industry = Industry.objects.filter(code=code).first()
    if industry is None:
        raise HazardError(_("未知行业领域: %(code)s") % {"code": code})
    return industry


@router.get("/industries", response=list[IndustryOut])
def list_industries(request):
    return Industry.objects.select_related("supervising_department")


@router.get("/hazards", response=list[HazardOut])
def list_hazards(request, filters: HazardFilterSchema = Query(...), overdue: bool | None = None,
                 limit: int = Query(200, ge=1, le=1000), offset: int = Query(0, ge=0, le=10**9)):
    qs = filters.filter(selectors.hazards_for(request.user))
    if overdue is not None:
        cond = {"status__in": OPEN_STATUSES, "deadline__lt": timezone.localdate()}
        qs = qs.filter(**cond) if overdue else qs.exclude(**cond)
    return qs[offset:offset + limit]


@router.post("/hazards", response={201: HazardOut})
def create_hazard(request, payload: HazardIn):
    data = payload.dict()
    fields = {k: v for k, v in data.items() if k not in {"region_adcode", "industry_code", "enterprise_id"}
              and v not in (None, "")}
    fields["region"] = _region(data["region_adcode"])
    fields["industry"] = _industry(data["industry_code"])
    if data["enterprise_id"]:
        fields["enterprise"] = get_object_or_404(Organization, pk=data["enterprise_id"])
    fields = {k: v for k, v in fields.items() if v is not None}
    return Status(201, services.create_hazard(user=request.user, **fields))


@router.get("/hazards.geojson", url_name="hazards_geojson")
def hazards_geojson(request, grade: str | None = None, open: bool = False):
    qs = selectors.hazards_for(request.user)
    if grade:
        qs = qs.filter(grade=grade)
    if open:
        qs = qs.filter(status__in=OPEN_STATUSES)
    return selectors.hazards_geojson(qs)


@router.get("/hazards/{hazard_id}", response=HazardOut)
def hazard_detail(request, hazard_id: int):
    return get_object_or_404(selectors.hazards_for(request.user), pk=hazard_id)


@router.patch("/hazards/{hazard_id}", response=HazardOut)
def update_hazard(request, hazard_id: int, payload: HazardPatch):
    hazard = get_object_or_404(selectors.hazards_for(request.user), pk=hazard_id)
    return services.update_hazard(user=request.user, hazard=hazard, **payload.dict(exclude_none=True))


@router.delete("/hazards/{hazard_id}", response={204: None})
def delete_hazard(request, hazard_id: int):
    hazard = get_object_or_404(selectors.hazards_for(request.user), pk=hazard_id)
    services.delete_hazard(user=request.user, hazard=hazard)
    return Status(204, None)


@router.post("/hazards/{hazard_id}/transition", response=HazardOut)
def transition(request, hazard_id: int, payload: TransitionIn):
    hazard = get_object_or_404(selectors.hazards_for(request.user), pk=hazard_id)
    unit = get_object_or_404(Organization, pk=payload.responsible_unit_id) if payload.responsible_unit_id else None
    return services.transition_hazard(user=request.user, hazard=hazard, action=payload.action,
                                      comment=payload.comment, deadline=payload.deadline, responsible_unit=unit,
                                      region=_region(payload.region_adcode), industry=_industry(payload.industry_code),
                                      measures=payload.measures)


@router.post("/hazards/{hazard_id}/extend", response=HazardOut)
def extend(request, hazard_id: int, payload: ExtensionIn):
    hazard = get_object_or_404(selectors.hazards_for(request.user), pk=hazard_id)
    services.extend_deadline(user=request.user, hazard=hazard, new_deadline=payload.new_deadline,
                             reason=payload.reason)
    hazard.refresh_from_db()
    return hazard


@router.get("/hazards/{hazard_id}/transitions", response=list[TransitionOut])
def transitions(request, hazard_id: int):
    hazard = get_object_or_404(selectors.hazards_for(request.user), pk=hazard_id)
    return hazard.transitions.select_related("by")


@router.get("/statistics")
def statistics(request, by: str = "region"):
    if by not in {"region", "industry", "grade", "status"}:
        raise HazardError(_("by 只能是 region、industry、grade 或 status"))
    hazards = selectors.hazards_for(request.user)
    return {"totals": selectors.totals(hazards), "rows": selectors.hazard_statistics(hazards, by)}


@router.get("/risk-points", response=list[RiskPointOut])
def list_risk_points(request, kind: str | None = None, region: str | None = None,
                     limit: int = Query(200, ge=1, le=1000), offset: int = Query(0, ge=0, le=10**9)):
    qs = selectors.risk_points_for(request.user)
    if kind:
        qs = qs.filter(kind=kind)
    if region:
        qs = qs.filter(region__adcode=region)
    return qs[offset:offset + limit]


@router.post("/risk-points", response={201: RiskPointOut})
def create_risk_point(request, payload: RiskPointIn):
    data = payload.dict()
    industry = _industry(data.pop("industry_code"))
    return Status(201, services.create_risk_point(user=request.user, industry=industry, **data))


@router.get("/risk-points.geojson", url_name="risk_points_geojson")
def risk_points_geojson(request, kind: str | None = None):
    qs = selectors.risk_points_for(request.user)
    return selectors.risk_points_geojson(qs.filter(kind=kind) if kind else qs)


@router.get("/risk-points/{point_id}", response=RiskPointOut)
def risk_point_detail(request, point_id: int):
    return get_object_or_404(selectors.risk_points_for(request.user), pk=point_id)


@router.patch("/risk-points/{point_id}", response=RiskPointOut)
def update_risk_point(request, point_id: int, payload: RiskPointPatch):
    point = get_object_or_404(selectors.risk_points_for(request.user), pk=point_id)
    return services.update_risk_point(user=request.user, point=point, **payload.dict(exclude_none=True))


@router.delete("/risk-points/{point_id}", response={204: None})
def delete_risk_point(request, point_id: int):
    point = get_object_or_404(selectors.risk_points_for(request.user), pk=point_id)
    services.delete_risk_point(user=request.user, point=point)
    return Status(204, None)


