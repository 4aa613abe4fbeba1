"""Hysteresis, minimum duration, ordering, late data, state continuation, composites, API edge cases."""

import json
import random

import numpy as np
import pytest

from citysafe.early_warning.engine import LEVELS, Engine, ReadingBatch, RuleError, RuleSpec
from citysafe.early_warning.profiles import default_profiles

from ._helpers import T0, H, batch, devices, levels, run, threshold

LEVELS4 = {"blue": 10.0, "yellow": 20.0, "orange": 30.0, "red": 40.0}


def series(values, dev=1, metric="m", step=60):
    return [(dev, metric, T0 + i * step, v) for i, v in enumerate(values)]


def test_levels_are_ordered():
    assert LEVELS == ("none", "blue", "yellow", "orange", "red")


def test_steady_condition_does_not_re_emit_and_clears_to_none():
    changes, state = run(threshold(LEVELS4), series([5, 25, 26, 27, 25, 5, 5]), devices("k"))
    assert [(c.previous_level, c.level, c.value) for c in changes] == [("none", "yellow", 25.0),
                                                                       ("yellow", "none", 5.0)]
    assert state[("thr", 1)]["level"] == "none"
    # and continuing from the state: still steady
    changes, _ = run(threshold(LEVELS4), [(1, "m", T0 + 3600, 5.0)], devices("k"), state)
    assert changes == []


def test_hysteresis():
    rule = threshold(LEVELS4, hysteresis=2.0)
    changes, _ = run(rule, series([25, 19, 18.5, 17.9, 21, 29, 30, 28.1, 27.9]), devices("k"))
    # yellow at 25; 19 and 18.5 stay yellow (>= 20 - 2); 17.9 -> blue; 21 -> yellow; 30 -> orange;
    # 28.1 stays orange (>= 28); 27.9 -> yellow
    assert [(c.level, c.value) for c in changes] == [("yellow", 25), ("blue", 17.9), ("yellow", 21),
                                                     ("orange", 30), ("yellow", 27.9)]


def test_hysteresis_below_direction():
    rule = threshold({"orange": 19.5}, direction="below", hysteresis=0.5)
    changes, _ = run(rule, series([20.9, 19.4, 19.9, 20.0, 20.1]), devices("k"))
    assert [(c.level, c.value) for c in changes] == [("orange", 19.4), ("none", 20.1)]


def test_min_duration_delays_upgrade_and_steps_down_at_once():
    rule = threshold(LEVELS4, min_duration_s=300)  # readings every 60 s
    values = [5, 25, 25, 25, 25, 25, 25, 45, 45, 5]
    changes, state = run(rule, series(values), devices("k"))
    # yellow condition from t=60 s; emitted at the first reading with t >= 360 s; red from 420 s never lasts 300 s;
    # stepping down is immediate
    assert [(c.time_s - T0, c.level) for c in changes] == [(360, "yellow"), (540, "none")]
    assert "pending" not in state[("thr", 1)]


def test_min_duration_interrupted_condition_restarts():
    rule = threshold(LEVELS4, min_duration_s=180)
    changes, _ = run(rule, series([25, 25, 25, 5, 25, 25, 25, 25]), devices("k"))
    assert [(c.time_s - T0, c.level) for c in changes] == [(420, "yellow")]


def test_min_duration_pending_survives_batches():
    rule = threshold(LEVELS4, min_duration_s=300)
    changes, state = run(rule, series([25, 25, 25]), devices("k"))
    assert changes == [] and state[("thr", 1)]["pending"] == {"blue": T0, "yellow": T0}
    changes, state = run(rule, [(1, "m", T0 + 300, 45.0)], devices("k"), state)
    # yellow (held since T0) is due at T0 + 300; red only just started
    assert [(c.time_s - T0, c.level) for c in changes] == [(300, "yellow")]
    assert state[("thr", 1)]["pending"] == {"orange": T0 + 300, "red": T0 + 300}
    json.dumps(state[("thr", 1)])


def test_min_duration_emits_highest_level_due():
    rule = threshold(LEVELS4, min_duration_s=120)
    changes, _ = run(rule, series([45, 45, 45, 45]), devices("k"))
    assert [(c.time_s - T0, c.previous_level, c.level) for c in changes] == [(120, "none", "red")]


