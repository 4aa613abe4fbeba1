"""The annex-一 KPIs computed from the records: pure functions over plain rows, no database access.

Inputs (lists of dicts, e.g. ``queryset.values(...)`` with the region path added, see ``kpi_services``):

* accident rows: ``category``, ``occurred_on`` (date), ``grade``, ``deaths``, ``missing``, ``is_secondary``,
  ``burned_forest_ha`` (ha or None), ``region_path`` ("500000/500103/" or "" when the record has no region);
* disaster event rows: ``id``, ``start_date``, ``is_mass_casualty_responsibility``, ``region_paths`` (paths of the
  regions that reported on the event);
* disaster report rows: ``event_id``, ``region_id``, ``region_path``, ``stage``, ``reported_at``,
  ``event_start`` (date), ``deaths_at_monitored_points``;
* region figure rows: ``region_path``, ``year``, ``metric``, ``value``.

A *scope* is a region path prefix ("500000/500103/" = 渝中区) or ``None`` for city-wide; a row counts in a scope when
its region path starts with the prefix (city-wide also counts rows without a region).  A *period* is an inclusive
date range; ``year_to_date`` ends on the chosen day and ``same_period_last_year`` is the same dates one year
earlier (29 February becomes 28 February).

Counted deaths of production-safety accidents are **deaths + missing** (死亡(含失踪)), the convention of the
生产安全事故统计调查制度 and of the grading in 国务院令第493号第三条 ("死亡(含失踪)"); project reading, UNCONFIRMED
for the KPI table (standards-safety.md §0.1 gives no definition).
"""

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

KPI_CHOICES = [
    ("serious_accidents", _("重特大生产安全事故起数")),
    ("mass_casualty_events", _("因灾群死群伤责任事件起数")),
    ("large_accidents", _("生产安全较大事故起数")),
    ("accident_deaths", _("生产安全事故亡人数")),
    ("monitored_point_deaths", _("已落实监测措施的灾害点亡人数")),
    ("forest_fire_rate", _("森林火灾受害率")),
    ("secondary_deaths", _("次生衍生责任事故亡人数")),
    ("blackouts", _("大面积停电事件起数")),
    ("elevator_entrapment_rate", _("电梯故障困人率")),
]
KPI_NAMES = dict(KPI_CHOICES)
SERIOUS_GRADES = {"major", "especially_major"}
STAGE_RANK = {"initial": 0, "follow_up": 1, "final": 2}
DECREASE_TARGET_PCT = 5.0  # seed annex 一 row 4 "下降5%以上"; standards-safety.md §0.1 (2025 table CONFIRMED)


@dataclass(frozen=True)
class Period:
    """Inclusive date range."""

    start: dt.date
    end: dt.date

    def __contains__(self, day: dt.date) -> bool:
        return day is not None and self.start <= day <= self.end


def year_to_date(as_of: dt.date) -> Period:
    """1 January of ``as_of``'s year to ``as_of``."""
    return Period(dt.date(as_of.year, 1, 1), as_of)


