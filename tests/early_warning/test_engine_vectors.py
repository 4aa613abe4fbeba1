"""The reference's test vectors (shared/reference/standards-warnings.md), through the default profiles."""

import math

import numpy as np
import pytest

from citysafe.early_warning.engine import Engine, RuleSpec, fukuzono_failure_time
from citysafe.early_warning.profiles import default_profiles

from ._helpers import T0, D, H, devices, final_level, levels, run

PROFILES = Engine(default_profiles())


def rain(values_by_time):
    return [(1, "precipitation_mm", T0 + t, v) for t, v in values_by_time]


def test_50mm_in_3h_is_orange_rainstorm():
    # 10 mm every 30 min: the 5th reading makes 50 mm in 3 h (and 6 h, 12 h) -> orange in one step
    changes, state = run(PROFILES, rain([(1800 * i, 10.0) for i in range(1, 6)]), devices("rain_gauge"))
    assert levels(changes) == [(T0 + 9000, 1, "orange")]
    assert changes[0].rule_code == "rainstorm_cma16" and changes[0].hazard_type == "rainstorm"
    assert changes[0].previous_level == "none" and changes[0].value == 50.0
    assert state[("rainstorm_cma16", 1)]["level"] == "orange"


@pytest.mark.parametrize("readings, expected", [
    # R12h = 49.9, R6h = 30, R3h = 20 -> none
    ([(0, 19.9), (7 * H, 10.0), (10 * H, 20.0)], "none"),
    ([(0, 20.0), (7 * H, 10.0), (10 * H, 20.0)], "blue"),  # R12h = 50.0
    ([(0, 22.0), (5 * H, 30.0)], "yellow"),  # R6h = 52
    ([(0, 60.0)], "orange"),  # R3h = 60
    ([(0, 100.0)], "red"),  # R3h = 100
    ([(0, 20.1), (4 * H, 99.9)], "orange"),  # R3h = 99.9, R6h = 120: no 6 h red clause
])
def test_rainstorm_vectors(readings, expected):
    changes, _ = run(PROFILES, rain(readings), devices("rain_gauge"))
    assert final_level(changes) == expected


def test_rainstorm_decimal_sums_meet_the_bound():
    # 0.1 + ... must compare equal to 50.0 (aggregates are rounded to 1e-9)
    changes, _ = run(PROFILES, rain([(60 * i, 0.1) for i in range(1, 501)]), devices("rain_gauge"))
    assert levels(changes)[0][2] == "blue" or levels(changes)[0][2] == "orange"
    assert changes[0].time_s == T0 + 60 * 500


@pytest.mark.parametrize("lel, expected", [(18.0, "none"), (20.0, "none"), (25.0, "orange"), (35.0, "orange"),
                                           (50.0, "red")])
def test_gas_lel_vectors(lel, expected):
    changes, _ = run(PROFILES, [(1, "lel_percent", T0, lel)], devices("gas_detector"))
    assert final_level(changes) == expected


def test_25_lel_is_the_first_gas_alarm_level():
    rule = next(r for r in default_profiles() if r.code == "gas_lel_gb50493")
    changes, _ = run(PROFILES, [(1, "lel_percent", T0, 25.0)], devices("gas_detector"))
    assert changes[0].rule_code == "gas_lel_gb50493" and changes[0].hazard_type == "gas_leak"
    assert rule.params["alarm_names"][changes[0].level] == "一级报警"
    changes, _ = run(PROFILES, [(1, "lel_percent", T0, 50.0)], devices("gas_detector"))
    assert rule.params["alarm_names"][changes[0].level] == "二级报警"


def test_alarm_level_map_is_a_setting():
    engine = Engine(default_profiles({"alarm_level_map": {"first": "yellow", "second": "red"}}))
    changes, _ = run(engine, [(1, "lel_percent", T0, 25.0)], devices("gas_detector"))
    assert changes[0].level == "yellow"


@pytest.mark.parametrize("metric, value, rule, expected", [
    ("h2s_mg_m3", 9.9, "toxic_h2s_gb50493", "none"),
    ("h2s_mg_m3", 10.0, "toxic_h2s_gb50493", "orange"),
    ("h2s_mg_m3", 20.0, "toxic_h2s_gb50493", "red"),
    ("o2_percent", 20.9, "o2_deficiency_gb50493", "none"),
    ("o2_percent", 19.4, "o2_deficiency_gb50493", "orange"),
    ("o2_percent", 23.6, "o2_enrichment_gb50493", "orange"),
])
def test_toxic_and_oxygen_vectors(metric, value, rule, expected):
    changes, state = run(PROFILES, [(1, metric, T0, value)], devices("toxic_gas_detector"))
    assert state[(rule, 1)]["level"] == expected
    if expected != "none":
        assert [c.rule_code for c in changes] == [rule]