def test_out_of_order_input_gives_the_same_result_as_sorted():
    rules = default_profiles()
    rng = random.Random(7)
    readings = []
    for dev in range(1, 6):
        readings += [(dev, "precipitation_mm", T0 + i * 600, rng.choice([0, 0, 5, 10, 20])) for i in range(80)]
    for dev in range(6, 10):
        readings += [(dev, "lel_percent", T0 + i * 60, rng.uniform(0, 60)) for i in range(50)]
    devs = {**devices("rain_gauge", range(1, 6)), **devices("gas_detector", range(6, 10))}
    sorted_changes, sorted_state = run(rules, readings, devs)
    shuffled = readings[:]
    rng.shuffle(shuffled)
    changes, state = run(rules, shuffled, devs)
    assert changes == sorted_changes and state == sorted_state
    assert len(changes) > 5


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_split_batches_equal_one_batch(seed):
    """In-order data cut into batches at arbitrary points gives the same changes as one batch."""
    rng = random.Random(seed)
    rules = default_profiles()
    rules.append(RuleSpec("rain_mean", "rainstorm", "window_mean", "rain_gauge", "precipitation_mm",
                          {"windows_h": {"blue": 1}, "levels": {"blue": 8}}, hysteresis=1.0, min_duration_s=900))
    rules.append(RuleSpec("rain_max", "rainstorm", "window_max", "rain_gauge", "precipitation_mm",
                          {"windows_h": {"yellow": 2, "red": 1}, "levels": {"yellow": 15, "red": 20}}))
    rules.append(RuleSpec("lel_rate", "gas_leak", "rate_of_change", "gas_detector", "lel_percent",
                          {"window_h": 0.25, "levels": {"blue": 40, "red": 100}, "absolute": True}))
    readings = []
    for dev in range(1, 4):
        readings += [(dev, "precipitation_mm", T0 + i * 600, rng.choice([0, 0, 5, 10, 20])) for i in range(150)]
    for dev in range(4, 7):
        readings += [(dev, "lel_percent", T0 + i * 60, rng.uniform(0, 60)) for i in range(150)]
    devs = {**devices("rain_gauge", range(1, 4)), **devices("gas_detector", range(4, 7))}
    engine = Engine(rules)
    whole, whole_state = run(engine, readings, devs)
    readings.sort(key=lambda r: r[2])
    cuts = sorted(rng.sample(range(1, len(readings)), 6))
    state, parts = {}, []
    for a, b in zip([0] + cuts, cuts + [len(readings)]):
        ch, st = run(engine, readings[a:b], devs, state)
        state = {**state, **st}
        parts += ch
    parts.sort(key=lambda c: (c.time_s, c.device_id, engine.order.index(c.rule_code)))
    assert parts == whole
    assert {k: v["level"] for k, v in state.items()} == {k: v["level"] for k, v in whole_state.items()}


def test_late_reading_updates_the_window_and_raises_at_its_own_time():
    rules = [r for r in default_profiles() if r.code == "rainstorm_cma16"]
    devs = devices("rain_gauge")
    on_time = [(1, "precipitation_mm", T0 + 1800 * i, 10.0) for i in (1, 2, 3, 5)]  # 02:00 missing
    changes, state = run(rules, on_time, devs)
    assert changes == []  # 40 mm in 3 h
    # the late 02:00 reading: 40 mm in the 3 h ending at 02:00, 50 mm in the 3 h ending at last_time (02:30)
    changes, state2 = run(rules, [(1, "precipitation_mm", T0 + 7200, 10.0)], devs, state)
    assert levels(changes) == [(T0 + 9000, 1, "orange")]
    st = state2[("rainstorm_cma16", 1)]
    assert st["last_time"] == T0 + 9000 and st["level"] == "orange" and T0 + 7200 in st["t"]
    # a bigger late reading reaches 50 mm in the window ending at its own time: stamped at 02:00
    changes, _ = run(rules, [(1, "precipitation_mm", T0 + 7200, 20.0)], devs, state)
    assert levels(changes) == [(T0 + 7200, 1, "orange")]


def test_late_spike_is_reported_then_cleared_at_last_time():
    devs = devices("k")
    changes, state = run(threshold(LEVELS4), series([5, 5, 5]), devs)
    changes, state = run(threshold(LEVELS4), [(1, "m", T0 + 30, 45.0)], devs, state)
    assert [(c.time_s - T0, c.level) for c in changes] == [(30, "red"), (120, "none")]
    assert state[("thr", 1)]["level"] == "none"


