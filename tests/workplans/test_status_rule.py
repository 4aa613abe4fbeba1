"""The pure target-status rule of ``citysafe.workplans.status`` (no database).

Dates are chosen so that the elapsed share of the plan period is exact: the period of a target without its own
deadline runs from 2026-01-01 to 2026-12-31 (364 days), so 2026-04-02 is 0.25, 2026-07-02 is 0.5 and 2026-10-01
is 0.75 of it.
"""

import datetime as dt

import pytest

from citysafe.workplans.status import (
    ACHIEVED,
    AT_RISK,
    NO_DATA,
    OFF_TRACK,
    ON_TRACK,
    OVERDUE,
    TargetSpec,
    elapsed_share,
    evaluate,
)

START = dt.date(2026, 1, 1)
YEAR_END = dt.date(2026, 12, 31)
NOV_30 = dt.date(2026, 11, 30)
MAY_31 = dt.date(2026, 5, 31)
Q1 = dt.date(2026, 4, 2)       # elapsed 0.25 of the year
HALF = dt.date(2026, 7, 2)     # elapsed 0.5 of the year
Q3 = dt.date(2026, 10, 1)      # elapsed 0.75 of the year
AFTER = dt.date(2027, 1, 15)   # past every 2026 deadline


def spec(comparator, value, unit="", deadline=YEAR_END, baseline=None):
    return TargetSpec(comparator=comparator, value=value, unit=unit, deadline=deadline, start=START,
                      baseline=baseline)


def test_elapsed_share_of_the_chosen_dates_is_exact():
    assert elapsed_share(START, YEAR_END, Q1) == 0.25
    assert elapsed_share(START, YEAR_END, HALF) == 0.5
    assert elapsed_share(START, YEAR_END, Q3) == 0.75


@pytest.mark.parametrize("_case, today, expected", [
    ("before the start", dt.date(2025, 12, 1), 0.0),
    ("on the start", START, 0.0),
    ("on the deadline", YEAR_END, 1.0),
    ("after the deadline", AFTER, 1.0),
])
def test_elapsed_share_is_clamped(_case, today, expected):
    assert elapsed_share(START, YEAR_END, today) == expected


def test_elapsed_share_of_an_empty_period_is_one():
    assert elapsed_share(START, START, START) == 1.0
    assert elapsed_share(START, dt.date(2025, 12, 31), START) == 1.0


