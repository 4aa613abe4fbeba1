"""Scorecards (考核评分) per district and per department for a quarter or a year, with editable weights and a ranking.

Seed 一(四): quarterly duty reports (述职) and the year's evaluation; issue 7 names the five components.  Every
definition below is a **project default, configurable** (neither the seed nor a regulation fixes them):

* **units** — *districts*: government organisations of a county-level region (district or functional zone) valid
  at some day of the period; *departments*: organisations of kind ``department``.
* **targets_met** — targets of the year's current work plan (lead directly, lead through a group such as
  "市安委会各成员单位" the unit is a member of, and for districts also *supported* directly or through "各区县政府"):
  status ``achieved`` or ``on_track`` over those with any status other than ``no_data``.  Computed KPI targets
  (active ``KpiLink``) count only for a unit leading them directly.  Districts add one item per linked annex KPI
  judged by their own figures (``kpi_services.district_kpi_statuses``).  See ``scored_targets``.
* **reports_on_time** — one progress report is expected per led (not supported, not computed) target per quarter of
  the period (quarters that start after the target's deadline expect none).  A (target, quarter) is on time when
  the unit filed a report with ``as_of`` inside the quarter, created (Asia/Shanghai date) no later than quarter
  end + ``report_grace_days`` (default 10).  A quarter counts once its due day has passed on ``today``, or earlier
  when it is already on time.
* **supervision_on_time** — supervision items owned by the unit (``Supervision.owner``, not proposed or dismissed)
  with ``deadline`` in the period: closed with ``closed_at`` on or before the deadline, over the items whose outcome
  is decided (closed, or deadline passed on ``today``).
* **hazards_rectified** — hazards with ``deadline`` (the current one: approved extensions count) in the period, in
  the district's region subtree or supervised by the department (``supervising_department``): accepted (销号) with
  ``closed_at`` on or before the deadline, over those decided (accepted, or deadline passed).
* **warnings_acknowledged** — ``early_warning.metrics`` ack rate (acknowledged / called persons) of issued warnings
  in the district's region subtree, or issued by the department, in the period.

Past periods (end before ``today``) use the weights in force at their end (``weights_for``) and the targets' status
as of their end (``status_as_of``); running periods use the current weights and cached statuses.

A component whose denominator is 0 is **no data**: it is left out and the remaining weights are renormalised, i.e.
``score = 100 × Σ wᵢ·rateᵢ / Σ wᵢ`` over the components with data (all no data → no score, ranked last without a
rank; when every scored unit is at 0.00 nobody is ranked).  Ranks are competition ranks ("1, 1, 3"): scores equal to two decimals share a rank.  Ranks are computed over
every unit of the kind, then rows are limited to the user's scope, so a district sees its own place in the city.
"""

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from citysafe.core.audit import acting_as
from citysafe.core.models import Organization, OrganizationKind, RegionLevel
from citysafe.core.roles import is_municipal
from citysafe.core.scoping import organization_in_scope, scope_organization_ids
from citysafe.workplans.errors import PermissionDenied, WorkplanError

CITY_TZ = ZoneInfo("Asia/Shanghai")
COMPONENTS = ("targets_met", "reports_on_time", "supervision_on_time", "hazards_rectified", "warnings_acknowledged")
COMPONENT_LABELS = {
    "targets_met": _("目标完成"),
    "reports_on_time": _("按时报送进展"),
    "supervision_on_time": _("督办按期办结"),
    "hazards_rectified": _("隐患按期整改"),
    "warnings_acknowledged": _("预警叫应"),
}
DEFAULT_WEIGHTS = {"targets_met": 40, "reports_on_time": 15, "supervision_on_time": 15, "hazards_rectified": 15,
                   "warnings_acknowledged": 15}  # project default, configurable
DEFAULT_GRACE_DAYS = 10  # project default, configurable
MAX_GRACE_DAYS = 60
UNIT_KINDS = {"district": _("区县"), "department": _("部门")}


