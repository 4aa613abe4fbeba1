"""KPIs from the database: load the rows ``kpis`` needs, scope them, tabulate per district, draw monthly trends,
and feed the values to the work plan's KPI targets.

Scoping: KPIs are aggregates of records by region.  A municipal user sees the city and every district; any other
user sees only their own region subtree (``core.scoping.scope_region_paths``); a user without a region (e.g. a
department operator) has no KPI scope and gets ``PermissionDenied``.

Linking to the plan (``refresh_kpi_targets``): for each ``KpiLink`` of the plan the KPI is computed city-wide
year-to-date and recorded as **one system ``ProgressReport`` per target per day** (created or updated; narrative
"由统计数据自动计算", reporting unit = the task's lead unit, else 市应急管理局, ``created_by`` empty).  Then
``workplans.services.refresh_target_status`` re-evaluates the target with ``workplans.status.evaluate``, so the
status follows exactly the same pace rule as a manual report and the report history shows where the value came
from.  ``submit_progress_report`` is not used: it would add a new report on every run and checks a human user's
rights.  For the decrease target (row 4) the baseline (last year's full-year deaths) is filled from the records
when the target has none; a baseline entered by hand is kept.
"""

import datetime as dt
from collections import defaultdict

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from citysafe.core.audit import acting_as
from citysafe.core.models import Organization, Region, RegionLevel
from citysafe.core.roles import is_municipal
from citysafe.core.scoping import scope_region_paths
from citysafe.records.models import AccidentRecord, DisasterEvent, DisasterReport, RegionFigure
from citysafe.workplans.errors import PermissionDenied, WorkplanError
from citysafe.workplans.models import ProgressReport, Target, TargetStatus, TaskKind, WorkPlan
from citysafe.workplans.services import refresh_target_status

from . import kpis
from .models import KpiLink

CITY_ADCODE = "500000"
AUTO_NARRATIVE = "由统计数据自动计算"  # stored text, the marker of system reports: not translated
FALLBACK_UNIT = "市应急管理局"
# First match wins; "生产安全事故亡人数" is last because the other death counts also contain "亡人数".
METRIC_KEYWORDS = [
    ("重特大", "serious_accidents"), ("群死群伤", "mass_casualty_events"), ("较大事故", "large_accidents"),
    ("灾害点", "monitored_point_deaths"), ("受害率", "forest_fire_rate"), ("次生衍生", "secondary_deaths"),
    ("停电", "blackouts"), ("困人", "elevator_entrapment_rate"), ("事故亡人数", "accident_deaths"),
    ("事故死亡", "accident_deaths"),
]


# --- scope -----------------------------------------------------------------------------------------------------

def city_region() -> Region | None:
    return Region.objects.filter(adcode=CITY_ADCODE).first()


def _city_department(user) -> bool:
    """A municipal department's operator (no region of their own): sees the city-wide aggregates, no personal data."""
    from citysafe.core.roles import DEPARTMENT_OPERATOR, user_roles

    return DEPARTMENT_OPERATOR in user_roles(user)


def resolve_scope(user, adcode: str | None = None) -> tuple[str | None, str]:
    """The region path prefix and its name for ``user`` asking about ``adcode`` (None = the user's whole scope).

    Raises ``PermissionDenied`` for a user without a region scope, ``WorkplanError`` for an unknown code; a
    region outside the user's scope is answered as unknown so its existence does not leak.
    """
    paths = scope_region_paths(user)
    if paths is not None and not paths and _city_department(user):
        paths = None  # municipal departments answer for the city-wide KPIs (annex 一: 市安委会各成员单位)
    if paths is not None and not paths:
        raise PermissionDenied(_("您没有可查看统计指标的辖区"))
    if adcode:
        region = Region.objects.filter(adcode=str(adcode)[:12]).order_by("-valid_from").first()
        if region is None or (paths is not None and not any(region.path.startswith(p) for p in paths)):
            raise WorkplanError(_("未找到该区划"))
        return (None if region.adcode == CITY_ADCODE else region.path), region.name
    if paths is None:
        return None, _("全市")
    region = Region.objects.filter(path=paths[0]).first()
    if region is not None and region.adcode == CITY_ADCODE:
        return None, region.name
    return paths[0], region.name if region else ""


