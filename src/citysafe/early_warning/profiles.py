"""Default rule profiles: which rules a device kind gets out of the box, with their sources.

Pure data + functions (no Django).  Values the research note (shared/reference/standards-warnings.md) marks
CONFIRMED are written as they are in the standard; everything else is a *project default*, listed in
``PROJECT_DEFAULTS`` and marked UNCONFIRMED in the rule's ``source``.  Every value can be changed through the
``overrides`` dict (e.g. from settings)::

    default_profiles({
        "flood_approaching_margin_m": 0.5,                       # a PROJECT_DEFAULTS key
        "rules": {"rainstorm_cma16": {"hysteresis": 1.0,        # any RuleSpec field of one rule
                                      "params": {"levels": {"red": 90}}},   # params are merged (dicts deeply)
                  "landslide_inverse_velocity": {"enabled": False}},
    })

Unknown keys raise ``ValueError`` so that a typo never silently keeps a default.
"""

from __future__ import annotations

import copy
from typing import Any

from citysafe.early_warning.engine import RuleSpec

#: Project defaults (UNCONFIRMED in the reference note unless stated): each is a setting with this default.
PROJECT_DEFAULTS: dict[str, Any] = {
    # GB/T 50493-2019 has two alarm levels (一级/二级报警); the 4-colour mapping is a project choice.
    "alarm_level_map": {"first": "orange", "second": "red"},
    # MWR 2013: blue = "approaching" the warning level; the margin is not defined in the text (§3.2).
    "flood_approaching_margin_m": 0.30,
    # Ponding: 15 cm (GB 50014 design criterion) is CONFIRMED as the lowest level; the steps above are not (§6).
    "ponding_levels_cm": {"blue": 15.0, "yellow": 27.0, "orange": 40.0, "red": 50.0},
    # Inverse velocity (Fukuzono 1985): time-to-failure bounds in hours (§2.4 gives no levels).
    "inverse_velocity_ttf_h": {"yellow": 168.0, "orange": 72.0, "red": 24.0},
    "inverse_velocity_fit_window_h": 120.0,
    "inverse_velocity_min_points": 4,
    # Improved tangential angle (Xu Qiang 2009): the "α ≈ 45°" tolerance is not defined (§2.5).
    "tangential_tolerance_deg": 2.0,
    "tangential_learn_days": 30.0,
    "tangential_step_h": 24.0,
    # Effective antecedent rainfall (§2.3): k, n and the level bounds have no national value.
    "antecedent_k": 0.8,
    "antecedent_n_days": 15,
    "antecedent_levels_mm": {"blue": 50.0, "yellow": 80.0, "orange": 120.0, "red": 160.0},
    "antecedent_enabled": False,
}

#: CONFIRMED values (kept here so the docs and tests can quote them).
CMA16_RAINSTORM = {"windows_h": {"blue": 12, "yellow": 6, "orange": 3, "red": 3},
                   "levels": {"blue": 50.0, "yellow": 50.0, "orange": 50.0, "red": 100.0}}
GB50493_LEL = {"first": 25.0, "second": 50.0}
GB50493_H2S_MG_M3 = {"first": 10.0, "second": 20.0}  # 100 % / 200 % of MAC 10 mg/m³ (vendor rendition of the table)
GB50493_CO_MG_M3 = {"first": 20.0, "second": 40.0}  # 100 % / 200 % of PC-TWA 20 (vendor rendition, UNCONFIRMED)
GB50493_O2_DEFICIENCY = 19.5
GB50493_O2_ENRICHMENT = 23.5
ALARM_NAMES = {"first": "一级报警", "second": "二级报警"}

_RULE_FIELDS = {"hazard_type", "rule_type", "device_kind", "metric", "params", "hysteresis", "min_duration_s",
                "source", "enabled"}


def _alarm(levels: dict[str, float], amap: dict[str, str]) -> tuple[dict, dict]:
    """Two-level alarm set points -> engine levels + names of the alarms by colour (for CAP / UI text)."""
    lv, names = {}, {}
    for which, bound in levels.items():
        colour = amap[which]
        lv[colour] = bound
        names[colour] = ALARM_NAMES[which]
    return lv, names