def _year_earlier(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def same_period_last_year(period: Period) -> Period:
    """The same dates one year earlier."""
    return Period(_year_earlier(period.start), _year_earlier(period.end))


def in_scope(path: str | None, scope: str | None) -> bool:
    """City-wide (scope None) counts everything; a district scope only rows in its region subtree."""
    return scope is None or bool(path) and path.startswith(scope)


@dataclass
class KpiValue:
    """One KPI for a period and scope.  ``value`` None means "no value" (missing denominator), never 0."""

    code: str
    value: float | None
    unit: str
    previous: float | None = None  # same period last year
    change_pct: float | None = None  # (value - previous) / previous × 100; None when previous is 0 or missing
    note: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        return str(KPI_NAMES[self.code])


def _accidents(rows: Iterable[dict], period: Period, scope: str | None,
               keep: Callable[[dict], bool]) -> list[dict]:
    return [r for r in rows if r["occurred_on"] in period and in_scope(r.get("region_path"), scope) and keep(r)]


def _dead(row: dict) -> int:
    return int(row.get("deaths") or 0) + int(row.get("missing") or 0)


def serious_accidents(rows, period: Period, scope: str | None = None) -> int:
    """重特大生产安全事故起数: production-safety accidents (category ``accident``) of grade ``major`` or
    ``especially_major`` (国务院令第493号第三条) that occurred in the period.  Seed annex 一 row 1, target 0."""
    return len(_accidents(rows, period, scope,
                          lambda r: r["category"] == "accident" and r.get("grade") in SERIOUS_GRADES))


def large_accidents(rows, period: Period, scope: str | None = None) -> int:
    """生产安全较大事故起数: accidents of grade ``large`` (较大, 国务院令第493号第三条) in the period.
    Seed annex 一 row 3, target "10起以内" (inclusive, standards-safety.md §0.1 UNCONFIRMED reading)."""
    return len(_accidents(rows, period, scope, lambda r: r["category"] == "accident" and r.get("grade") == "large"))


def accident_count(rows, period: Period, scope: str | None = None) -> int:
    """Production-safety accidents (category ``accident``, any grade) in the period; for the trend charts."""
    return len(_accidents(rows, period, scope, lambda r: r["category"] == "accident"))


def accident_deaths(rows, period: Period, scope: str | None = None) -> int:
    """生产安全事故亡人数 in the period: deaths + missing of category-``accident`` records (see module docstring).
    Seed annex 一 row 4."""
    return sum(_dead(r) for r in _accidents(rows, period, scope, lambda r: r["category"] == "accident"))


def change_pct(current: float, previous: float | None) -> float | None:
    """Year-on-year change in % ((current − previous) / previous × 100); None when previous is 0 or unknown
    (a zero baseline has no percentage)."""
    if previous is None or previous == 0:
        return None
    return (current - previous) / previous * 100


def deaths_decrease_met(current: float, previous: float, target_pct: float = DECREASE_TARGET_PCT) -> bool:
    """Seed annex 一 row 4 "下降5%以上": met when the change is a decrease of at least ``target_pct`` %.

    **Zero baseline**: last year 0 → the change is undefined; the target is met only when this year is 0 too
    (project rule, the same as ``workplans.status`` for decrease targets; no source fixes it)."""
    if previous == 0:
        return current == 0
    return (current - previous) / previous * 100 <= -target_pct + 1e-9


def secondary_deaths(rows, period: Period, scope: str | None = None) -> int:
    """次生衍生责任事故亡人数: deaths + missing of records flagged ``is_secondary`` (any category) in the period.
    Seed annex 一 row 7, target 0."""
    return sum(_dead(r) for r in _accidents(rows, period, scope, lambda r: bool(r.get("is_secondary"))))


def blackouts(rows, period: Period, scope: str | None = None) -> int:
    """大面积停电事件起数: records of category ``blackout`` in the period.  Seed annex 一 row 8, target 0."""
    return len(_accidents(rows, period, scope, lambda r: r["category"] == "blackout"))


def mass_casualty_events(events, period: Period, scope: str | None = None) -> int:
    """因灾群死群伤责任事件: disaster events flagged ``is_mass_casualty_responsibility`` (经调查认定) that started in
    the period; in a district scope, events on which the district reported.  Seed annex 一 row 2, target 0."""
    return sum(1 for e in events if e["is_mass_casualty_responsibility"] and e["start_date"] in period
               and (scope is None or any(in_scope(p, scope) for p in e.get("region_paths") or [])))


def latest_versions(reports: Iterable[dict]) -> list[dict]:
    """The latest version of each (event, region): the highest stage (核报 > 续报 > 初报), then the latest
    ``reported_at`` (自然灾害情况统计调查制度, standards-safety.md §2.1: later versions replace earlier ones)."""
    best: dict[tuple, dict] = {}
    for r in reports:
        key = (r["event_id"], r["region_id"])
        rank = (STAGE_RANK.get(r["stage"], -1), r["reported_at"])
        if key not in best or rank > (STAGE_RANK.get(best[key]["stage"], -1), best[key]["reported_at"]):
            best[key] = r
    return list(best.values())


def monitored_point_deaths(reports, period: Period, scope: str | None = None) -> int:
    """已落实监测措施的灾害点亡人数: sum of ``deaths_at_monitored_points`` of the latest report version per event
    and region, for events that started in the period.  Seed annex 一 row 5, target 0."""
    return sum(int(r["deaths_at_monitored_points"] or 0) for r in latest_versions(reports)
               if r["event_start"] in period and in_scope(r.get("region_path"), scope))


def region_figure(figures, metric: str, year: int, scope: str | None, city_path: str | None = None) -> float | None:
    """A denominator for a scope: the figure of the scope's own region if recorded, otherwise the sum over the
    regions below it that have one; None when nobody recorded it.  ``city_path`` is the city region's path, used
    as the scope's own region for city-wide."""
    rows = [f for f in figures if f["metric"] == metric and f["year"] == year]
    own = scope or city_path
    exact = [f["value"] for f in rows if own and f["region_path"] == own]
    if exact:
        return float(exact[0])
    below = [f["value"] for f in rows if in_scope(f["region_path"], scope) and f["region_path"] != own]
    return float(sum(below)) if below else None


def forest_fire_rate(rows, figures, period: Period, scope: str | None = None,
                     city_path: str | None = None) -> float | None:
    """森林火灾受害率 (‰) = burned forest area (ha, ``burned_forest_ha`` of ``forest_fire`` records in the period)
    ÷ forest area (ha, RegionFigure ``forest_area_ha`` of the period's end year) × 1000.  Seed annex 一 row 6,
    target "0.3‰以内"; formula UNCONFIRMED (standards-safety.md §0.1).  None when no forest area is recorded."""
    area = region_figure(figures, "forest_area_ha", period.end.year, scope, city_path)
    if not area:
        return None
    burned = sum(float(r.get("burned_forest_ha") or 0)
                 for r in _accidents(rows, period, scope, lambda r: r["category"] == "forest_fire"))
    return burned / area * 1000


def elevator_entrapment_rate(rows, figures, period: Period, scope: str | None = None,
                             city_path: str | None = None) -> float | None:
    """电梯故障困人率 (%) = entrapment records (category ``elevator_entrapment``) in the period ÷ elevators in service
    (RegionFigure ``elevators_in_service`` of the end year) × 100.  Target "低于0.5%" from the 2021–2023
    《安全乘梯守护行动》 (standards-safety.md §0.1: CONFIRMED for 2021–2023, in the 2026 table UNCONFIRMED; the
    denominator UNCONFIRMED).  "Where data exists": no denominator → None, not 0."""
    elevators = region_figure(figures, "elevators_in_service", period.end.year, scope, city_path)
    if not elevators:
        return None
    count = len(_accidents(rows, period, scope, lambda r: r["category"] == "elevator_entrapment"))
    return count / elevators * 100


UNITS = {"serious_accidents": "起", "mass_casualty_events": "起", "large_accidents": "起", "accident_deaths": "人",
         "monitored_point_deaths": "人", "forest_fire_rate": "‰", "secondary_deaths": "人", "blackouts": "起",
         "elevator_entrapment_rate": "%"}


@dataclass
class Data:
    """Every row the KPIs need (see the module docstring for the shapes)."""

    accidents: list = field(default_factory=list)
    events: list = field(default_factory=list)
    reports: list = field(default_factory=list)
    figures: list = field(default_factory=list)
    city_path: str | None = None


def compute(code: str, data: Data, period: Period, scope: str | None = None) -> float | None:
    """The KPI ``code`` for one period and scope.  Raises ``KeyError`` for an unknown code."""
    by_rows = {"serious_accidents": serious_accidents, "large_accidents": large_accidents,
               "accident_deaths": accident_deaths, "secondary_deaths": secondary_deaths, "blackouts": blackouts}
    if code in by_rows:
        return by_rows[code](data.accidents, period, scope)
    if code == "mass_casualty_events":
        return mass_casualty_events(data.events, period, scope)
    if code == "monitored_point_deaths":
        return monitored_point_deaths(data.reports, period, scope)
    if code == "forest_fire_rate":
        return forest_fire_rate(data.accidents, data.figures, period, scope, data.city_path)
    if code == "elevator_entrapment_rate":
        return elevator_entrapment_rate(data.accidents, data.figures, period, scope, data.city_path)
    raise KeyError(code)


def compute_all(data: Data, as_of: dt.date, scope: str | None = None) -> list[KpiValue]:
    """Every KPI year-to-date on ``as_of`` with the same period last year and the change in %."""
    period = year_to_date(as_of)
    last = same_period_last_year(period)
    result = []
    for code, _name in KPI_CHOICES:
        value, previous = compute(code, data, period, scope), compute(code, data, last, scope)
        kv = KpiValue(code, value, UNITS[code], previous,
                      change_pct(value, previous) if value is not None else None)
        if code == "accident_deaths":
            kv.extra["decrease_met"] = deaths_decrease_met(value, previous)
            kv.note = str(_("死亡含失踪;上年同期为0时无法计算降幅,本年为0视为达标"))
        if value is None:
            kv.note = str(_("缺少基础数据(分母),不计算"))
        result.append(kv)
    return result
