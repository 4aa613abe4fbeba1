"""``/api/v1/evaluation``: KPIs (this module) and scorecards/reports (``api_scorecard``, added when present)."""

from ninja import Router

from . import kpi_services

router = Router(tags=["evaluation"])


@router.get("/kpis")
def kpis(request, as_of: str | None = None, region: str | None = None):
    """Every KPI year-to-date on ``as_of`` (default today) with the same period last year, the linked target and
    its status for the scope (``region`` adcode, default the user's scope)."""
    day = kpi_services.parse_as_of(as_of)
    scope, name = kpi_services.resolve_scope(request.user, region)
    return {"as_of": day.isoformat(), "region": region or "", "scope": name, "kpis": kpi_services.tiles(day, scope)}


@router.get("/kpis/trend")
def kpi_trend(request, as_of: str | None = None, region: str | None = None):
    """Accidents and deaths per month, this year to ``as_of`` and all of last year."""
    day = kpi_services.parse_as_of(as_of)
    scope, name = kpi_services.resolve_scope(request.user, region)
    return {"as_of": day.isoformat(), "scope": name, **kpi_services.monthly_trend(day, scope)}


@router.get("/kpis/districts")
def kpi_districts(request, as_of: str | None = None, region: str | None = None):
    """Accidents and deaths year-to-date per district in the scope."""
    day = kpi_services.parse_as_of(as_of)
    scope, name = kpi_services.resolve_scope(request.user, region)
    return {"as_of": day.isoformat(), "scope": name, "districts": kpi_services.district_counts(day, scope)}


try:
    from .api_scorecard import router as scorecard_router
except ImportError:
    scorecard_router = None
if scorecard_router is not None:
    router.add_router("", scorecard_router)