def _base(s: dict[str, Any]) -> list[dict]:
    amap = s["alarm_level_map"]
    lel, lel_names = _alarm(GB50493_LEL, amap)
    h2s, h2s_names = _alarm(GB50493_H2S_MG_M3, amap)
    co, co_names = _alarm(GB50493_CO_MG_M3, amap)
    tol = float(s["tangential_tolerance_deg"])
    rules = [
        dict(code="rainstorm_cma16", hazard_type="rainstorm", rule_type="window_sum", device_kind="rain_gauge",
             metric="precipitation_mm", params=copy.deepcopy(CMA16_RAINSTORM),
             source="CMA Order 16 (2007) annex, rainstorm signal: 12 h/6 h/3 h ≥ 50 mm, 3 h ≥ 100 mm "
                    "(standards-warnings.md §1.1, CONFIRMED; '以上' read as ≥)"),
        dict(code="rainstorm_cma16_weather_station", hazard_type="rainstorm", rule_type="window_sum",
             device_kind="weather_station", metric="precipitation_mm", params=copy.deepcopy(CMA16_RAINSTORM),
             source="CMA Order 16 (2007) annex, rainstorm signal (as rainstorm_cma16, for weather stations)"),
        dict(code="gas_lel_gb50493", hazard_type="gas_leak", rule_type="threshold", device_kind="gas_detector",
             metric="lel_percent", params={"levels": lel, "direction": "above", "alarm_names": lel_names},
             source="GB/T 50493-2019: 1st-level alarm ≤ 25 %LEL, 2nd-level ≤ 50 %LEL (§4.1, CONFIRMED); "
                    f"colours {amap} are a project choice (UNCONFIRMED)"),
        dict(code="toxic_h2s_gb50493", hazard_type="toxic_gas", rule_type="threshold",
             device_kind="toxic_gas_detector", metric="h2s_mg_m3",
             params={"levels": h2s, "direction": "above", "alarm_names": h2s_names},
             source="GB/T 50493-2019: 1st level ≤ 100 % OEL, 2nd ≤ 200 % OEL; H2S MAC 10 mg/m³ -> 10/20 "
                    "(§4.1; per-gas values from a vendor table, verify against GBZ 2.1)"),
        dict(code="toxic_co_gb50493", hazard_type="toxic_gas", rule_type="threshold",
             device_kind="toxic_gas_detector", metric="co_mg_m3",
             params={"levels": co, "direction": "above", "alarm_names": co_names},
             source="GB/T 50493-2019 100 %/200 % OEL; CO PC-TWA 20 mg/m³ -> 20/40 (vendor table, UNCONFIRMED)"),
        dict(code="o2_deficiency_gb50493", hazard_type="toxic_gas", rule_type="threshold",
             device_kind="toxic_gas_detector", metric="o2_percent",
             params={"levels": {amap["first"]: GB50493_O2_DEFICIENCY}, "direction": "below",
                     "alarm_names": {amap["first"]: "缺氧报警"}},
             source="GB/T 50493-2019: O2 deficiency alarm 19.5 %vol (§4.1, CONFIRMED); single-level alarm "
                    "mapped like a 1st-level alarm (project choice)"),
        dict(code="o2_enrichment_gb50493", hazard_type="toxic_gas", rule_type="threshold",
             device_kind="toxic_gas_detector", metric="o2_percent",
             params={"levels": {amap["first"]: GB50493_O2_ENRICHMENT}, "direction": "above", "strict": True,
                     "alarm_names": {amap["first"]: "富氧报警"}},
             source="GB/T 50493-2019: over-oxygen alarm 23.5 %vol (§4.1, CONFIRMED); alarm above 23.5"),
        dict(code="flood_mwr2013", hazard_type="flood", rule_type="threshold", device_kind="water_level_station",
             metric="water_level_m",
             params={"direction": "above", "levels": {},
                     "device_levels": {"yellow": "warning_level_m", "orange": "guaranteed_level_m",
                                       "red": "historic_max_m"},
                     "approaching": {"level": "blue", "of": "yellow", "margin": s["flood_approaching_margin_m"],
                                     "margin_param": "approaching_margin_m"}},
             source="MWR 水情预警发布管理办法(试行) 2013 flood signal: yellow ≥ 警戒, orange ≥ 保证, red ≥ historic "
                    "maximum (§3.2, CONFIRMED); blue 'approaching' = warning level - margin "
                    f"{s['flood_approaching_margin_m']} m (UNCONFIRMED project default; device param "
                    "approaching_margin_m overrides)"),
        dict(code="ponding_depth", hazard_type="waterlogging", rule_type="threshold", device_kind="ponding_sensor",
             metric="depth_cm", params={"levels": dict(s["ponding_levels_cm"]), "direction": "above",
                                        "strict": True},
             source="GB 50014 (2014) design criterion: lane ponding ≤ 15 cm, so > 15 cm = blue (§6, CONFIRMED); "
                    "27/40/50 cm for yellow/orange/red are UNCONFIRMED project defaults"),
        dict(code="landslide_tangential_angle", hazard_type="landslide", rule_type="tangential_angle",
             device_kind="gnss", metric="displacement_mm",
             params={"levels": {"blue": 45.0 - tol, "yellow": 45.0 + tol, "orange": 80.0, "red": 85.0},
                     "tolerance_deg": tol, "step_h": s["tangential_step_h"],
                     "learn_days": s["tangential_learn_days"], "velocity_param": "constant_velocity_mm_d"},
             source="Xu Qiang et al. 2009 (地质通报 28(4)) improved tangential angle: ≈45° blue, 45–80° yellow, "
                    "80–85° orange, ≥ 85° red (§2.5, CONFIRMED); ±tolerance, step and learning period are "
                    "UNCONFIRMED project defaults"),
        dict(code="landslide_inverse_velocity", hazard_type="landslide", rule_type="inverse_velocity",
             device_kind="gnss", metric="displacement_mm",
             params={"levels": dict(s["inverse_velocity_ttf_h"]), "direction": "below", "input": "displacement",
                     "fit_window_h": s["inverse_velocity_fit_window_h"],
                     "min_points": s["inverse_velocity_min_points"]},
             source="Fukuzono 1985 inverse-velocity method, t_f from a linear fit of 1/v on t (§2.4); "
                    "time-to-failure bounds and fit window are UNCONFIRMED project defaults"),
    ]
    if s["antecedent_enabled"]:
        rules.append(dict(
            code="landslide_antecedent_rainfall", hazard_type="landslide", rule_type="antecedent_rainfall",
            device_kind="rain_gauge", metric="precipitation_mm",
            params={"k": s["antecedent_k"], "n_days": s["antecedent_n_days"], "include_today": True,
                    "levels": dict(s["antecedent_levels_mm"]), "direction": "above"},
            source="Effective antecedent rainfall R_0 + Σ k^i R_i (§2.3); k, n and bounds UNCONFIRMED project "
                   "defaults"))
    return rules