# --- loading rows ----------------------------------------------------------------------------------------------

def load_data(start: dt.date, end: dt.date, scope: str | None = None) -> kpis.Data:
    """Rows from ``start`` to ``end`` (inclusive) in the scope, shaped for ``kpis``."""
    acc = AccidentRecord.objects.filter(occurred_on__range=(start, end))
    if scope:
        acc = acc.filter(region__path__startswith=scope)
    accidents = [dict(r, region_path=r.pop("region__path") or "") for r in acc.values(
        "category", "occurred_on", "grade", "deaths", "missing", "is_secondary", "burned_forest_ha", "region__path")]
    # withdrawn events (records.services.withdraw_event) never count
    reps = DisasterReport.objects.filter(event__start_date__range=(start, end)).exclude(event__status="withdrawn")
    if scope:
        reps = reps.filter(region__path__startswith=scope)
    reports = [dict(r, region_path=r.pop("region__path"), event_start=r.pop("event__start_date")) for r in reps.values(
        "event_id", "region_id", "region__path", "stage", "reported_at", "event__start_date",
        "deaths_at_monitored_points")]
    paths = defaultdict(set)
    for event_id, path in DisasterReport.objects.filter(event__start_date__range=(start, end)).exclude(
            event__status="withdrawn").values_list(
            "event_id", "region__path"):
        paths[event_id].add(path)
    events = [dict(e, region_paths=sorted(paths[e["id"]])) for e in DisasterEvent.objects.filter(
        start_date__range=(start, end)).exclude(status="withdrawn").values("id", "start_date", "is_mass_casualty_responsibility")]
    figures = [dict(f, region_path=f.pop("region__path")) for f in RegionFigure.objects.filter(
        year__range=(start.year, end.year), metric__in=["forest_area_ha", "elevators_in_service"]).values(
        "region__path", "year", "metric", "value")]
    city = city_region()
    return kpis.Data(accidents, events, reports, figures, city.path if city else None)


def _window(as_of: dt.date) -> tuple[dt.date, dt.date]:
    """From 1 January of last year to ``as_of``: enough for YTD and the same period last year."""
    return dt.date(as_of.year - 1, 1, 1), as_of


def kpi_table(as_of: dt.date, scope: str | None = None) -> list[kpis.KpiValue]:
    """Every KPI YTD on ``as_of`` with the same period last year, for the scope."""
    return kpis.compute_all(load_data(*_window(as_of), scope=scope), as_of, scope)


def districts_in(scope: str | None):
    """Districts (and functional zones) currently valid below the scope."""
    qs = Region.objects.filter(level__in=[RegionLevel.DISTRICT, RegionLevel.ZONE], valid_to__isnull=True)
    if scope:
        qs = qs.filter(path__startswith=scope)
    return qs.order_by("adcode")


def district_table(as_of: dt.date, scope: str | None = None, codes: list[str] | None = None) -> list[dict]:
    """Per district: adcode, name and the YTD value of each KPI (``codes``, default all)."""
    data = load_data(*_window(as_of), scope=scope)
    period = kpis.year_to_date(as_of)
    codes = codes or [c for c, _ in kpis.KPI_CHOICES]
    rows = []
    for region in districts_in(scope):
        values = {c: kpis.compute(c, data, period, region.path) for c in codes}
        rows.append({"adcode": region.adcode, "name": region.name, "values": values})
    return rows


def monthly_trend(as_of: dt.date, scope: str | None = None) -> dict:
    """Accidents (category accident, count) and deaths (+ missing) per month, this year up to ``as_of`` and the
    whole of last year: ``{"months": [1..12], "accidents": {"this": [...], "last": [...]}, "deaths": {...}}``;
    months after ``as_of`` this year are None."""
    data = load_data(*_window(as_of), scope=scope)
    out = {"months": list(range(1, 13)), "accidents": {"this": [], "last": []}, "deaths": {"this": [], "last": []}}
    for year, key in ((as_of.year, "this"), (as_of.year - 1, "last")):
        for month in range(1, 13):
            start = dt.date(year, month, 1)
            if key == "this" and start > as_of:
                out["accidents"][key].append(None)
                out["deaths"][key].append(None)
                continue
            end = (dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1))
            period = kpis.Period(start, min(end, as_of))
            out["accidents"][key].append(kpis.accident_count(data.accidents, period, scope))
            out["deaths"][key].append(kpis.accident_deaths(data.accidents, period, scope))
    return out


