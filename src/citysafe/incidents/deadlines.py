"""Reporting deadlines of an incident, computed from the reports on file: pure functions, no ORM (labels translated).

Accidents (《生产安全事故报告和调查处理条例》, 国务院令第493号):

* 第九条: the unit reports to the county-level authorities **within 1 hour**.  The unit head is told "immediately",
  so the platform counts the hour from the occurrence time (project reading).
* 第十一条: government departments report up **≤ 2 hours per level**; each level's clock starts when the level
  below reported (or, while it has not, at its own due time).
* 第十条: how far up: 一般 → 设区的市, 较大 → 省级, 重大/特别重大 → 国务院.
* 第十三条: casualty changes are reported (补报) within **30 days** of the accident date, **7 days** for road
  traffic and fire accidents.
* 续报 frequency: ≥1 a day; ≥2 a day for 重大/特别重大 (21号令 regime, SECONDARY [S1h]) until the final report.

Natural disasters (《自然灾害情况统计调查制度》, §2.1): the county reports to the city **within 2 hours** (初报,
CONFIRMED [S3d]); 续报 daily (project default, national wording UNCONFIRMED).

A deadline met exactly at its due time is on time ("以内" includes the bound).

After the final report (终报) nothing more is chased (no report but 补报 can follow it, so nothing could clear an
overdue flag): a deadline not met and still open when the final report was filed becomes ``not_required``
(不再需要); one already past due without a report becomes ``missed`` (未报, shown but no longer counted as overdue).
Only 补报 (kind "supplementary", casualty changes within the Art. 13 window) may follow a final report.
"""

import datetime as dt
from dataclasses import dataclass, replace

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .grading import ESPECIALLY_MAJOR, LEVEL_ORDER, MAJOR, REPORT_LEVEL

HOUR = dt.timedelta(hours=1)
COUNTY_LIMIT = HOUR                       # 493 Art. 9
PER_LEVEL_LIMIT = 2 * HOUR                # 493 Art. 11
DISASTER_INITIAL_LIMIT = 2 * HOUR         # 自然灾害情况统计调查制度 初报
SUPPLEMENT_DAYS = 30                      # 493 Art. 13
SUPPLEMENT_DAYS_ROAD_FIRE = 7             # 493 Art. 13
ROAD_FIRE_INDUSTRIES = {"road_traffic", "fire"}

LEVEL_LABELS = {"county": gettext_lazy("县级"), "city": gettext_lazy("设区的市级"), "province": gettext_lazy("省级"),
                "state": gettext_lazy("国务院")}

# Statuses: met (on time), late (met after the due time), pending (not met, not yet due), overdue (not met, past due)
# After the final report (终报): not_required (was still open), missed (was already overdue, never met).
MET, LATE, PENDING, OVERDUE = "met", "late", "pending", "overdue"
NOT_REQUIRED, MISSED = "not_required", "missed"


@dataclass(frozen=True)
class ReportStamp:
    """One report on file: when, to which government level ("county".."state") and its kind
    ("first", "follow_up", "final", "supplementary")."""

    at: dt.datetime
    level: str = "county"
    kind: str = "follow_up"


@dataclass(frozen=True)
class Deadline:
    key: str            # "report_county", "report_city", ..., "follow_up", "supplement_window"
    label: str
    due: dt.datetime
    met_at: dt.datetime | None
    status: str
    basis: str          # the article it comes from

    @property
    def is_overdue(self) -> bool:
        return self.status == OVERDUE


def _status(due: dt.datetime, met_at: dt.datetime | None, now: dt.datetime) -> str:
    if met_at is not None:
        return MET if met_at <= due else LATE
    return OVERDUE if now > due else PENDING


def _first_at_or_above(reports: list[ReportStamp], level: str) -> dt.datetime | None:
    rank = LEVEL_ORDER.index(level)
    times = [r.at for r in reports if LEVEL_ORDER.index(r.level) >= rank]
    return min(times) if times else None