def test_normal_oxygen_raises_nothing():
    changes, _ = run(PROFILES, [(1, "o2_percent", T0, 20.9), (1, "o2_percent", T0 + 60, 23.5)],
                     devices("toxic_gas_detector"))
    assert changes == []  # 23.5 itself is not "over" 23.5


STATION = {"warning_level_m": 180.0, "guaranteed_level_m": 183.5, "historic_max_m": 186.0}


@pytest.mark.parametrize("level_m, expected", [(179.60, "none"), (179.75, "blue"), (180.00, "yellow"),
                                               (183.50, "orange"), (186.00, "red")])
def test_river_flood_vectors(level_m, expected):
    # hypothetical station of §3.2, approaching margin 0.30 m (project default)
    changes, _ = run(PROFILES, [(1, "water_level_m", T0, level_m)], devices("water_level_station", params=STATION))
    assert final_level(changes) == expected


def test_river_flood_sequence_and_per_device_margin():
    seq = [179.60, 179.75, 180.00, 183.50, 186.00]
    readings = [(1, "water_level_m", T0 + i * H, v) for i, v in enumerate(seq)]
    changes, _ = run(PROFILES, readings, devices("water_level_station", params=STATION))
    assert [(c.previous_level, c.level) for c in changes] == [("none", "blue"), ("blue", "yellow"),
                                                              ("yellow", "orange"), ("orange", "red")]
    params = dict(STATION, approaching_margin_m=0.5)
    changes, _ = run(PROFILES, [(1, "water_level_m", T0, 179.60)], devices("water_level_station", params=params))
    assert final_level(changes) == "blue"


def test_station_without_levels_raises_nothing():
    changes, _ = run(PROFILES, [(1, "water_level_m", T0, 500.0)], devices("water_level_station"))
    assert changes == []


@pytest.mark.parametrize("depth, expected", [(15.0, "none"), (15.1, "blue"), (27.5, "yellow"), (45.0, "orange"),
                                             (60.0, "red")])
def test_ponding_vectors(depth, expected):
    changes, _ = run(PROFILES, [(1, "depth_cm", T0, depth)], devices("ponding_sensor"))
    assert final_level(changes) == expected


@pytest.mark.parametrize("ds, alpha, expected", [(0.5, 26.565, "none"), (1.0, 45.0, "blue"), (2.0, 63.435, "yellow"),
                                                 (6.0, 80.538, "orange"), (12.0, 85.236, "red")])
def test_tangential_angle_vectors(ds, alpha, expected):
    readings = [(1, "displacement_mm", T0, 100.0), (1, "displacement_mm", T0 + D, 100.0 + ds)]
    changes, state = run(PROFILES, readings, devices("gnss", params={"constant_velocity_mm_d": 1.0}))
    st = state[("landslide_tangential_angle", 1)]
    assert st["level"] == expected
    assert st["value"] == pytest.approx(alpha, abs=1e-3)


def test_tangential_angle_learns_the_constant_velocity():
    # 30 days at 2 mm/d (learning), then a 12 mm day: α = arctan(12/2) = 80.54° -> orange
    readings = [(1, "displacement_mm", T0 + i * D, 2.0 * i) for i in range(31)]
    readings.append((1, "displacement_mm", T0 + 31 * D, 60.0 + 12.0))
    engine = Engine([r for r in default_profiles() if r.code == "landslide_tangential_angle"])
    changes, state = run(engine, readings, devices("gnss"))
    st = state[("landslide_tangential_angle", 1)]
    assert st["extra"]["v"] == pytest.approx(2.0)
    assert [(c.time_s, c.previous_level, c.level) for c in changes] == [(T0 + 30 * D, "none", "blue"),
                                                                        (T0 + 31 * D, "blue", "orange")]
    assert changes[-1].value == pytest.approx(math.degrees(math.atan(6.0)), abs=1e-6)