# --- link to the work plan -------------------------------------------------------------------------------------

def kpi_code_for(metric: str) -> str | None:
    """The KPI code whose keyword appears in a target's metric text, or None."""
    for keyword, code in METRIC_KEYWORDS:
        if keyword in (metric or ""):
            return code
    return None


@transaction.atomic
def link_plan_kpis(plan: WorkPlan, user=None) -> list[KpiLink]:
    """Create a ``KpiLink`` for every target of the plan's KPI tasks whose metric matches a KPI; existing links
    (possibly edited in admin) are kept.  Returns the plan's links."""
    with acting_as(user):
        for target in Target.objects.filter(task__plan=plan, task__kind=TaskKind.KPI).select_related("task"):
            code = kpi_code_for(target.metric) or kpi_code_for(target.task.title)
            if code and not KpiLink.objects.filter(target=target).exists():
                KpiLink.objects.create(target=target, kpi_code=code)
    return list(KpiLink.objects.filter(target__task__plan=plan).select_related("target__task__plan"))


def _reporting_unit(target: Target) -> Organization | None:
    return target.task.lead_unit or Organization.objects.filter(name=FALLBACK_UNIT).first()


@transaction.atomic
def refresh_kpi_targets(plan: WorkPlan, today: dt.date | None = None, user=None) -> list[dict]:
    """Compute every active linked KPI city-wide YTD on ``today`` (default: today, capped at the plan year's end)
    and record it against its target (see the module docstring).  Returns one dict per link: code, target code,
    value, status."""
    today = today or timezone.localdate()
    as_of = min(today, dt.date(plan.year, 12, 31))
    if as_of.year != plan.year:
        raise WorkplanError(_("计算日期应在计划年度内"))
    data = load_data(*_window(as_of))
    period = kpis.year_to_date(as_of)
    done = []
    with acting_as(user):
        for link in KpiLink.objects.filter(target__task__plan=plan, is_active=True).select_related("target__task"):
            target = link.target
            value = kpis.compute(link.kpi_code, data, period)
            if link.kpi_code == "accident_deaths" and target.baseline is None:
                full_last_year = kpis.Period(dt.date(plan.year - 1, 1, 1), dt.date(plan.year - 1, 12, 31))
                target.baseline = float(kpis.accident_deaths(data.accidents, full_last_year))
                target.save(update_fields=["baseline"])
            unit = _reporting_unit(target)
            if value is not None and unit is not None:
                report = ProgressReport.objects.filter(target=target, as_of=as_of, created_by=None,
                                                       narrative=AUTO_NARRATIVE).first()
                if report is None:
                    ProgressReport.objects.create(target=target, reporting_unit=unit, as_of=as_of, value=value,
                                                  narrative=AUTO_NARRATIVE)
                elif report.value != value or report.reporting_unit_id != unit.pk:
                    report.value, report.reporting_unit = value, unit
                    report.save(update_fields=["value", "reporting_unit"])
            refresh_target_status(target, as_of)
            link.last_value, link.last_computed_on = value, as_of
            link.save(update_fields=["last_value", "last_computed_on"])
            done.append({"kpi": link.kpi_code, "target": target.code, "value": value, "status": target.status})
    return done


def refresh_current_plans(today: dt.date | None = None) -> int:
    """``refresh_kpi_targets`` for every current plan of today's year, and in January also for last year's
    current plans as of 31 December (December records and January 核报 still reach last year's targets);
    returns the number of targets refreshed."""
    today = today or timezone.localdate()
    count = 0
    if today.month == 1:
        for plan in WorkPlan.objects.filter(is_current=True, year=today.year - 1):
            count += len(refresh_kpi_targets(plan, dt.date(today.year - 1, 12, 31)))
    for plan in WorkPlan.objects.filter(is_current=True, year=today.year):
        count += len(refresh_kpi_targets(plan, today))
    return count


