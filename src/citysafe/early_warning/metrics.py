"""Metrics of the warning loop: call-and-acknowledge, response actions on time, closing with feedback, coverage.

Every function takes a period (``start``..``end``, both inclusive, as calendar days in Asia/Shanghai — the city's
official time, whatever the server's zone) and an already *scoped* warning queryset (:func:`scope_for`), reads
with a handful of queries and computes in Python.  Drafts and pending manual warnings are never counted.  Rates are
floats in 0..1, or None when the denominator is zero; durations are seconds.

Definitions (project definitions: neither the seed plan nor a standard defines them; annex 二 row 22 names the
indicator 预警信息人口覆盖率 without a formula):

* **called person** — one person in one 叫应 round of one warning (``CallAttempt`` rows that are not
  ``informational``, i.e. subscribers are excluded), counted in the period when that person was *first notified*
  in it: the earliest attempt's ``sent_at``, or its ``due_at`` when it was never sent.  A deputy (AB角) called after
  the person stayed silent is a called person of their own.
* **acknowledged** — an ``Acknowledgement`` exists for the same warning, person and round.
* **ack rate** = acknowledged / called.  **time to acknowledge** = ``ack.at`` − first notification (never below 0:
  a person may confirm in the app before the first message went out); the median is ``statistics.median``.
* **escalations** — (person, tier) pairs of those rounds whose attempts ended ``escalated`` (silent past the
  deadline; handed to the deputy or the next tier).
* **warnings** — warnings that reached the level in the period: a raised / upgraded / downgraded event at that
  level.  Rows are keyed by the warning's region and the level of the call round (an upgrade is a new round at the
  new level).
* **actions on time** — required, not cancelled ``ResponseAction`` s whose deadline falls in the period: reported
  on time (``reported_at <= deadline``), reported late, open and overdue (no report, deadline passed), open (not yet
  due).  rate = on time / (on time + late + open overdue): every action whose outcome is already decided.
* **closed with feedback** — warnings ended (cleared / cancelled / expired) in the period with ``closed_at`` set,
  over all ended in the period.
* **coverage (预警信息人口覆盖率)** — per county-level region (district / zone) of the scope with a known
  ``Region.population``: people reached / population, where people reached is

  - the whole population when a *region-wide* warning (no risk point) that was public, or delivered to at least one
    person (an attempt ``sent`` or ``acknowledged``), was raised in the period for the region or an area containing
    it (e.g. the city);
  - otherwise the ``RiskPoint.threatened_people`` of the risk points in the region whose warning was delivered to
    at least one person, plus the population (when known) of sub-regions that received a region-wide warning,
    capped at the region's population (the same people are not counted twice).

  The ratio sums over the regions with known population; regions without one are listed as ``unknown`` and left
  out (an unknown denominator cannot be guessed).  County level is the unit so that city, district and township
  populations, which contain each other, are never added together.
"""

import datetime as dt
import statistics
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.db.models import Q, QuerySet
from django.utils import timezone

from .models import (
    LEVEL_ORDER,
    Acknowledgement,
    ActionStatus,
    CallAttempt,
    CallStatus,
    EarlyWarning,
    Level,
    ResponseAction,
    WarningEvent,
    WarningStatus,
)

CITY_TZ = ZoneInfo("Asia/Shanghai")
ENDED = (WarningStatus.CLEARED, WarningStatus.CANCELLED, WarningStatus.EXPIRED)
NOT_ISSUED = (WarningStatus.DRAFT, WarningStatus.PENDING)
DELIVERED = (CallStatus.SENT, CallStatus.ACKNOWLEDGED)
LEVEL_EVENTS = ("raised", "upgraded", "downgraded")
# attempts are fetched from this long before the period: a first notification sent after its due time still counts
SEND_DELAY_MARGIN = dt.timedelta(days=1)


