"""``/api/v1/records``: accident records, disaster events and reports, statistics, source figures, discrepancies.

Every list takes ``?format=csv|xlsx`` for a download of the same rows (``citysafe.core.exports``).
"""

import datetime as dt
from decimal import Decimal
from typing import Literal

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from citysafe.core.exports import table_response
from citysafe.core.models import Organization, Region
from citysafe.hazards.models import Industry

from . import crosscheck, selectors, services, tables
from .errors import RecordError

router = Router(tags=["records"])

Category = Literal["accident", "blackout", "elevator_entrapment", "forest_fire"]
Grade = Literal["", "ordinary", "large", "major", "especially_major"]
Stage = Literal["initial", "follow_up", "final"]
SourceKind = Literal["district", "department", "hospital", "police", "other"]
Format = Literal["csv", "xlsx"]
MAX_PEOPLE = services.MAX_PEOPLE


class RecordIn(Schema):
    category: Category = "accident"
    title: str = Field(..., min_length=1, max_length=200)
    occurred_on: dt.date
    region_adcode: str | None = Field(None, max_length=12)
    industry_code: str | None = Field(None, max_length=40)
    organization_id: int | None = None
    grade: Grade = ""
    deaths: int = Field(0, ge=0, le=MAX_PEOPLE)
    missing: int = Field(0, ge=0, le=MAX_PEOPLE)
    serious_injuries: int = Field(0, ge=0, le=MAX_PEOPLE)
    injuries: int = Field(0, ge=0, le=MAX_PEOPLE)
    direct_loss_yuan: Decimal = Field(Decimal(0), ge=0, lt=Decimal(10) ** 13)
    is_secondary: bool = False
    burned_forest_ha: float | None = Field(None, ge=0, le=services.MAX_AREA_HA)
    note: str = Field("", max_length=5000)


class RecordPatch(Schema):
    grade: Grade | None = None
    deaths: int | None = Field(None, ge=0, le=MAX_PEOPLE)
    missing: int | None = Field(None, ge=0, le=MAX_PEOPLE)
    serious_injuries: int | None = Field(None, ge=0, le=MAX_PEOPLE)
    injuries: int | None = Field(None, ge=0, le=MAX_PEOPLE)
    direct_loss_yuan: Decimal | None = Field(None, ge=0, lt=Decimal(10) ** 13)
    is_secondary: bool | None = None
    burned_forest_ha: float | None = Field(None, ge=0, le=services.MAX_AREA_HA)
    reason: str = Field(..., min_length=1, max_length=1000)


class RecordOut(Schema):
    id: int
    category: str
    source: str
    incident_id: int | None
    title: str
    occurred_on: dt.date
    region: str | None
    region_name: str | None
    industry: str | None
    organization_id: int | None
    grade: str
    deaths: int
    missing: int
    serious_injuries: int
    injuries: int
    direct_loss_yuan: Decimal
    is_secondary: bool
    burned_forest_ha: float | None
    note: str
    is_demo: bool

    @staticmethod
    def resolve_region(obj):
        return obj.region.adcode if obj.region_id else None

    @staticmethod
    def resolve_region_name(obj):
        return obj.region.name if obj.region_id else None

    @staticmethod
    def resolve_industry(obj):
        return obj.industry.code if obj.industry_id else None


class EventIn(Schema):
    title: str = Field(..., min_length=1, max_length=200)
    hazard_type: str = Field(..., min_length=1, max_length=30)
    start_date: dt.date
    end_date: dt.date | None = None
    is_mass_casualty_responsibility: bool = False
    note: str = Field("", max_length=5000)


class EventPatch(Schema):
    title: str | None = Field(None, min_length=1, max_length=200)
    hazard_type: str | None = Field(None, min_length=1, max_length=30)
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    is_mass_casualty_responsibility: bool | None = None
    note: str | None = Field(None, max_length=5000)


class WithdrawIn(Schema):
    reason: str = Field(..., min_length=1, max_length=5000)


class EventOut(Schema):
    id: int
    title: str
    hazard_type: str
    start_date: dt.date
    end_date: dt.date | None
    is_mass_casualty_responsibility: bool
    is_demo: bool
    status: str
    withdraw_reason: str


class ReportIn(Schema):
    region_adcode: str = Field(..., max_length=12)
    stage: Stage
    reported_at: dt.datetime | None = None
    note: str = Field("", max_length=5000)
    # Indicators left out of a 续报/核报 carry over from the district's previous version (0 on a first report).
    affected_population: int | None = Field(None, ge=0, le=services.MAX_PEOPLE_TIMES)
    deaths: int | None = Field(None, ge=0, le=MAX_PEOPLE)
    missing: int | None = Field(None, ge=0, le=MAX_PEOPLE)
    deaths_at_monitored_points: int | None = Field(None, ge=0, le=MAX_PEOPLE)
    relocated: int | None = Field(None, ge=0, le=services.MAX_PEOPLE_TIMES)
    needing_aid: int | None = Field(None, ge=0, le=services.MAX_PEOPLE_TIMES)
    collapsed_rooms: int | None = Field(None, ge=0, le=MAX_PEOPLE)
    severely_damaged_rooms: int | None = Field(None, ge=0, le=MAX_PEOPLE)
    generally_damaged_rooms: int | None = Field(None, ge=0, le=MAX_PEOPLE)
    crop_affected_ha: float | None = Field(None, ge=0, le=services.MAX_AREA_HA)
    crop_disaster_ha: float | None = Field(None, ge=0, le=services.MAX_AREA_HA)
    crop_failed_ha: float | None = Field(None, ge=0, le=services.MAX_AREA_HA)
    direct_loss_10k_yuan: Decimal | None = Field(None, ge=0, lt=Decimal(10) ** 11)