def user_can_see_all(user) -> bool:
    return is_municipal(user)


# --- tiles: values with the linked target and a status for the scope -----------------------------------------

def parse_as_of(text: str | None) -> dt.date:
    """``YYYY-MM-DD`` (default today).  Raises ``WorkplanError`` for a malformed or implausible date."""
    if not text:
        return timezone.localdate()
    try:
        day = dt.date.fromisoformat(str(text)[:10])
    except ValueError as exc:
        raise WorkplanError(_("日期格式应为 YYYY-MM-DD")) from exc
    if not 2000 <= day.year <= 2100:
        raise WorkplanError(_("日期超出范围(2000—2100 年)"))
    return day


def current_links(year: int) -> dict[str, KpiLink]:
    """The active links of the current plan of ``year`` by KPI code."""
    links = KpiLink.objects.filter(target__task__plan__is_current=True, target__task__plan__year=year,
                                   is_active=True).select_related("target__task__plan")
    return {link.kpi_code: link for link in links}


def _status_for(target: Target, value: float | None, baseline: float | None, as_of: dt.date) -> tuple[str, str]:
    """The target's pace rule applied to this scope's value (the district's own figure against the city target)."""
    from django.conf import settings

    from citysafe.workplans import status as status_rule

    spec = status_rule.TargetSpec(target.comparator, target.value, target.unit, target.effective_deadline,
                                  dt.date(target.task.plan.year, 1, 1), baseline)
    return status_rule.evaluate(spec, value, as_of, settings.CITYSAFE_AT_RISK_RATIO,
                                getattr(settings, "CITYSAFE_OFF_TRACK_RATIO", 0.5))


RATE_AT_RISK_SHARE = 0.8  # project default, configurable (settings.CITYSAFE_RATE_AT_RISK_SHARE)
RATE_CAPS = {"forest_fire_rate"}  # rate caps (not counts): at risk from this share of the cap on
REFERENCE_KPIS = {"elevator_entrapment_rate"}  # shown, but not an annex-一 KPI


def _rate_at_risk(code: str, target: Target, value: float | None, status: str) -> tuple[str, str] | None:
    """A rate under a cap ("0.3‰以内") is at risk once it reaches ``RATE_AT_RISK_SHARE`` of the cap."""
    from django.conf import settings

    share = float(getattr(settings, "CITYSAFE_RATE_AT_RISK_SHARE", RATE_AT_RISK_SHARE))
    if (code in RATE_CAPS and value is not None and status in (TargetStatus.ON_TRACK, TargetStatus.ACHIEVED)
            and target.comparator in ("<=", "<") and target.value > 0 and value >= share * target.value - 1e-12):
        return TargetStatus.AT_RISK, f"当前 {value:g} 已达上限 {target.value:g} 的 {share:.0%}"
    return None


def kpi_status(code: str, target: Target, value: float | None, baseline: float | None,
               as_of: dt.date) -> tuple[str, str]:
    """The target's rule applied to ``value`` (plus the rate-cap at-risk rule)."""
    status, reason = _status_for(target, value, baseline, as_of)
    return _rate_at_risk(code, target, value, status) or (status, reason)


def district_kpi_statuses(as_of: dt.date, paths: list[str]) -> dict[str, list[tuple[str, str]]]:
    """{district path: [(kpi code, status)]} of the KPIs linked to the current plan of ``as_of``'s year, each
    judged by the district's own YTD figure (row 4: against the district's own last-year deaths)."""
    links = current_links(as_of.year)
    if not links or not paths:
        return {}
    data = load_data(*_window(as_of))
    period = kpis.year_to_date(as_of)
    full = kpis.Period(dt.date(as_of.year - 1, 1, 1), dt.date(as_of.year - 1, 12, 31))
    result = {}
    for path in paths:
        rows = []
        for code, link in links.items():
            if code in REFERENCE_KPIS:
                continue
            baseline = link.target.baseline
            if code == "accident_deaths":
                baseline = float(kpis.accident_deaths(data.accidents, full, path))
            rows.append((code, kpi_status(code, link.target, kpis.compute(code, data, period, path), baseline,
                                          as_of)[0]))
        result[path] = rows
    return result