LOWER_BOUND_CASES = [
    # label, spec, latest value, today, expected status
    # ">=": met, overdue, and the pace thresholds at their exact boundaries (elapsed 0.5: pace = progress / 0.5)
    (">= met before the deadline", spec(">=", 80, "%", NOV_30), 80.0, HALF, ACHIEVED),
    (">= exceeded", spec(">=", 80, "%", NOV_30), 95.0, HALF, ACHIEVED),
    (">= met after the deadline", spec(">=", 80, "%", NOV_30), 80.0, AFTER, ACHIEVED),
    (">= not met after the deadline", spec(">=", 80, "%", NOV_30), 79.9, AFTER, OVERDUE),
    (">= not met the day after the deadline", spec(">=", 80, "%", NOV_30), 79.9, dt.date(2026, 12, 1), OVERDUE),
    (">= pace exactly 0.8 is on track", spec(">=", 100, "%"), 40.0, HALF, ON_TRACK),
    (">= pace just below 0.8 is at risk", spec(">=", 100, "%"), 39.9, HALF, AT_RISK),
    (">= pace exactly 0.5 is at risk", spec(">=", 100, "%"), 25.0, HALF, AT_RISK),
    (">= pace just below 0.5 is off track", spec(">=", 100, "%"), 24.9, HALF, OFF_TRACK),
    (">= pace exactly 0.8 at a quarter", spec(">=", 100, "%"), 20.0, Q1, ON_TRACK),
    (">= pace exactly 0.5 at three quarters", spec(">=", 100, "%"), 37.5, Q3, AT_RISK),
    (">= nothing done yet", spec(">=", 100, "%"), 0.0, HALF, OFF_TRACK),
    (">= on the first day", spec(">=", 100, "%"), 0.0, START, ON_TRACK),
    (">= on the deadline day is not overdue", spec(">=", 100, "%", NOV_30), 90.0, NOV_30, ON_TRACK),
    (">= with a baseline measures progress from it", spec(">=", 80, "%", baseline=60), 68.0, HALF, ON_TRACK),
    (">= with a baseline, below pace", spec(">=", 80, "%", baseline=60), 67.0, HALF, AT_RISK),
    (">= with a baseline, far below pace", spec(">=", 80, "%", baseline=60), 64.0, HALF, OFF_TRACK),
    (">= with a baseline above the target is ignored", spec(">=", 80, "%", baseline=90), 32.0, HALF, ON_TRACK),
    # ">" is strict
    ("> equal value is not met after the deadline", spec(">", 90, "%"), 90.0, AFTER, OVERDUE),
    ("> above the value is met", spec(">", 90, "%"), 90.5, AFTER, ACHIEVED),
    ("> equal value before the deadline keeps pace", spec(">", 90, "%"), 90.0, HALF, ON_TRACK),
    # complete_count
    ("complete_count done", spec("complete_count", 12, "个"), 12.0, HALF, ACHIEVED),
    ("complete_count half way at half time", spec("complete_count", 12, "个"), 6.0, HALF, ON_TRACK),
    ("complete_count a quarter at half time", spec("complete_count", 12, "个"), 3.0, HALF, AT_RISK),
    ("complete_count behind after the deadline", spec("complete_count", 12, "个"), 11.0, AFTER, OVERDUE),
    # "=" with a non-zero value is a lower bound
    ("= non-zero met", spec("=", 100, "%", MAY_31), 100.0, dt.date(2026, 3, 1), ACHIEVED),
    ("= non-zero not met after the deadline", spec("=", 100, "%", MAY_31), 99.0, dt.date(2026, 6, 1), OVERDUE),
    ("= non-zero far behind", spec("=", 100, "%"), 10.0, HALF, OFF_TRACK),
]


@pytest.mark.parametrize("_case, target, value, today, expected", LOWER_BOUND_CASES)
def test_lower_bounds(_case, target, value, today, expected):
    status, reason = evaluate(target, value, today)
    assert status == expected, reason
    assert reason