class ReportOut(Schema):
    id: int
    event_id: int
    region: str
    stage: str
    reported_at: dt.datetime
    affected_population: int
    deaths: int
    missing: int
    deaths_at_monitored_points: int
    relocated: int
    needing_aid: int
    collapsed_rooms: int
    severely_damaged_rooms: int
    generally_damaged_rooms: int
    crop_affected_ha: float
    crop_disaster_ha: float
    crop_failed_ha: float
    direct_loss_10k_yuan: Decimal
    note: str

    @staticmethod
    def resolve_region(obj):
        return obj.region.adcode


class FigureIn(Schema):
    subject: str = Field(..., max_length=80)
    metric: str = Field(..., max_length=40)
    source_kind: SourceKind
    source_organization_id: int | None = None
    value: float = Field(..., ge=0, le=crosscheck.MAX_VALUE)
    note: str = Field("", max_length=300)


class FigureOut(Schema):
    id: int
    subject: str
    metric: str
    source_kind: str
    source_organization_id: int | None
    value: float
    reported_at: dt.datetime
    note: str


class DiscrepancyOut(Schema):
    id: int
    subject: str
    metric: str
    region: str | None
    values: list
    spread: float
    tolerance: float
    status: str
    resolved_value: float | None
    resolution: str
    resolved_by: str | None
    resolved_at: dt.datetime | None
    found_at: dt.datetime

    @staticmethod
    def resolve_region(obj):
        return obj.region.adcode if obj.region_id else None

    @staticmethod
    def resolve_resolved_by(obj):
        return obj.resolved_by.username if obj.resolved_by_id else None


class ResolveIn(Schema):
    value: float = Field(..., ge=0, le=crosscheck.MAX_VALUE)
    reason: str = Field(..., min_length=1, max_length=5000)


def _download(fmt, table, name):
    return table_response(*table(), name, fmt) if fmt else None


def _region(adcode):
    if not adcode:
        return None
    region = Region.objects.filter(adcode=adcode).order_by("-valid_from").first()
    if region is None:
        raise RecordError(_("未知区划代码：%(c)s") % {"c": adcode}, "region")
    return region


@router.get("/records", response=list[RecordOut])
def list_records(request, year: int | None = Query(None, ge=2000, le=2100), region: str | None = None,
                 category: Category | None = None, grade: Grade | None = None, format: Format | None = None,
                 limit: int = Query(500, ge=1, le=5000), offset: int = Query(0, ge=0, le=10**9)):
    qs = selectors.records_for(request.user)
    if year:
        qs = qs.filter(occurred_on__year=year)
    if region:
        qs = qs.filter(region__adcode=region)
    if category:
        qs = qs.filter(category=category)
    if grade is not None:
        qs = qs.filter(grade=grade)
    download = _download(format, lambda: tables.records_table(qs), "accident-records")
    return download if download is not None else qs[offset:offset + limit]


@router.get("/records/totals")
def record_totals(request, year: int | None = Query(None, ge=2000, le=2100), category: Category | None = None):
    qs = selectors.records_for(request.user)
    if year:
        qs = qs.filter(occurred_on__year=year)
    if category:
        qs = qs.filter(category=category)
    totals = selectors.record_totals(qs)
    return totals | {"direct_loss_yuan": float(totals["direct_loss_yuan"])}


@router.post("/records", response={201: RecordOut})
def create_record(request, payload: RecordIn):
    data = payload.dict()
    data["region"] = _region(data.pop("region_adcode"))
    code = data.pop("industry_code")
    data["industry"] = get_object_or_404(Industry, code=code) if code else None
    org_id = data.pop("organization_id")
    data["organization"] = get_object_or_404(Organization, pk=org_id) if org_id else None
    return Status(201, services.create_record(user=request.user, **data))


@router.get("/records/{record_id}", response=RecordOut)
def record_detail(request, record_id: int):
    return get_object_or_404(selectors.records_for(request.user), pk=record_id)


@router.patch("/records/{record_id}", response=RecordOut)
def update_record(request, record_id: int, payload: RecordPatch):
    record = get_object_or_404(selectors.records_for(request.user), pk=record_id)
    data = payload.dict(exclude_none=True)
    reason = data.pop("reason")
    return services.update_record(user=request.user, record=record, reason=reason, **data)


@router.get("/disaster-events", response=list[EventOut])
def list_events(request, format: Format | None = None):
    events = selectors.events_for(request.user)
    download = _download(format, lambda: tables.events_table(events), "disaster-events")
    return download if download is not None else events