def period_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start 00:00, end+1 00:00) in Asia/Shanghai as aware datetimes; ``ValueError`` when end < start."""
    if end < start:
        raise ValueError("end before start")
    return (dt.datetime.combine(start, dt.time.min, tzinfo=CITY_TZ),
            dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=CITY_TZ))


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def issued(warnings: QuerySet) -> QuerySet:
    return warnings.exclude(status__in=NOT_ISSUED)


def scope_for(user) -> tuple[QuerySet, QuerySet]:
    """(warnings, county-level regions) whose figures the user may see: municipal users the city; a user with a
    profile region only that subtree (public warnings of other districts are *not* theirs to measure); others
    only warnings issued by their organisations, with no regions."""
    from citysafe.core.models import RegionLevel
    from citysafe.core.roles import is_municipal
    from citysafe.core.scoping import regions_in_scope, scope_organization_ids

    from .selectors import warnings_for

    warnings = issued(warnings_for(user))
    regions = regions_in_scope(user).filter(level__in=[RegionLevel.DISTRICT, RegionLevel.ZONE])
    if is_municipal(user):
        return warnings, regions
    profile = getattr(user, "profile", None)
    if profile is not None and profile.region_id:
        return warnings.filter(region__path__startswith=profile.region.path), regions
    return warnings.filter(issuer_id__in=scope_organization_ids(user, include_groups=False)), regions.none()


# --- call-and-acknowledge ---------------------------------------------------------------------------------------------

@dataclass
class AckRow:
    """Figures of one (region, level); ``region_id`` None = warnings without a region."""

    region_id: int | None
    region: str
    adcode: str
    level: str
    warnings: int = 0
    called: int = 0
    acknowledged: int = 0
    escalations: int = 0
    ack_seconds: list[float] = field(default_factory=list, repr=False)

    @property
    def level_label(self) -> str:
        return str(dict(Level.choices).get(self.level, self.level))

    @property
    def ack_rate(self) -> float | None:
        return _rate(self.acknowledged, self.called)

    @property
    def median_ack_s(self) -> float | None:
        return statistics.median(self.ack_seconds) if self.ack_seconds else None

    @property
    def median_ack_label(self) -> str:
        from .timeline import duration_label

        return duration_label(self.median_ack_s) if self.median_ack_s is not None else ""

    def as_dict(self) -> dict:
        return {"region_id": self.region_id, "region": self.region, "adcode": self.adcode, "level": self.level,
                "level_label": self.level_label, "warnings": self.warnings, "called": self.called,
                "acknowledged": self.acknowledged, "ack_rate": self.ack_rate, "median_ack_s": self.median_ack_s,
                "escalations": self.escalations}


def acknowledgement_rows(warnings: QuerySet, start: dt.date, end: dt.date) -> list[AckRow]:
    """Per (region, level): warnings, called persons, acknowledged, ack rate, median time to ack, escalations
    (definitions in the module docstring).  Sorted by region code, then level from red down."""
    lo, hi = period_bounds(start, end)
    warnings = issued(warnings)
    reached = set(WarningEvent.objects.filter(warning__in=warnings, kind__in=LEVEL_EVENTS, at__gte=lo, at__lt=hi)
                  .exclude(level="").values_list("warning_id", "level"))
    units: dict[tuple, dict] = {}  # (warning, round, person) -> first notification, level, escalated tiers
    for a in CallAttempt.objects.filter(warning__in=warnings, informational=False, due_at__gte=lo - SEND_DELAY_MARGIN,
                                        due_at__lt=hi).values("warning_id", "call_round", "person_id", "tier",
                                                              "level", "status", "due_at", "sent_at"):
        unit = units.setdefault((a["warning_id"], a["call_round"], a["person_id"]),
                                {"first": None, "level": a["level"], "escalated_tiers": set()})
        notified = a["sent_at"] or a["due_at"]
        if unit["first"] is None or notified < unit["first"]:
            unit["first"] = notified
        if a["status"] == CallStatus.ESCALATED:
            unit["escalated_tiers"].add(a["tier"])
    units = {key: unit for key, unit in units.items() if lo <= unit["first"] < hi}
    involved = {w for w, _level in reached} | {w for w, _r, _p in units}
    region_of = {pk: (rid, adcode or "", name or "—") for pk, rid, adcode, name in EarlyWarning.objects.filter(
        pk__in=involved).values_list("pk", "region_id", "region__adcode", "region__name")}
    rows: dict[tuple, AckRow] = {}

    def row(warning_id, level) -> AckRow:
        rid, adcode, name = region_of[warning_id]
        if (rid, level) not in rows:
            rows[(rid, level)] = AckRow(rid, name, adcode, level)
        return rows[(rid, level)]

    for warning_id, level in reached:
        row(warning_id, level).warnings += 1
    acks = {(w, r, p): at for w, r, p, at in Acknowledgement.objects.filter(
        warning_id__in={w for w, _r, _p in units}).values_list("warning_id", "call_round", "person_id", "at")}
    for (warning_id, call_round, person_id), unit in units.items():
        r = row(warning_id, unit["level"])
        r.called += 1
        r.escalations += len(unit["escalated_tiers"])
        ack_at = acks.get((warning_id, call_round, person_id))
        if ack_at is not None:
            r.acknowledged += 1
            r.ack_seconds.append(max(0.0, (ack_at - unit["first"]).total_seconds()))
    return sorted(rows.values(), key=lambda r: (r.region_id is None, r.adcode, -LEVEL_ORDER.get(r.level, 0)))


def acknowledgement_totals(rows: list[AckRow]) -> dict:
    """The rows summed: called, acknowledged, ack rate, median over every acknowledgement, escalations."""
    seconds = [s for r in rows for s in r.ack_seconds]
    called = sum(r.called for r in rows)
    acknowledged = sum(r.acknowledged for r in rows)
    return {"warnings": sum(r.warnings for r in rows), "called": called, "acknowledged": acknowledged,
            "ack_rate": _rate(acknowledged, called), "median_ack_s": statistics.median(seconds) if seconds else None,
            "median_ack_label": _duration(statistics.median(seconds)) if seconds else "",
            "escalations": sum(r.escalations for r in rows)}


def _duration(seconds: float) -> str:
    from .timeline import duration_label

    return duration_label(seconds)


def acknowledgement_by_region(rows: list[AckRow]) -> list[dict]:
    """Rows merged over levels, one per region (for the charts): region, called, acknowledged, rate, median."""
    merged: dict = {}
    for r in rows:
        m = merged.setdefault(r.region_id, {"region": r.region, "called": 0, "acknowledged": 0, "seconds": []})
        m["called"] += r.called
        m["acknowledged"] += r.acknowledged
        m["seconds"] += r.ack_seconds
    return [{"region": m["region"], "called": m["called"], "acknowledged": m["acknowledged"],
             "ack_rate": _rate(m["acknowledged"], m["called"]),
             "median_ack_s": statistics.median(m["seconds"]) if m["seconds"] else None} for m in merged.values()]


# --- response actions ---------------------------------------------------------------------------------------------------

def actions_on_time(warnings: QuerySet, start: dt.date, end: dt.date, now: dt.datetime | None = None) -> dict:
    """Required response actions with a deadline in the period: ``on_time``, ``late``, ``open_overdue``, ``open``
    (not yet due), ``total`` and ``rate`` = on time / (on time + late + open overdue)."""
    lo, hi = period_bounds(start, end)
    now = now or timezone.now()
    counts = {"on_time": 0, "late": 0, "open_overdue": 0, "open": 0}
    for deadline, reported_at in ResponseAction.objects.filter(
            warning__in=issued(warnings), required=True, deadline__gte=lo, deadline__lt=hi).exclude(
            status=ActionStatus.CANCELLED).values_list("deadline", "reported_at"):
        if reported_at is not None:
            counts["on_time" if reported_at <= deadline else "late"] += 1
        else:
            counts["open_overdue" if deadline < now else "open"] += 1
    decided = counts["on_time"] + counts["late"] + counts["open_overdue"]
    return {**counts, "total": decided + counts["open"], "rate": _rate(counts["on_time"], decided)}


# --- closing ---------------------------------------------------------------------------------------------------------------

def closed_with_feedback(warnings: QuerySet, start: dt.date, end: dt.date) -> dict:
    """Warnings ended (cleared / cancelled / expired) in the period: ``ended``, ``closed`` (``closed_at`` set) and
    ``rate`` = closed / ended."""
    lo, hi = period_bounds(start, end)
    ended = warnings.filter(status__in=ENDED, ended_at__gte=lo, ended_at__lt=hi)
    total = ended.count()
    closed = ended.exclude(closed_at=None).count()
    return {"ended": total, "closed": closed, "rate": _rate(closed, total)}


# --- coverage -------------------------------------------------------------------------------------------------------------

def coverage(warnings: QuerySet, regions: QuerySet, start: dt.date, end: dt.date) -> dict:
    """预警信息人口覆盖率 over the county-level ``regions`` (definition in the module docstring).

    Returns ``{"reached", "population", "rate", "rows": [{"region", "adcode", "population", "reached", "rate"}],
    "unknown": [region names without population]}``."""
    lo, hi = period_bounds(start, end)
    raised = issued(warnings).filter(raised_at__gte=lo, raised_at__lt=hi)
    delivered = set(CallAttempt.objects.filter(warning__in=raised, status__in=DELIVERED)
                    .values_list("warning_id", flat=True).distinct())
    wide: dict[str, int | None] = {}  # region path -> population, of the regions of reached region-wide warnings
    point_people: dict[int, tuple[str, int]] = {}  # risk point -> (its region path, threatened people)
    for pk, point_id, is_public, path, population, point_path, people in raised.filter(
            Q(risk_point__isnull=False) | Q(region__isnull=False)).values_list(
            "pk", "risk_point_id", "is_public", "region__path", "region__population", "risk_point__region__path",
            "risk_point__threatened_people"):
        if point_id is not None:
            if pk in delivered and point_path:
                point_people[point_id] = (point_path, people or 0)
        elif is_public or pk in delivered:
            wide[path] = population
    rows, unknown = [], []
    for region in regions.order_by("adcode"):
        if not region.population:
            unknown.append(region.name)
            continue
        if any(region.path.startswith(path) for path in wide):
            reached = region.population
        else:
            inside = [p for p in wide if p.startswith(region.path)]
            reached = sum(wide[p] or 0 for p in inside)
            reached += sum(people for path, people in point_people.values()
                           if path.startswith(region.path) and not any(path.startswith(p) for p in inside))
            reached = min(reached, region.population)
        rows.append({"region": region.name, "adcode": region.adcode, "population": region.population,
                     "reached": reached, "rate": _rate(reached, region.population)})
    reached_total = sum(r["reached"] for r in rows)
    population = sum(r["population"] for r in rows)
    return {"reached": reached_total, "population": population, "rate": _rate(reached_total, population),
            "rows": rows, "unknown": unknown}


def summary(warnings: QuerySet, regions: QuerySet, start: dt.date, end: dt.date, now: dt.datetime | None = None
            ) -> dict:
    """Everything the metrics page and API show, JSON-ready."""
    rows = acknowledgement_rows(warnings, start, end)
    return {"start": start.isoformat(), "end": end.isoformat(),
            "acknowledgement": {"rows": [r.as_dict() for r in rows], "totals": acknowledgement_totals(rows),
                                "by_region": acknowledgement_by_region(rows)},
            "actions": actions_on_time(warnings, start, end, now=now),
            "closing": closed_with_feedback(warnings, start, end),
            "coverage": coverage(warnings, regions, start, end)}


def default_period(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """This year up to today (Asia/Shanghai)."""
    today = today or timezone.now().astimezone(CITY_TZ).date()
    return dt.date(today.year, 1, 1), today