UPPER_BOUND_CASES = [
    # "<=" on a cumulative count (起): projected linearly to the deadline (value / elapsed)
    ("<= count well within", spec("<=", 10, "起"), 3.0, HALF, ON_TRACK),
    ("<= count projected exactly to the bound", spec("<=", 10, "起"), 5.0, HALF, ON_TRACK),
    ("<= count projected over the bound", spec("<=", 10, "起"), 6.0, HALF, AT_RISK),
    ("<= count projected over the bound early", spec("<=", 10, "起"), 3.0, Q1, AT_RISK),
    ("<= count at the bound before the deadline", spec("<=", 10, "起"), 10.0, HALF, AT_RISK),
    ("<= count over the bound before the deadline", spec("<=", 10, "起"), 11.0, HALF, OFF_TRACK),
    ("<= count at the bound after the deadline", spec("<=", 10, "起"), 10.0, AFTER, ACHIEVED),
    ("<= count over the bound after the deadline", spec("<=", 10, "起"), 11.0, AFTER, OVERDUE),
    ("<= count on the first day", spec("<=", 10, "起"), 1.0, START, ON_TRACK),
    ("<= people (人) are counts too", spec("<=", 10, "人"), 6.0, HALF, AT_RISK),
    # "<=" on a rate: no projection, and a rate over the bound may still come back
    ("<= rate within", spec("<=", 0.3, "‰"), 0.2, HALF, ON_TRACK),
    ("<= rate within early is not projected", spec("<=", 0.3, "‰"), 0.2, Q1, ON_TRACK),
    ("<= rate over the bound before the deadline", spec("<=", 0.3, "‰"), 0.4, HALF, AT_RISK),
    ("<= rate over the bound after the deadline", spec("<=", 0.3, "‰"), 0.4, AFTER, OVERDUE),
    ("<= rate at the bound after the deadline", spec("<=", 0.3, "‰"), 0.3, AFTER, ACHIEVED),
    ("<= percentage over the bound before the deadline", spec("<=", 5, "%"), 6.0, Q3, AT_RISK),
    # "<" is strict
    ("< count equal to the bound before the deadline", spec("<", 10, "起"), 10.0, HALF, OFF_TRACK),
    ("< rate equal to the bound before the deadline", spec("<", 5, "%"), 5.0, HALF, AT_RISK),
    ("< rate equal to the bound after the deadline", spec("<", 5, "%"), 5.0, AFTER, OVERDUE),
    ("< rate below the bound after the deadline", spec("<", 5, "%"), 4.9, AFTER, ACHIEVED),
    # "= 0" targets (重特大事故起数 0): cumulative whatever the unit
    ("= 0 count still zero", spec("=", 0, "起"), 0.0, HALF, ON_TRACK),
    ("= 0 count zero after the deadline", spec("=", 0, "起"), 0.0, AFTER, ACHIEVED),
    ("= 0 count one before the deadline", spec("=", 0, "起"), 1.0, HALF, OFF_TRACK),
    ("= 0 count one after the deadline", spec("=", 0, "起"), 1.0, AFTER, OVERDUE),
    ("= 0 without a unit one before the deadline", spec("=", 0, ""), 1.0, Q1, OFF_TRACK),
    ("= 0 without a unit zero", spec("=", 0, ""), 0.0, Q1, ON_TRACK),
]


@pytest.mark.parametrize("_case, target, value, today, expected", UPPER_BOUND_CASES)
def test_upper_bounds(_case, target, value, today, expected):
    status, reason = evaluate(target, value, today)
    assert status == expected, reason
    assert reason


CHANGE_CASES = [
    # decrease_by_at_least 5 % on a baseline of 100: allowed 95, a cumulative upper bound
    ("decrease within, projected under", spec("decrease_by_at_least", 5, "%", baseline=100), 40.0, HALF, ON_TRACK),
    ("decrease projected exactly to the allowed",
     spec("decrease_by_at_least", 5, "%", baseline=100), 47.5, HALF, ON_TRACK),
    ("decrease projected over the allowed", spec("decrease_by_at_least", 5, "%", baseline=100), 50.0, HALF, AT_RISK),
    ("decrease over the allowed before the deadline",
     spec("decrease_by_at_least", 5, "%", baseline=100), 96.0, HALF, OFF_TRACK),
    ("decrease at the allowed after the deadline",
     spec("decrease_by_at_least", 5, "%", baseline=100), 95.0, AFTER, ACHIEVED),
    ("decrease over the allowed after the deadline",
     spec("decrease_by_at_least", 5, "%", baseline=100), 96.0, AFTER, OVERDUE),
    ("decrease_by behaves the same", spec("decrease_by", 10, "%", baseline=200), 181.0, AFTER, OVERDUE),
    ("decrease_by met", spec("decrease_by", 10, "%", baseline=200), 180.0, AFTER, ACHIEVED),
    # without a baseline no percentage can be computed
    ("decrease without baseline before the deadline", spec("decrease_by_at_least", 5, "%"), 40.0, HALF, NO_DATA),
    ("decrease without baseline after the deadline", spec("decrease_by_at_least", 5, "%"), 40.0, AFTER, NO_DATA),
    # zero baseline: met only while the value stays 0
    ("decrease zero baseline, still zero", spec("decrease_by_at_least", 5, "%", baseline=0), 0.0, HALF, ON_TRACK),
    ("decrease zero baseline, zero at the end",
     spec("decrease_by_at_least", 5, "%", baseline=0), 0.0, AFTER, ACHIEVED),
    ("decrease zero baseline, one before the deadline",
     spec("decrease_by_at_least", 5, "%", baseline=0), 1.0, HALF, OFF_TRACK),
    ("decrease zero baseline, one after the deadline",
     spec("decrease_by_at_least", 5, "%", baseline=0), 1.0, AFTER, OVERDUE),
    # increase_by_at_least 10 % on a baseline of 100: a lower bound of 110
    ("increase met", spec("increase_by_at_least", 10, "%", baseline=100), 110.0, HALF, ACHIEVED),
    ("increase met after the deadline", spec("increase_by_at_least", 10, "%", baseline=100), 112.0, AFTER, ACHIEVED),
    ("increase not met after the deadline",
     spec("increase_by_at_least", 10, "%", baseline=100), 109.0, AFTER, OVERDUE),
    ("increase keeping pace", spec("increase_by_at_least", 10, "%", baseline=100), 105.0, HALF, ON_TRACK),
    ("increase_by met", spec("increase_by", 20, "%", baseline=50), 60.0, AFTER, ACHIEVED),
    ("increase without baseline", spec("increase_by_at_least", 10, "%"), 110.0, HALF, NO_DATA),
]