def escalation_deadlines(occurred_at: dt.datetime, grade: str, reports: list[ReportStamp],
                         now: dt.datetime) -> list[Deadline]:
    """Accident reporting chain: county within 1 h of occurrence, then ≤ 2 h per level up to the level the grade
    requires (493 Art. 9–11).  A report submitted to a higher level also satisfies the levels below it."""
    target = REPORT_LEVEL.get(grade, "city")
    due = occurred_at + COUNTY_LIMIT
    met_at = _first_at_or_above(reports, "county")
    items = [Deadline("report_county", _("报告县级"), due, met_at, _status(due, met_at, now), _("493号令第九条"))]
    for level in LEVEL_ORDER[1:LEVEL_ORDER.index(target) + 1]:
        start = met_at if met_at is not None and met_at <= due else due
        due = start + PER_LEVEL_LIMIT
        met_at = _first_at_or_above(reports, level)
        items.append(Deadline(f"report_{level}", _("报告%(level)s") % {"level": LEVEL_LABELS[level]}, due, met_at,
                              _status(due, met_at, now), _("493号令第十条、第十一条")))
    return items


def follow_up_deadline(grade: str, reports: list[ReportStamp], now: dt.datetime) -> Deadline | None:
    """Next follow-up (续报) due: 12 h after the latest report for 重大/特别重大, 24 h otherwise; None once a final
    report (终报) is on file or before any report."""
    if not reports or any(r.kind == "final" for r in reports):
        return None
    interval = 12 * HOUR if grade in {MAJOR, ESPECIALLY_MAJOR} else 24 * HOUR
    due = max(r.at for r in reports) + interval
    return Deadline("follow_up", _("续报"), due, None, _status(due, None, now), _("续报频次(21号令, 二手来源)"))


def supplement_window_end(occurred_at: dt.datetime, industry_code: str | None) -> dt.datetime:
    """End of the 补报 window (493 Art. 13): 30 days from the accident date, 7 for road traffic and fire.

    "之日起" counts from the date: the window closes at the end of the last day, in the time zone of
    ``occurred_at`` (Asia/Shanghai when it comes from Django).
    """
    days = SUPPLEMENT_DAYS_ROAD_FIRE if industry_code in ROAD_FIRE_INDUSTRIES else SUPPLEMENT_DAYS
    start_of_day = occurred_at.replace(hour=0, minute=0, second=0, microsecond=0)
    return start_of_day + dt.timedelta(days=days + 1)


def in_supplement_window(occurred_at: dt.datetime, industry_code: str | None, at: dt.datetime) -> bool:
    """True while casualty changes still count for the grade and jurisdiction (493 Art. 13)."""
    return at < supplement_window_end(occurred_at, industry_code)


def deadlines_for(kind: str, grade: str, occurred_at: dt.datetime, reports: list[ReportStamp], now: dt.datetime,
                  industry_code: str | None = None) -> list[Deadline]:
    """All deadlines of an incident of ``kind`` ("accident", "natural_disaster", "other"); "other" gets only the
    follow-up rhythm (project default)."""
    items: list[Deadline] = []
    if kind == "accident":
        items += escalation_deadlines(occurred_at, grade, reports, now)
        end = supplement_window_end(occurred_at, industry_code)
        items.append(Deadline("supplement_window", _("补报期限(伤亡变化)"), end, None,
                              "open" if now < end else "closed", _("493号令第十三条")))
    elif kind == "natural_disaster":
        due = occurred_at + DISASTER_INITIAL_LIMIT
        met_at = _first_at_or_above(reports, "city")
        items.append(Deadline("initial_report", _("初报(报地市级)"), due, met_at, _status(due, met_at, now),
                              _("自然灾害情况统计调查制度")))
    follow_up = follow_up_deadline(grade, reports, now)
    if follow_up is not None:
        items.append(follow_up)
    finals = [r.at for r in reports if r.kind == "final"]
    if finals:
        closed_at = min(finals)
        items = [replace(d, status=NOT_REQUIRED if d.due > closed_at else MISSED)
                 if d.status in (PENDING, OVERDUE) and d.met_at is None else d for d in items]
    return items


def any_overdue(deadlines: list[Deadline]) -> bool:
    return any(d.is_overdue for d in deadlines)