def tiles(as_of: dt.date, scope: str | None = None) -> list[dict]:
    """One dict per KPI: code, name, value, unit, previous, change_pct, note, target (text or ""), target_id,
    status, status_reason.  City-wide the baseline of row 4 is the target's; in a district it is the district's
    own last-year deaths."""
    data = load_data(*_window(as_of), scope=scope)
    links = current_links(as_of.year)
    rows = []
    for kv in kpis.compute_all(data, as_of, scope):
        row = {"code": kv.code, "name": kv.name, "value": kv.value, "unit": kv.unit, "previous": kv.previous,
               "change_pct": kv.change_pct, "note": kv.note, "target": "", "target_id": None,
               "status": "", "status_reason": "", "status_label": "", "scope_note": "",
               "reference": kv.code in REFERENCE_KPIS,
               "reference_label": _("参考指标（非附件一考核指标）") if kv.code in REFERENCE_KPIS else ""}
        link = links.get(kv.code)
        if link is not None:
            target = link.target
            baseline = target.baseline
            if kv.code == "accident_deaths" and (scope is not None or baseline is None):
                full = kpis.Period(dt.date(as_of.year - 1, 1, 1), dt.date(as_of.year - 1, 12, 31))
                baseline = float(kpis.accident_deaths(data.accidents, full, scope))
            status, reason = kpi_status(kv.code, target, kv.value, baseline, as_of)
            row.update(target=target.describe(), target_id=target.pk, status=status, status_reason=reason,
                       status_label=str(dict(TargetStatus.choices).get(status, "")))
            if scope is not None:
                row["scope_note"] = _("本区县数值对照全市目标，仅供参考。")
        rows.append(row)
    return rows


TABLE_HEADERS = [gettext_lazy("指标代码"), gettext_lazy("指标"), gettext_lazy("本年累计"), gettext_lazy("上年同期"),
                 gettext_lazy("同比(%)"), gettext_lazy("单位"), gettext_lazy("目标"), gettext_lazy("状态"), gettext_lazy("说明")]


def table_rows(rows: list[dict]) -> list[list]:
    """``tiles`` rows as plain export rows (``TABLE_HEADERS``)."""
    labels = dict(TargetStatus.choices)
    return [[r["code"], r["name"], r["value"], r["previous"],
             None if r["change_pct"] is None else round(r["change_pct"], 1), r["unit"], r["target"],
             str(labels.get(r["status"], "")), r["status_reason"] or r["note"]] for r in rows]


UNASSIGNED_NAME = "未定区县"


def district_counts(as_of: dt.date, scope: str | None = None) -> list[dict]:
    """Per district in the scope: adcode, name, accidents and deaths (+ missing) year-to-date (for the map).

    City-wide, records without a district (no region, or a region above the districts) are one more row
    "未定区县" (adcode ""), so the rows add up to the city totals; it is not on the map."""
    data = load_data(kpis.year_to_date(as_of).start, as_of, scope=scope)
    period = kpis.year_to_date(as_of)
    regions = list(districts_in(scope))
    rows = [{"adcode": r.adcode, "name": r.name, "accidents": kpis.accident_count(data.accidents, period, r.path),
             "deaths": kpis.accident_deaths(data.accidents, period, r.path)} for r in regions]
    if scope is None:
        paths = tuple(r.path for r in regions)
        loose = [a for a in data.accidents if not (a.get("region_path") or "").startswith(paths)]
        rows.append({"adcode": "", "name": UNASSIGNED_NAME, "unassigned": True,
                     "accidents": kpis.accident_count(loose, period), "deaths": kpis.accident_deaths(loose, period)})
    return rows


def selectable_regions(user) -> list[Region]:
    """Districts the user may pick on the dashboard (empty for a district user: they see only their own)."""
    if not is_municipal(user):
        return []
    return list(districts_in(None))