# --- periods ------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Period:
    """A quarter (``quarter`` 1..4) or a whole year (``quarter`` None); ``start``..``end`` inclusive."""

    year: int
    quarter: int | None = None

    @property
    def kind(self) -> str:
        return "year" if self.quarter is None else "quarter"

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, 1 if self.quarter is None else 3 * self.quarter - 2, 1)

    @property
    def end(self) -> dt.date:
        if self.quarter is None or self.quarter == 4:
            return dt.date(self.year, 12, 31)
        return dt.date(self.year, 3 * self.quarter + 1, 1) - dt.timedelta(days=1)

    @property
    def code(self) -> str:
        return f"{self.year}" if self.quarter is None else f"{self.year}Q{self.quarter}"

    @property
    def label(self) -> str:
        return f"{self.year}年" if self.quarter is None else f"{self.year}年第{self.quarter}季度"

    def quarters(self) -> list["Period"]:
        return [self] if self.quarter else [Period(self.year, q) for q in (1, 2, 3, 4)]


def parse_period(text: str | None, today: dt.date | None = None) -> Period:
    """"2026Q1" (quarter) or "2026" (year); empty → the current quarter.  ``WorkplanError`` on anything else."""
    text = (text or "").strip().upper()
    if not text:
        today = today or timezone.localdate()
        return Period(today.year, (today.month - 1) // 3 + 1)
    year_text, _sep, quarter_text = text.partition("Q")
    try:
        year = int(year_text)
        quarter = int(quarter_text) if quarter_text else None
    except ValueError:
        raise WorkplanError(_("考核周期格式应为 2026Q1 或 2026。")) from None
    if not 2000 <= year <= 2100 or (quarter is not None and not 1 <= quarter <= 4) or (_sep and not quarter_text):
        raise WorkplanError(_("考核周期格式应为 2026Q1 或 2026。"))
    return Period(year, quarter)


def _local_date(moment: dt.datetime | None) -> dt.date | None:
    return moment.astimezone(CITY_TZ).date() if moment else None


# --- weights ------------------------------------------------------------------------------------------------------

def _strict_int(raw) -> int | None:
    """``raw`` as an int when it is a real int (not a bool) or a string of ASCII digits (optional leading "-");
    None otherwise (so "²", "٣", "1.5", "true", True and 40.0 are rejected, never a 500)."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str) and re.fullmatch(r"-?[0-9]{1,4}", raw.strip()):
        return int(raw.strip())
    return None


def _field_error(field_name: str, message) -> WorkplanError:
    """A ``WorkplanError`` naming the form field (``.field``) so the weights form can mark it."""
    error = WorkplanError(message)
    error.field = field_name
    return error


def validate_weights(values: dict) -> dict[str, int]:
    """The five weights as ints 0..100 summing to 100; ``WorkplanError`` (Chinese message) otherwise."""
    weights = {}
    for key in COMPONENTS:
        value = _strict_int(values.get(key))
        if value is None or not 0 <= value <= 100:
            raise _field_error(key, _("权重“%(name)s”应为 0–100 的整数。") % {"name": COMPONENT_LABELS[key]})
        weights[key] = value
    if sum(weights.values()) != 100:
        raise WorkplanError(_("各项权重之和应为 100，当前为 %(sum)s。") % {"sum": sum(weights.values())})
    return weights


def validate_grace(raw) -> int | None:
    """Reporting grace days: None/"" → None (unchanged), else an int 0..``MAX_GRACE_DAYS``; ``WorkplanError``."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    value = _strict_int(raw)
    if value is None or not 0 <= value <= MAX_GRACE_DAYS:
        raise _field_error("report_grace_days", _("宽限天数应为 0–%(max)s 的整数。") % {"max": MAX_GRACE_DAYS})
    return value


def get_weights(period_type: str):
    """The ``ScoreWeights`` row of ``period_type`` ("quarter"/"year"), created with the defaults when missing."""
    from .models import PeriodType, ScoreWeights

    if period_type not in PeriodType.values:
        raise WorkplanError(_("考核周期类型应为 quarter 或 year。"))
    row = ScoreWeights.objects.filter(period_type=period_type).first()
    if row is None:
        row, _created = ScoreWeights.objects.get_or_create(period_type=period_type)
    return row


def weights_for(period: "Period", today: dt.date):
    """The weights in force for ``period``: the current row while the period is running (its end ≥ ``today``);
    for a past period the version in force at the end of its last day (``ScoreWeights.history.as_of``), and the
    defaults when no version had been saved by then (the defaults were in force)."""
    from .models import ScoreWeights

    if period.end >= today:
        return get_weights(period.kind)
    moment = dt.datetime.combine(period.end, dt.time.max, tzinfo=CITY_TZ)
    try:
        row = ScoreWeights.history.as_of(moment).filter(period_type=period.kind).first()
    except ScoreWeights.DoesNotExist:
        row = None
    return row or ScoreWeights(period_type=period.kind)


def update_weights(*, user, period_type: str, values: dict, grace_days=None):
    """Replace the weights of ``period_type`` (municipal administrators only; audited, history kept)."""
    if not is_municipal(user):
        raise PermissionDenied(_("只有市级管理员可以修改考核权重。"))
    weights = validate_weights(values)
    grace_days = validate_grace(grace_days)
    with acting_as(user), transaction.atomic():
        row = get_weights(period_type)
        for key, value in weights.items():
            setattr(row, key, value)
        if grace_days is not None:
            row.report_grace_days = grace_days
        row.save()
    return row


# --- components ---------------------------------------------------------------------------------------------------

@dataclass
class Component:
    key: str
    numerator: int = 0
    denominator: int = 0
    weight: int = 0

    @property
    def label(self) -> str:
        return str(COMPONENT_LABELS[self.key])

    @property
    def rate(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None

    @property
    def has_data(self) -> bool:
        return self.denominator > 0

    def as_dict(self) -> dict:
        return {"key": self.key, "label": self.label, "numerator": self.numerator, "denominator": self.denominator,
                "rate": self.rate, "weight": self.weight, "has_data": self.has_data}


@dataclass
class ScoreRow:
    organization: Organization
    kind: str
    components: dict[str, Component] = field(default_factory=dict)
    rank: int | None = None
    of: int = 0

    @property
    def score(self) -> float | None:
        """Weighted score 0..100 over the components with data (weights renormalised), None without any."""
        used = [c for c in self.components.values() if c.has_data]
        total = sum(c.weight for c in used)
        if not used or total == 0:
            return None
        return 100 * sum(c.weight * c.rate for c in used) / total

    def as_dict(self) -> dict:
        return {"organization_id": self.organization.pk, "organization": self.organization.name, "kind": self.kind,
                "score": None if self.score is None else round(self.score, 2), "rank": self.rank, "of": self.of,
                "components": [c.as_dict() for c in self.components.values()]}


def units_of(kind: str, period: Period):
    """Organisations scored as ``kind`` ("district" or "department") in ``period``."""
    if kind == "district":
        return (Organization.objects.filter(kind=OrganizationKind.GOVERNMENT,
                                            region__level__in=[RegionLevel.DISTRICT, RegionLevel.ZONE])
                .filter(Q(region__valid_to__isnull=True) | Q(region__valid_to__gt=period.start))
                .filter(Q(region__valid_from__isnull=True) | Q(region__valid_from__lte=period.end))
                .select_related("region").order_by("region__adcode"))
    if kind == "department":
        return Organization.objects.filter(kind=OrganizationKind.DEPARTMENT).select_related("region").order_by("name")
    raise WorkplanError(_("单位类别应为 district 或 department。"))


LEAD, GROUP_LEAD, SUPPORT = "lead", "group_lead", "support"


def current_plan(year: int):
    from citysafe.workplans.models import WorkPlan

    return WorkPlan.objects.filter(year=year, is_current=True).order_by("-version").first()


def unit_targets(units: list[Organization], year: int) -> dict[int, dict[int, tuple]]:
    """{unit id: {target id: (Target, how)}} for the current work plan of ``year``; ``how`` is ``LEAD`` (the unit
    leads the task), ``GROUP_LEAD`` (a group the unit belongs to leads it, e.g. "市安委会各成员单位") or ``SUPPORT``
    (the unit, or a group it belongs to such as "各区县政府", supports it); the strongest role wins."""
    from citysafe.workplans.models import ResponsibleUnit, Target, UnitRole

    plan = current_plan(year)
    result: dict[int, dict[int, tuple]] = {u.pk: {} for u in units}
    if plan is None:
        return result
    ids = set(result)
    groups: dict[int, set[int]] = defaultdict(set)
    for group_id, member_id in Organization.members.through.objects.filter(
            to_organization_id__in=ids).values_list("from_organization_id", "to_organization_id"):
        groups[group_id].add(member_id)
    order = {LEAD: 0, GROUP_LEAD: 1, SUPPORT: 2}
    task_units: dict[int, dict[int, str]] = defaultdict(dict)
    for task_id, org_id, role in ResponsibleUnit.objects.filter(
            task__plan=plan, organization_id__in=ids | set(groups)).values_list("task_id", "organization_id", "role"):
        lead = role == UnitRole.LEAD
        pairs = [(org_id, LEAD if lead else SUPPORT)] if org_id in ids else []
        pairs += [(m, GROUP_LEAD if lead else SUPPORT) for m in groups.get(org_id, ())]
        for unit_id, how in pairs:
            known = task_units[task_id].get(unit_id)
            if known is None or order[how] < order[known]:
                task_units[task_id][unit_id] = how
    for target in Target.objects.filter(task_id__in=task_units).select_related("task__plan"):
        for unit_id, how in task_units[target.task_id].items():
            result[unit_id][target.pk] = (target, how)
    return result


def led_targets(units: list[Organization], year: int) -> dict[int, dict[int, object]]:
    """{unit id: {target id: Target}} of the targets each unit leads (directly or through a group it belongs to)
    in the current work plan of ``year``."""
    return {u: {tid: t for tid, (t, how) in d.items() if how != SUPPORT} for u, d in unit_targets(units, year).items()}


def computed_target_ids(year: int) -> set[int]:
    """Targets of the year's current plan whose value is computed from the records (active ``KpiLink``)."""
    from .models import KpiLink

    return set(KpiLink.objects.filter(target__task__plan__year=year, target__task__plan__is_current=True,
                                      is_active=True).values_list("target_id", flat=True))


def scored_targets(kind: str, how: str, computed: bool) -> tuple[bool, bool]:
    """(counts for targets_met, counts for reports_on_time) of one (unit, target) pair.

    * computed KPI targets (KpiLink): never a reporting duty (the system reports them); in targets_met only for
      the unit that leads them directly — a city outcome is not held against every member of "市安委会各成员单位";
    * other targets: led directly or through a group → both; supported → targets_met for districts only.
    """
    if computed:
        return how == LEAD, False
    if how == SUPPORT:
        return kind == "district", False
    return True, True


def status_as_of(target, day: dt.date) -> str:
    """The target's status on ``day``: ``workplans.status`` applied to the latest value reported (by the lead unit,
    or a member of a lead group, as ``workplans.services.latest_value``) with ``as_of`` ≤ ``day``."""
    from django.conf import settings

    from citysafe.workplans import status as status_rule

    lead = target.task.lead_unit
    value = None
    if lead is not None:
        units = [lead.pk] + (list(lead.members.values_list("pk", flat=True)) if lead.is_group else [])
        chosen = (target.reports.exclude(value=None).filter(reporting_unit__in=units, as_of__lte=day)
                  .order_by("-as_of", "-created_at").first())
        value = chosen.value if chosen else None
    spec = status_rule.TargetSpec(target.comparator, target.value, target.unit, target.effective_deadline,
                                  dt.date(target.task.plan.year, 1, 1), target.baseline)
    return status_rule.evaluate(spec, value, day, settings.CITYSAFE_AT_RISK_RATIO,
                                getattr(settings, "CITYSAFE_OFF_TRACK_RATIO", 0.5))[0]


def statuses_for(targets, period: "Period", today: dt.date) -> dict[int, str]:
    """{target id: status} for ``period``: the cached status while the period runs (end ≥ ``today``), else the
    status as of the period end (``status_as_of``), so a past period does not change with later progress."""
    if period.end >= today:
        return {t.pk: t.status for t in targets}
    return {t.pk: status_as_of(t, period.end) for t in targets}


def with_period_status(targets, period: "Period", today: dt.date) -> list:
    """The targets with ``status`` set (in memory only, never saved) to their status for ``period``."""
    statuses = statuses_for(targets, period, today)
    for t in targets:
        t.status = statuses[t.pk]
    return list(targets)


def _targets_met(statuses: list[str]) -> Component:
    from citysafe.workplans.models import TargetStatus

    known = [s for s in statuses if s != TargetStatus.NO_DATA]
    met = sum(s in (TargetStatus.ACHIEVED, TargetStatus.ON_TRACK) for s in known)
    return Component("targets_met", met, len(known))


def _reports_on_time(unit_ids, targets: dict[int, dict], period: Period, grace: int, today: dt.date
                     ) -> dict[int, Component]:
    from citysafe.workplans.models import ProgressReport

    on_time: set[tuple] = set()  # (unit, target, quarter)
    quarters = period.quarters()
    all_targets = {tid for t in targets.values() for tid in t}
    for unit_id, target_id, as_of, created in ProgressReport.objects.filter(
            reporting_unit_id__in=unit_ids, target_id__in=all_targets, as_of__gte=period.start,
            as_of__lte=period.end).values_list("reporting_unit_id", "target_id", "as_of", "created_at"):
        q = Period(period.year, (as_of.month - 1) // 3 + 1)
        if _local_date(created) <= q.end + dt.timedelta(days=grace):
            on_time.add((unit_id, target_id, q.quarter))
    result = {}
    for unit_id in unit_ids:
        comp = Component("reports_on_time")
        for target in targets[unit_id].values():
            for q in quarters:
                if q.start > target.effective_deadline:
                    continue
                done = (unit_id, target.pk, q.quarter) in on_time
                if done or q.end + dt.timedelta(days=grace) < today:
                    comp.denominator += 1
                    comp.numerator += done
        result[unit_id] = comp
    return result


def _supervision_on_time(unit_ids, period: Period, today: dt.date) -> dict[int, Component]:
    from citysafe.workplans.models import Supervision, SupervisionStatus

    result = {u: Component("supervision_on_time") for u in unit_ids}
    for owner_id, deadline, status, closed_at in Supervision.objects.filter(
            owner_id__in=unit_ids, deadline__gte=period.start, deadline__lte=period.end).exclude(
            status__in=[SupervisionStatus.PROPOSED, SupervisionStatus.DISMISSED]).values_list(
            "owner_id", "deadline", "status", "closed_at"):
        closed = status == SupervisionStatus.CLOSED
        if closed or deadline < today:
            result[owner_id].denominator += 1
            result[owner_id].numerator += bool(closed and closed_at and _local_date(closed_at) <= deadline)
    return result


def _hazards_rectified(units: list[Organization], kind: str, period: Period, today: dt.date) -> dict[int, Component]:
    from citysafe.hazards.models import Hazard, HazardStatus

    result = {u.pk: Component("hazards_rectified") for u in units}
    rows = Hazard.objects.filter(deadline__gte=period.start, deadline__lte=period.end)
    if kind == "district":
        paths = {u.pk: u.region.path for u in units if u.region_id}
        for path, deadline, status, closed_at in rows.filter(region__isnull=False).values_list(
                "region__path", "deadline", "status", "closed_at"):
            for unit_id, prefix in paths.items():
                if path.startswith(prefix):
                    _count_hazard(result[unit_id], deadline, status, closed_at, today, HazardStatus.ACCEPTED)
    else:
        for dept_id, deadline, status, closed_at in rows.filter(supervising_department_id__in=result).values_list(
                "supervising_department_id", "deadline", "status", "closed_at"):
            _count_hazard(result[dept_id], deadline, status, closed_at, today, HazardStatus.ACCEPTED)
    return result


def _count_hazard(comp: Component, deadline, status, closed_at, today, accepted) -> None:
    closed = status == accepted
    if closed or deadline < today:
        comp.denominator += 1
        comp.numerator += bool(closed and closed_at and _local_date(closed_at) <= deadline)


def _warnings_acknowledged(units: list[Organization], kind: str, period: Period) -> dict[int, Component]:
    from citysafe.core.models import Region
    from citysafe.early_warning import metrics
    from citysafe.early_warning.models import EarlyWarning

    result = {u.pk: Component("warnings_acknowledged") for u in units}
    issued = metrics.issued(EarlyWarning.objects.all())
    if kind == "district":
        rows = metrics.acknowledgement_rows(issued.filter(region__isnull=False), period.start, period.end)
        region_paths = dict(Region.objects.filter(pk__in={r.region_id for r in rows}).values_list("pk", "path"))
        for unit in units:
            if not unit.region_id:
                continue
            for row in rows:
                if region_paths.get(row.region_id, "").startswith(unit.region.path):
                    result[unit.pk].numerator += row.acknowledged
                    result[unit.pk].denominator += row.called
    else:
        issuers = set(issued.filter(issuer_id__in=result).values_list("issuer_id", flat=True))
        for unit_id in issuers:
            totals = metrics.acknowledgement_totals(
                metrics.acknowledgement_rows(issued.filter(issuer_id=unit_id), period.start, period.end))
            result[unit_id].numerator = totals["acknowledged"]
            result[unit_id].denominator = totals["called"]
    return result


# --- the scorecard ------------------------------------------------------------------------------------------------

def rank_rows(rows: list[ScoreRow]) -> list[ScoreRow]:
    """Sort by score (desc, no score last, then name) and give competition ranks; equal scores (2 decimals) tie."""
    rows.sort(key=lambda r: (r.score is None, -(round(r.score, 2) if r.score is not None else 0),
                             r.organization.name))
    scored = [r for r in rows if r.score is not None]
    if scored and all(round(r.score, 2) == 0 for r in scored):
        scored = []  # everybody at 0.00: a ranking "1/31" for all would say nothing, so nobody is ranked
    previous, rank = None, 0
    for position, row in enumerate(scored, start=1):
        value = round(row.score, 2)
        if value != previous:
            rank, previous = position, value
        row.rank, row.of = rank, len(scored)
    ranked = {id(r) for r in scored}
    for row in rows:
        if id(row) not in ranked:
            row.rank, row.of = None, len(scored)
    return rows


def compute(kind: str, period: Period, today: dt.date | None = None, weights=None) -> list[ScoreRow]:
    """Every unit of ``kind`` scored for ``period`` and ranked (unscoped: callers use :func:`scorecard`)."""
    today = today or timezone.localdate()
    weights = weights or weights_for(period, today)
    weight_of = weights.as_dict()
    units = list(units_of(kind, period))
    ids = [u.pk for u in units]
    pairs = unit_targets(units, period.year)
    computed = computed_target_ids(period.year)
    all_targets = {tid: t for d in pairs.values() for tid, (t, _how) in d.items()}
    status = statuses_for(list(all_targets.values()), period, today)
    met_targets, report_targets = {}, {}
    for unit_id, d in pairs.items():
        met_targets[unit_id], report_targets[unit_id] = [], {}
        for tid, (target, how) in d.items():
            for_met, for_reports = scored_targets(kind, how, tid in computed)
            if for_met:
                met_targets[unit_id].append(status[tid])
            if for_reports:
                report_targets[unit_id][tid] = target
    targets_met = {u: _targets_met(met_targets[u]) for u in ids}
    if kind == "district":
        _add_district_kpis(targets_met, units, period, today)
    parts = [
        targets_met,
        _reports_on_time(ids, report_targets, period, weights.report_grace_days, today),
        _supervision_on_time(ids, period, today),
        _hazards_rectified(units, kind, period, today),
        _warnings_acknowledged(units, kind, period),
    ]
    rows = []
    for unit in units:
        row = ScoreRow(unit, kind)
        for part in parts:
            comp = part[unit.pk]
            comp.weight = weight_of[comp.key]
            row.components[comp.key] = comp
        rows.append(row)
    return rank_rows(rows)


def _add_district_kpis(targets_met: dict[int, Component], units, period: Period, today: dt.date) -> None:
    """Districts: each annex-一 KPI linked to a target of the year's plan, judged by the district's own figures
    (``kpi_services.district_kpi_statuses`` on the period end, or ``today`` while it runs), adds one item to the
    district's 目标完成 (met when achieved or on track; no data left out)."""
    from citysafe.workplans.models import TargetStatus

    from . import kpi_services

    day = min(period.end, today)
    if day.year != period.year:
        return
    paths = {u.pk: u.region.path for u in units if u.region_id}
    by_path = kpi_services.district_kpi_statuses(day, list(paths.values()))
    for unit_id, path in paths.items():
        for _code, status in by_path.get(path, []):
            if status and status != TargetStatus.NO_DATA:
                targets_met[unit_id].denominator += 1
                targets_met[unit_id].numerator += status in (TargetStatus.ACHIEVED, TargetStatus.ON_TRACK)


def visible(user, rows: list[ScoreRow]) -> list[ScoreRow]:
    """The rows of units the user may see: everything for municipal users, otherwise their own units."""
    if is_municipal(user):
        return rows
    ids = scope_organization_ids(user, include_groups=False)
    return [r for r in rows if r.organization.pk in ids]


def scorecard(user, kind: str, period: Period, today: dt.date | None = None) -> list[ScoreRow]:
    """Scoped, ranked scorecard rows (ranks over the whole city)."""
    if not user.is_authenticated:
        return []
    return visible(user, compute(kind, period, today))


def kind_of(org: Organization) -> str | None:
    if org.kind == OrganizationKind.DEPARTMENT:
        return "department"
    if org.kind == OrganizationKind.GOVERNMENT and org.region_id and \
            org.region.level in (RegionLevel.DISTRICT, RegionLevel.ZONE):
        return "district"
    return None


def unit_row(user, org_id: int, period: Period, today: dt.date | None = None) -> ScoreRow:
    """One unit's ranked row; ``Organization.DoesNotExist`` (→ 404) when out of scope or not a scored unit."""
    org = Organization.objects.select_related("region").filter(pk=org_id).first()
    if org is None or not organization_in_scope(user, org.pk) or kind_of(org) is None:
        raise Organization.DoesNotExist
    row = next((r for r in compute(kind_of(org), period, today) if r.organization.pk == org.pk), None)
    if row is None:
        raise Organization.DoesNotExist
    return row


EXPORT_HEADERS = [_("排名"), _("单位"), _("得分"), *[str(v) for v in COMPONENT_LABELS.values()]]


def export_rows(rows: list[ScoreRow]) -> tuple[list[str], list[list]]:
    """(headers, rows) for ``core.exports.table_response``; each component as "numerator/denominator (rate%)"."""
    headers = [str(h) for h in EXPORT_HEADERS]
    body = []
    for row in rows:
        cells = [row.rank, row.organization.name, None if row.score is None else round(row.score, 2)]
        for comp in row.components.values():
            cells.append(f"{comp.numerator}/{comp.denominator} ({comp.rate:.0%})" if comp.has_data
                         else str(_("暂无数据")))
        body.append(cells)
    return headers, body