@router.post("/disaster-events", response={201: EventOut})
def create_event(request, payload: EventIn):
    return Status(201, services.create_event(user=request.user, **payload.dict()))


@router.get("/disaster-events/{event_id}", response=EventOut)
def event_detail(request, event_id: int):
    return get_object_or_404(selectors.events_for(request.user), pk=event_id)


@router.patch("/disaster-events/{event_id}", response=EventOut)
def update_event(request, event_id: int, payload: EventPatch):
    """Edit an event (municipal users or the district that registered it; the 群死群伤 flag: municipal only)."""
    event = get_object_or_404(selectors.events_for(request.user), pk=event_id)
    data = payload.dict(exclude_unset=True)
    data = {k: v for k, v in data.items() if v is not None or k == "end_date"}
    return services.update_event(user=request.user, event=event, **data)


@router.post("/disaster-events/{event_id}/withdraw", response=EventOut)
def withdraw_event(request, event_id: int, payload: WithdrawIn):
    """Withdraw an event: kept on file, excluded from statistics and KPIs."""
    event = get_object_or_404(selectors.events_for(request.user), pk=event_id)
    return services.withdraw_event(user=request.user, event=event, reason=payload.reason)


@router.get("/disaster-events/{event_id}/reports", response=list[ReportOut])
def event_reports(request, event_id: int, current_only: bool = False, format: Format | None = None):
    """All versions (history) or, with ``current_only``, the current version per district."""
    event = get_object_or_404(selectors.events_for(request.user), pk=event_id)
    reports = selectors.reports_for(request.user).filter(event=event).order_by("region__adcode", "reported_at", "pk")
    if current_only:
        reports = list(selectors.latest_versions(reports).values())
    download = _download(format, lambda: tables.reports_table(reports), f"disaster-{event.pk}")
    return download if download is not None else reports


@router.post("/disaster-events/{event_id}/reports", response={201: ReportOut})
def add_report(request, event_id: int, payload: ReportIn):
    event = get_object_or_404(selectors.events_for(request.user), pk=event_id)
    data = payload.dict()
    region = _region(data.pop("region_adcode"))
    previous = services.latest_version(event, region) if region is not None else None
    for name in services.INDICATORS:
        if data.get(name) is None:
            data[name] = getattr(previous, name) if previous is not None else 0
    return Status(201, services.add_disaster_report(user=request.user, event=event, region=region, **data))


@router.get("/disaster-statistics")
def disaster_statistics(request, date_from: dt.date | None = None, date_to: dt.date | None = None,
                        region: str | None = None, format: Format | None = None):
    """Per district totals of the national indicators over the events starting in the period (current versions)."""
    stats = selectors.disaster_statistics(request.user, date_from, date_to, region)
    download = _download(format, lambda: tables.statistics_table(stats), "disaster-statistics")
    if download is not None:
        return download
    as_float = lambda row: {k: (float(v) if isinstance(v, Decimal) else v) for k, v in row.items()}  # noqa: E731
    return {"rows": [as_float(r) for r in stats["rows"]], "total": as_float(stats["total"])}


@router.get("/source-figures", response=list[FigureOut])
def list_figures(request, subject: str | None = None, metric: str | None = None, format: Format | None = None,
                 limit: int = Query(500, ge=1, le=5000), offset: int = Query(0, ge=0, le=10**9)):
    figures = selectors.source_figures_for(request.user)
    if subject:
        figures = figures.filter(subject=subject)
    if metric:
        figures = figures.filter(metric=metric)
    download = _download(format, lambda: tables.figures_table(figures), "source-figures")
    return download if download is not None else figures[offset:offset + limit]


@router.post("/source-figures", response={201: dict})
def add_figure(request, payload: FigureIn):
    data = payload.dict()
    org_id = data.pop("source_organization_id")
    data["source_organization"] = get_object_or_404(Organization, pk=org_id) if org_id else None
    figure, found = crosscheck.add_source_figure(user=request.user, **data)
    return Status(201, {"id": figure.pk, "discrepancy_id": found.pk if found else None})


@router.get("/discrepancies", response=list[DiscrepancyOut])
def list_discrepancies(request, status: Literal["open", "resolved"] | None = None, format: Format | None = None):
    items = selectors.discrepancies_for(request.user)
    if status:
        items = items.filter(status=status)
    download = _download(format, lambda: tables.discrepancies_table(items), "discrepancies")
    return download if download is not None else items


@router.get("/discrepancies/{item_id}", response=DiscrepancyOut)
def discrepancy_detail(request, item_id: int):
    return get_object_or_404(selectors.discrepancies_for(request.user), pk=item_id)


@router.post("/discrepancies/{item_id}/resolve", response=DiscrepancyOut)
def resolve(request, item_id: int, payload: ResolveIn):
    item = get_object_or_404(selectors.discrepancies_for(request.user), pk=item_id)  # resolved twice → 400
    return crosscheck.resolve(user=request.user, discrepancy=item, value=payload.value, reason=payload.reason)