def _merge(base: dict, extra: dict) -> dict:
    out = dict(base)
    for k, v in extra.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else copy.deepcopy(v)
    return out


def default_profiles(overrides: dict | None = None) -> list[RuleSpec]:
    """The default rules, with ``overrides`` applied (see the module docstring)."""
    overrides = dict(overrides or {})
    rule_over = overrides.pop("rules", {}) or {}
    unknown = set(overrides) - set(PROJECT_DEFAULTS)
    if unknown:
        raise ValueError(f"unknown profile settings: {', '.join(sorted(unknown))}")
    settings = _merge(PROJECT_DEFAULTS, overrides)
    for which in ("first", "second"):
        if settings["alarm_level_map"].get(which) not in ("blue", "yellow", "orange", "red"):
            raise ValueError(f"alarm_level_map[{which!r}] must be a colour")
    rules = _base(settings)
    codes = {r["code"] for r in rules}
    missing = set(rule_over) - codes
    if missing:
        raise ValueError(f"overrides for unknown rules: {', '.join(sorted(missing))}")
    out = []
    for r in rules:
        o = rule_over.get(r["code"], {})
        bad = set(o) - _RULE_FIELDS
        if bad:
            raise ValueError(f"rule {r['code']}: unknown fields {', '.join(sorted(bad))}")
        r = _merge(r, o)
        if not r.pop("enabled", True):
            continue
        out.append(RuleSpec(**r))
    return out


def profiles_for_kind(kind: str, overrides: dict | None = None) -> list[RuleSpec]:
    return [r for r in default_profiles(overrides) if r.device_kind == kind]