# Fukuzono synthetic vector: A = 2 d²/mm, t_f = 5 d
FUK_T = [0, 1, 2, 3, 4]
FUK_INV_V = [10, 8, 6, 4, 2]
FUK_S = [0.0, 0.111572, 0.255413, 0.458145, 0.804719]


def test_fukuzono_fit_is_exact():
    assert fukuzono_failure_time(np.array(FUK_T), np.array(FUK_INV_V)) == pytest.approx(5.0, abs=1e-12)


def test_inverse_velocity_fed_velocities_gives_tf_5_days():
    rule = RuleSpec("iv", "landslide", "inverse_velocity", "gnss", "velocity_mm_d",
                    {"input": "velocity", "levels": {"yellow": 168, "orange": 72, "red": 24},
                     "fit_window_h": 120, "min_points": 4})
    readings = [(1, "velocity_mm_d", T0 + t * D, 1.0 / iv) for t, iv in zip(FUK_T, FUK_INV_V)]
    changes, state = run(rule, readings, devices("gnss"))
    ttf_h = state[("iv", 1)]["value"]
    assert 4 + ttf_h / 24 == pytest.approx(5.000, abs=1e-9)  # t_f = 5.000 d
    # at t = 3 d: 4 points, t_f = 5 -> 48 h (orange); at t = 4 d: 24 h (red, bound inclusive)
    assert [(c.time_s, c.level, c.value) for c in changes] == [(T0 + 3 * D, "orange", pytest.approx(48.0)),
                                                               (T0 + 4 * D, "red", pytest.approx(24.0))]


def test_inverse_velocity_from_displacement_within_tolerance():
    readings = [(1, "displacement_mm", T0 + t * D, s) for t, s in zip(FUK_T, FUK_S)]
    changes, state = run(PROFILES, readings, devices("gnss"))
    ttf_h = state[("landslide_inverse_velocity", 1)]["value"]
    # velocities from finite differences at the midpoints: t_f = 4.93 d instead of 5 (the reference warns of it)
    assert 4 + ttf_h / 24 == pytest.approx(5.0, abs=0.1)
    assert state[("landslide_inverse_velocity", 1)]["level"] == "red"


def test_inverse_velocity_needs_acceleration():
    readings = [(1, "displacement_mm", T0 + t * D, 1.0 * t) for t in range(8)]  # constant velocity
    changes, state = run(PROFILES, readings, devices("gnss"))
    assert state[("landslide_inverse_velocity", 1)]["level"] == "none"
    assert not [c for c in changes if c.rule_code == "landslide_inverse_velocity"]


def test_antecedent_rainfall_vector():
    # k = 0.8, [R1, R2, R3] = [10, 20, 30] -> R_eff = 36.16 (today's rain 0)
    rule = RuleSpec("ante", "landslide", "antecedent_rainfall", "rain_gauge", "precipitation_mm",
                    {"k": 0.8, "n_days": 15, "include_today": True, "levels": {"blue": 36.16}})
    day = T0 + 12 * H  # midday, Asia/Shanghai
    readings = [(1, "precipitation_mm", day - 3 * D, 30.0), (1, "precipitation_mm", day - 2 * D, 20.0),
                (1, "precipitation_mm", day - D, 10.0), (1, "precipitation_mm", day, 0.0)]
    changes, state = run(rule, readings, devices("rain_gauge"))
    assert state[("ante", 1)]["value"] == pytest.approx(36.16, abs=1e-9)
    assert state[("ante", 1)]["level"] == "blue"
    # the formula without today's rain (Σ_{i>=1} only), evaluated on the next day
    rule = RuleSpec("ante", "landslide", "antecedent_rainfall", "rain_gauge", "precipitation_mm",
                    {"k": 0.8, "n_days": 15, "include_today": False, "levels": {"blue": 36.16}})
    changes, state = run(rule, readings[:3] + [(1, "precipitation_mm", day, 5.0)], devices("rain_gauge"))
    assert state[("ante", 1)]["value"] == pytest.approx(36.16, abs=1e-9)
    assert levels(changes) == [(day, 1, "blue")]


def test_antecedent_rainfall_defaults_are_off_and_configurable():
    assert not [r for r in default_profiles() if r.rule_type == "antecedent_rainfall"]
    rules = default_profiles({"antecedent_enabled": True, "antecedent_k": 0.85})
    ante = next(r for r in rules if r.rule_type == "antecedent_rainfall")
    assert ante.params["k"] == 0.85 and "UNCONFIRMED" in ante.source
