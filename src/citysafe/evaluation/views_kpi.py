"""KPI pages: the dashboard ``/evaluation/`` and the KPI table export.  Thin: everything is in ``kpi_services``."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as HttpForbidden
from django.http import HttpResponseBadRequest
from django.shortcuts import render
from django.utils.translation import gettext as _

from citysafe.core.exports import table_response
from citysafe.workplans.errors import PermissionDenied, WorkplanError

from . import kpi_services

STATUS_COLOURS = {"achieved": "success", "on_track": "success", "at_risk": "warning", "off_track": "danger",
                  "overdue": "danger", "no_data": "secondary", "": "light"}
MAP_METRICS = {"deaths": "accident_deaths", "accidents": "accident_count"}


def _scope(request):
    """(as_of, scope path, scope name) from ?as_of=&region=; domain errors become 400/403."""
    as_of = kpi_services.parse_as_of(request.GET.get("as_of"))
    scope, name = kpi_services.resolve_scope(request.user, request.GET.get("region") or None)
    return as_of, scope, name


def _guarded(view):
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except PermissionDenied as exc:
            raise HttpForbidden(str(exc)) from exc
        except WorkplanError as exc:
            return HttpResponseBadRequest(str(exc), content_type="text/plain; charset=utf-8")
    wrapper.__name__, wrapper.__doc__ = view.__name__, view.__doc__
    return wrapper


@login_required
@_guarded
def dashboard(request):
    """KPI tiles, monthly trends this year vs last, and a district choropleth of deaths or accidents."""
    as_of, scope, name = _scope(request)
    metric = request.GET.get("map") if request.GET.get("map") in MAP_METRICS else "deaths"
    tiles = kpi_services.tiles(as_of, scope)
    for tile in tiles:
        tile["colour"] = STATUS_COLOURS.get(tile["status"], "secondary")
    districts = kpi_services.district_counts(as_of, scope)
    choropleth = {d["name"]: d[metric] for d in districts if not d.get("unassigned")}
    return render(request, "evaluation/dashboard.html", {
        "as_of": as_of, "scope_name": name, "region": request.GET.get("region", ""), "tiles": tiles,
        "trend": kpi_services.monthly_trend(as_of, scope), "choropleth": choropleth, "districts": districts,
        "map_metric": metric, "regions": kpi_services.selectable_regions(request.user)})


@login_required
@_guarded
def kpi_export(request):
    """The KPI table (?as_of=&region=&fmt=csv|xlsx) through ``core.exports``."""
    as_of, scope, _name = _scope(request)
    try:
        return table_response(kpi_services.TABLE_HEADERS, kpi_services.table_rows(kpi_services.tiles(as_of, scope)),
                              f"kpis-{as_of.isoformat()}", request.GET.get("fmt", "csv"))
    except ValueError:
        return HttpResponseBadRequest(_("导出格式应为 csv 或 xlsx"), content_type="text/plain; charset=utf-8")


@login_required
@_guarded
def district_export(request):
    """Accidents and deaths YTD per district (?as_of=&region=&fmt=)."""
    as_of, scope, _name = _scope(request)
    rows = [[d["adcode"], d["name"], d["accidents"], d["deaths"]] for d in kpi_services.district_counts(as_of, scope)]
    try:
        return table_response([_("区划代码"), _("区县"), _("事故起数"), _("亡人数")], rows, f"kpi-districts-{as_of.isoformat()}",
                              request.GET.get("fmt", "csv"))
    except ValueError:
        return HttpResponseBadRequest(_("导出格式应为 csv 或 xlsx"), content_type="text/plain; charset=utf-8")