@pytest.mark.parametrize("_case, target, value, today, expected", CHANGE_CASES)
def test_decrease_and_increase_targets(_case, target, value, today, expected):
    status, reason = evaluate(target, value, today)
    assert status == expected, reason
    assert reason


@pytest.mark.parametrize("_case, target, today, expected", [
    ("lower bound before the deadline", spec(">=", 80, "%", NOV_30), HALF, NO_DATA),
    ("lower bound on the deadline day", spec(">=", 80, "%", NOV_30), NOV_30, NO_DATA),
    ("lower bound after the deadline", spec(">=", 80, "%", NOV_30), dt.date(2026, 12, 1), OVERDUE),
    ("upper bound before the deadline", spec("<=", 10, "起"), HALF, NO_DATA),
    ("upper bound after the deadline", spec("<=", 10, "起"), AFTER, OVERDUE),
    ("= 0 after the deadline", spec("=", 0, "起"), AFTER, OVERDUE),
    ("decrease without baseline after the deadline", spec("decrease_by_at_least", 5, "%"), AFTER, OVERDUE),
    ("flood-season deadline passed", spec("complete_count", 3, "个", MAY_31), dt.date(2026, 6, 1), OVERDUE),
])
def test_no_report(_case, target, today, expected):
    status, reason = evaluate(target, None, today)
    assert status == expected
    assert reason


@pytest.mark.parametrize("_case, value, at_risk_ratio, off_track_ratio, expected", [
    ("pace 0.9 is on track at the default ratios", 45.0, 0.8, 0.5, ON_TRACK),
    ("pace 0.9 is at risk when the at-risk ratio is 0.95", 45.0, 0.95, 0.5, AT_RISK),
    ("pace 0.6 is at risk at the default ratios", 30.0, 0.8, 0.5, AT_RISK),
    ("pace 0.6 is off track when the off-track ratio is 0.7", 30.0, 0.8, 0.7, OFF_TRACK),
])
def test_ratios_are_parameters(_case, value, at_risk_ratio, off_track_ratio, expected):
    status, _ = evaluate(spec(">=", 100, "%"), value, HALF, at_risk_ratio=at_risk_ratio,
                         off_track_ratio=off_track_ratio)
    assert status == expected


def test_reason_explains_the_pace():
    status, reason = evaluate(spec(">=", 100, "%"), 20.0, HALF)
    assert status == OFF_TRACK
    assert "20%" in reason and "50%" in reason


def test_reason_of_a_projection_names_the_projected_figure():
    status, reason = evaluate(spec("<=", 10, "起"), 6.0, HALF)
    assert status == AT_RISK
    assert "12.0" in reason and "10" in reason