def test_redelivery_is_idempotent():
    devs = devices("rain_gauge")
    rules = [r for r in default_profiles() if r.code == "rainstorm_cma16"]
    readings = [(1, "precipitation_mm", T0 + 1800 * i, 10.0) for i in range(1, 5)]
    _, state = run(rules, readings, devs)
    changes, state2 = run(rules, readings, devs, state)  # the same readings again
    assert changes == [] and state2[("rainstorm_cma16", 1)]["v"] == [10.0] * 4


def test_state_is_json_serialisable_and_bounded():
    rules = default_profiles()
    readings = [(1, "precipitation_mm", T0 + 300 * i, 1.0) for i in range(1000)]
    readings += [(2, "displacement_mm", T0 + H * i, 0.1 * i) for i in range(24 * 40)]
    devs = {**devices("rain_gauge", [1]), **devices("gnss", [2])}
    _, state = run(rules, readings, devs)
    json.loads(json.dumps({f"{k[0]}|{k[1]}": v for k, v in state.items()}, allow_nan=False))
    rain = state[("rainstorm_cma16", 1)]
    assert len(rain["t"]) == 12 * 12 + 1  # readings in [last - 12 h, last]
    assert rain["t"][-1] == rain["last_time"]
    assert "v" in state[("landslide_tangential_angle", 2)]["extra"]


def test_only_touched_entries_returned_and_unknown_devices_ignored():
    rules = default_profiles()
    devs = devices("gas_detector", [1])
    changes, state = run(rules, [(1, "lel_percent", T0, 30.0), (99, "lel_percent", T0, 80.0)], devs)
    assert set(state) == {("gas_lel_gb50493", 1)}
    assert [c.device_id for c in changes] == [1]


def test_many_devices_are_independent():
    n = 500
    ids = np.arange(1, n + 1)
    values = np.where(ids % 5 == 0, 30.0, 1.0)
    b = ReadingBatch.from_arrays(ids, "lel_percent", np.full(n, T0), values)
    changes, state = Engine(default_profiles()).evaluate(b, devices("gas_detector", ids.tolist()), {})
    assert sorted(c.device_id for c in changes) == [i for i in range(1, n + 1) if i % 5 == 0]
    assert len(state) == n


def test_composite_all_and_any():
    a = threshold({"yellow": 10, "red": 20}, code="a", metric="x")
    b = threshold({"orange": 5}, code="b", metric="y")
    both = RuleSpec("both", "other", "composite", "k", "", {"mode": "all", "rules": ["a", "b"]})
    either = RuleSpec("either", "other", "composite", "k", "", {"mode": "any", "rules": ["a", "b"]})
    engine = Engine([both, either, a, b])
    readings = [(1, "x", T0, 25.0), (1, "y", T0 + 60, 6.0), (1, "x", T0 + 120, 0.0)]
    changes, state = run(engine, readings, devices("k"))
    got = [(c.time_s - T0, c.rule_code, c.level) for c in changes if c.rule_code in ("both", "either")]
    assert got == [(0, "either", "red"), (60, "both", "orange"), (120, "both", "none"), (120, "either", "orange")]
    # continuing: b clears -> either clears; composite sees a's level from the state
    changes, _ = run(engine, [(1, "y", T0 + 180, 0.0)], devices("k"), state)
    assert [(c.rule_code, c.level) for c in changes] == [("b", "none"), ("either", "none")]


def test_invalid_rules_are_rejected():
    with pytest.raises(RuleError):
        Engine([RuleSpec("x", "other", "nope", "k", "m", {})])
    with pytest.raises(RuleError):
        Engine([threshold({"purple": 1})])
    with pytest.raises(RuleError):
        Engine([RuleSpec("w", "other", "window_sum", "k", "m", {"windows_h": {"blue": 1}, "levels": {"red": 1}})])
    with pytest.raises(RuleError):
        Engine([RuleSpec("c", "other", "composite", "k", "", {"rules": ["missing"]})])
    with pytest.raises(RuleError):
        Engine([threshold(LEVELS4), threshold(LEVELS4)])


def test_empty_batch_and_metric_list_forms():
    engine = Engine([threshold(LEVELS4)])
    assert engine.evaluate(batch([]), {}, {}) == ([], {})
    b = ReadingBatch.from_arrays(np.array([1, 1]), np.array(["m", "z"]), np.array([T0, T0 + 1]), np.array([25., 1.]))
    assert b.metric_names == ("m", "z")
    changes, _ = engine.evaluate(b, devices("k"), {})
    assert [c.level for c in changes] == ["yellow"]
