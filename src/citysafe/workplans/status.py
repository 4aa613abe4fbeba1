"""Target status: a pure, comparator-aware pace rule.  No database access; see docs/status.md.

``evaluate(spec, latest_value, today)`` returns ``(status, reason)`` with status one of ``achieved``, ``on_track``,
``at_risk``, ``off_track``, ``overdue``, ``no_data``.

The rule
--------
* The plan period runs from 1 January of the plan year to the target's deadline (31 December when none is given).
  ``elapsed`` is the share of that period that has passed, clamped to [0, 1].
* **Lower bounds** (``>=``, ``>``, ``complete_count``, ``increase_by*``, and ``=`` with a non-zero value): met ->
  *achieved*.  Not met after the deadline -> *overdue*.  Before it, progress is compared with time, the
  "时间过半、任务过半" principle of Chinese supervision practice (progress should keep pace with elapsed time):
  ``pace = progress / elapsed`` where progress is ``value / target`` (or ``(value - baseline) / (target - baseline)``
  when a baseline below the target is known).  ``pace >= at_risk_ratio`` -> *on track*;
  ``pace >= off_track_ratio`` -> *at risk*; otherwise *off track*.  The two ratios are settings
  (``CITYSAFE_AT_RISK_RATIO`` default 0.8, ``CITYSAFE_OFF_TRACK_RATIO`` default 0.5); no regulation fixes them.
* **Upper bounds** (``<=``, ``<``, and ``= 0`` such as "重特大事故起数 0"): the reported value is the year-to-date
  figure.  Within the bound after the deadline -> *achieved*; within it before -> *on track*, unless a cumulative
  count (units 起, 人, 次, 件, 宗, 名; any "= 0" target; decrease targets) projected linearly to the deadline (``value / elapsed``) would exceed the bound ->
  *at risk*.  Outside the bound after the deadline -> *overdue*; before it, a cumulative count cannot come back ->
  *off track*, a rate (%, ‰) still can -> *at risk*.  "以内"/"不高于" are inclusive (standards-safety.md §0.1).
* **Decrease targets** (``decrease_by*``) need last year's value as ``baseline``; the allowed figure is
  ``baseline × (1 − p/100)`` and the target is then an upper bound on a cumulative figure.  Without a baseline
  the status is *no data*.  With a zero baseline no percentage can be computed: the target is met only while the
  value stays 0.
* No report at all: *overdue* after the deadline, otherwise *no data*.
"""

import datetime as dt
from dataclasses import dataclass

ACHIEVED, ON_TRACK, AT_RISK, OFF_TRACK, OVERDUE, NO_DATA = (
    "achieved", "on_track", "at_risk", "off_track", "overdue", "no_data")
CUMULATIVE_UNITS = {"起", "人", "次", "件", "宗", "名"}
LOWER = {">=", ">", "complete_count", "increase_by_at_least", "increase_by"}
UPPER = {"<=", "<"}
DECREASE = {"decrease_by_at_least", "decrease_by"}
EPS = 1e-9


@dataclass(frozen=True)
class TargetSpec:
    """What the rule needs of a target.  ``value`` and ``baseline`` are in ``unit``; dates are local dates."""

    comparator: str
    value: float
    unit: str
    deadline: dt.date
    start: dt.date
    baseline: float | None = None


def elapsed_share(start: dt.date, deadline: dt.date, today: dt.date) -> float:
    """Share of the period [start, deadline] that has passed on ``today``, clamped to [0, 1]."""
    total = (deadline - start).days
    if total <= 0:
        return 1.0
    return min(1.0, max(0.0, (today - start).days / total))


def _meets(comparator: str, value: float, bound: float) -> bool:
    if comparator in {">=", "complete_count", "increase_by_at_least", "increase_by"}:
        return value >= bound - EPS
    if comparator == ">":
        return value > bound + EPS
    if comparator == "<=":
        return value <= bound + EPS
    if comparator == "<":
        return value < bound - EPS
    return abs(value - bound) <= EPS  # "="


def evaluate(spec: TargetSpec, latest_value: float | None, today: dt.date,
             at_risk_ratio: float = 0.8, off_track_ratio: float = 0.5) -> tuple[str, str]:
    """Status and a short Chinese reason for ``latest_value`` reported against ``spec`` on ``today``."""
    past_deadline = today > spec.deadline
    if latest_value is None:
        return (OVERDUE, "已过完成时限,无进展报告") if past_deadline else (NO_DATA, "尚无进展报告")
    elapsed = elapsed_share(spec.start, spec.deadline, today)
    comparator, bound = spec.comparator, spec.value
    # Counts of events and decrease targets (on a year-to-date count) only ever grow within the year.
    cumulative = spec.unit in CUMULATIVE_UNITS or comparator in DECREASE or (comparator == "=" and abs(bound) <= EPS)
    if comparator in DECREASE or (comparator in {"increase_by_at_least", "increase_by"}):
        if spec.baseline is None:
            return NO_DATA, "缺少上年基数,无法计算增减幅度"
        if comparator in DECREASE:
            if spec.baseline <= EPS:
                comparator, bound = "<=", 0.0
            else:
                comparator, bound = "<=", spec.baseline * (1 - spec.value / 100)
        else:
            comparator, bound = ">=", spec.baseline * (1 + spec.value / 100)
        spec = TargetSpec(comparator, bound, spec.unit, spec.deadline, spec.start, spec.baseline)
    if comparator in UPPER or (comparator == "=" and abs(bound) <= EPS):
        return _upper(comparator, bound, latest_value, elapsed, past_deadline, cumulative)
    return _lower(spec, comparator, bound, latest_value, elapsed, past_deadline, at_risk_ratio, off_track_ratio)


def _upper(comparator, bound, value, elapsed, past_deadline, cumulative):
    within = _meets("<=" if comparator == "=" else comparator, value, bound)
    if within:
        if past_deadline:
            return ACHIEVED, f"完成值 {value:g},控制在目标以内"
        if cumulative and elapsed > 0 and value / elapsed > bound + EPS:
            return AT_RISK, f"按当前进度全年预计 {value / elapsed:.1f},将超过 {bound:g}"
        return ON_TRACK, f"当前 {value:g},在目标 {bound:g} 以内"
    if past_deadline:
        return OVERDUE, f"完成值 {value:g} 超过目标 {bound:g}"
    if cumulative:
        return OFF_TRACK, f"累计 {value:g} 已超过目标 {bound:g}"
    return AT_RISK, f"当前 {value:g} 超过目标 {bound:g}"


def _lower(spec, comparator, bound, value, elapsed, past_deadline, at_risk_ratio, off_track_ratio):
    if _meets(comparator, value, bound):
        return ACHIEVED, f"完成值 {value:g},达到目标 {bound:g}"
    if past_deadline:
        return OVERDUE, f"已过完成时限,完成值 {value:g} 未达目标 {bound:g}"
    base = spec.baseline if spec.baseline is not None and spec.baseline < bound else 0.0
    span = bound - base
    progress = (value - base) / span if span > EPS else 0.0
    if elapsed <= EPS:
        return ON_TRACK, "计划期刚开始"
    pace = progress / elapsed
    detail = f"完成 {progress:.0%},时间过去 {elapsed:.0%}"
    if pace >= at_risk_ratio:
        return ON_TRACK, detail
    if pace >= off_track_ratio:
        return AT_RISK, detail
    return OFF_TRACK, detail
