"""Vectorised rule evaluators.

Every evaluator works on the *combined series* of one rule: the retained window buffers of all (rule, device)
states touched by the batch, merged with the batch's new readings, sorted by (group, time), one group per device.
It returns, for each evaluation row, the rule's value, the level the value reaches (``up``) and the level it still
holds when the hysteresis is applied (``hold``, ``hold >= up``).  The sequential state machine (``machine.py``) turns
those into level changes.  No Python loop runs per reading here: windows come from cumulative sums and
``np.searchsorted`` on a (group, time) key, level classification from comparisons against per-level bounds.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .types import LEVEL_INDEX, LEVELS, RuleSpec

DAY_S = 86400
HOUR_S = 3600
_ROUND = 9  # aggregates are rounded to 1e-9 so that 49.9 + 0.1 compares equal to 50.0


class RuleError(ValueError):
    """A rule's parameters are invalid."""


@dataclass
class Comb:
    """The combined series of one rule (see module docstring)."""

    g: np.ndarray  # int64 group index per row
    t: np.ndarray  # int64 epoch seconds
    v: np.ndarray  # float64
    key: np.ndarray  # int64 (g << 34) | (t - t0): strictly increasing
    t0: int
    gstart: np.ndarray  # int64 first row of each group
    gend: np.ndarray  # int64 one past the last row of each group
    ev: np.ndarray  # int64 rows evaluated (sorted)
    device_params: list[dict]  # per group
    extra: list[dict | None]  # per group: rule-specific state carried in the state dict ("extra")
    new_extra: list[dict | None] = field(default_factory=list)


def _levels_array(levels: dict, code: str) -> np.ndarray:
    """{"blue": x, ...} -> float array [blue, yellow, orange, red], NaN where a level is not used."""
    out = np.full(4, np.nan)
    for name, bound in (levels or {}).items():
        if name not in LEVEL_INDEX or name == "none":
            raise RuleError(f"rule {code}: unknown level {name!r} (use {', '.join(LEVELS[1:])})")
        if bound is None:
            continue
        out[LEVEL_INDEX[name] - 1] = float(bound)
    return out


def _effective(oriented: np.ndarray) -> np.ndarray:
    """Per-level bounds (oriented so that higher is worse; NaN = unused) -> non-decreasing bounds such that
    ``count(eff <= x)`` is the highest level whose bound ``x`` reaches.  Works on (4,) or (G, 4)."""
    b = np.where(np.isnan(oriented), np.inf, oriented)
    # eff[i] = min(b[i:]): reverse cumulative minimum
    return np.minimum.accumulate(b[..., ::-1], axis=-1)[..., ::-1]


def classify(x: np.ndarray, eff: np.ndarray, strict: bool = False, groups: np.ndarray | None = None) -> np.ndarray:
    """Level index (0..4) of oriented values ``x`` against effective bounds (static (4,) or per group (G, 4))."""
    x = np.where(np.isnan(x), -np.inf, x)
    if eff.ndim == 1:
        return np.searchsorted(eff, x, side="left" if strict else "right").astype(np.int8)
    e = eff[groups]
    if strict:
        return (x[:, None] > e).sum(axis=1).astype(np.int8)
    return (x[:, None] >= e).sum(axis=1).astype(np.int8)


class Compiled(ABC):
    """A compiled rule: validated parameters plus ``evaluate(comb) -> (value, up, hold)``."""

    horizon_s: int = 0  # history the rule needs behind the last reading (window buffer length)
    uses_extra = False

    def __init__(self, spec: RuleSpec):
        self.spec = spec
        self.code = spec.code
        p = spec.params or {}
        self.params = p
        direction = p.get("direction", "above")
        if direction not in ("above", "below"):
            raise RuleError(f"rule {spec.code}: direction must be 'above' or 'below'")
        self.sign = 1.0 if direction == "above" else -1.0
        self.strict = bool(p.get("strict", False))
        self.h = float(spec.hysteresis or 0.0)
        if self.h < 0:
            raise RuleError(f"rule {spec.code}: hysteresis must be >= 0")

    # helpers -------------------------------------------------------------------------------------------------
    def _bounds(self, levels: dict) -> np.ndarray:
        return _effective(self.sign * _levels_array(levels, self.code))

    def _classify_value(self, value: np.ndarray, eff: np.ndarray, groups=None) -> tuple[np.ndarray, np.ndarray]:
        x = self.sign * value
        up = classify(x, eff, self.strict, groups)
        hold = classify(x + self.h, eff, self.strict, groups) if self.h else up
        return up, hold

    @abstractmethod
    def evaluate(self, c: Comb) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per reading: (up level, hold level, value) arrays for one (rule, device) group."""


class Threshold(Compiled):
    """Per-level bounds on the reading itself; bounds may come from the device's params (``device_levels``)."""

    def __init__(self, spec: RuleSpec):
        super().__init__(spec)
        p = self.params
        self.levels = _levels_array(p.get("levels", {}), self.code)
        self.device_levels: dict[str, str] = p.get("device_levels") or {}
        for name in self.device_levels:
            _levels_array({name: 0}, self.code)
        self.approaching = p.get("approaching")  # {"level": "blue", "of": "yellow", "margin": 0.3, "margin_param": ...}
        if self.approaching:
            for k in ("level", "of"):
                _levels_array({self.approaching[k]: 0}, self.code)
        self.per_device = bool(self.device_levels or self.approaching)
        if not self.per_device and np.isnan(self.levels).all():
            raise RuleError(f"rule {self.code}: no levels")
        self.eff = self._bounds(p.get("levels", {}))

    def device_bounds(self, params: dict) -> np.ndarray:
        lv = self.levels.copy()
        for name, key in self.device_levels.items():
            val = params.get(key)
            if val is not None:
                lv[LEVEL_INDEX[name] - 1] = float(val)
        if self.approaching:
            a = self.approaching
            of = lv[LEVEL_INDEX[a["of"]] - 1]
            margin = params.get(a.get("margin_param", ""), a.get("margin"))
            if not np.isnan(of) and margin is not None:
                lv[LEVEL_INDEX[a["level"]] - 1] = of - self.sign * float(margin)
        return lv

    def value(self, c: Comb) -> np.ndarray:
        return c.v[c.ev]

    def evaluate(self, c: Comb):
        val = self.value(c)
        if self.per_device:
            G = len(c.gstart)
            lv = np.array([self.device_bounds(c.device_params[i] or {}) for i in range(G)]).reshape(G, 4)
            eff = _effective(self.sign * lv)
            up, hold = self._classify_value(val, eff, c.g[c.ev])
        else:
            up, hold = self._classify_value(val, self.eff)
        return val, up, hold


def _window_start(c: Comb, rows: np.ndarray, window_s: int, inclusive: bool) -> np.ndarray:
    """First row of the window ending at each of ``rows``: (t - W, t] or, if ``inclusive``, [t - W, t]."""
    return np.searchsorted(c.key, c.key[rows] - window_s, side="left" if inclusive else "right")


class Window(Compiled):
    """window_sum / window_mean / window_max: per level a (window, amount) pair, level = highest one met."""

    def __init__(self, spec: RuleSpec):
        super().__init__(spec)
        p = self.params
        windows = p.get("windows_h") or {}
        amounts = p.get("levels") or {}
        if set(windows) != set(amounts) or not amounts:
            raise RuleError(f"rule {self.code}: windows_h and levels must name the same levels")
        self.pairs: list[tuple[int, int, float]] = []  # (level index, window seconds, amount)
        for name in amounts:
            _levels_array({name: 0}, self.code)
            w = float(windows[name])
            if w <= 0:
                raise RuleError(f"rule {self.code}: window of {name} must be > 0 h")
            self.pairs.append((LEVEL_INDEX[name], int(round(w * HOUR_S)), float(amounts[name])))
        self.pairs.sort()
        self.horizon_s = max(w for _, w, _ in self.pairs)
        self.agg = spec.rule_type.removeprefix("window_")

    def _aggregate(self, c: Comb, window_s: int, cache: dict) -> np.ndarray:
        if window_s in cache:
            return cache[window_s]
        ev = c.ev
        start = _window_start(c, ev, window_s, inclusive=False)
        if self.agg in ("sum", "mean"):
            if "cs" not in cache:
                cache["cs"] = np.concatenate(([0.0], np.cumsum(c.v, dtype=np.longdouble)))
            cs = cache["cs"]
            out = np.asarray(cs[ev + 1] - cs[start], dtype=np.float64)
            if self.agg == "mean":
                out = out / (ev + 1 - start)
        else:  # max of the oriented values (min for direction "below")
            out = self.sign * _range_max(self.sign * c.v, start, ev + 1, cache)
        out = np.round(out, _ROUND)
        cache[window_s] = out
        return out

    def evaluate(self, c: Comb):
        cache: dict = {}
        n = len(c.ev)
        up = np.zeros(n, dtype=np.int8)
        hold = np.zeros(n, dtype=np.int8)
        aggs = {}
        for lvl, w, amount in self.pairs:
            agg = self._aggregate(c, w, cache)
            aggs[lvl] = agg
            x = self.sign * agg
            a = self.sign * amount
            met = (x > a) if self.strict else (x >= a)
            up = np.where(met, np.int8(lvl), up)
            if self.h:
                met_h = (x + self.h > a) if self.strict else (x + self.h >= a)
                hold = np.where(met_h, np.int8(lvl), hold)
        if not self.h:
            hold = up
        else:
            hold = np.maximum(hold, up)
        # value: the aggregate over the window of the level reached (of the lowest level when none is reached)
        lowest = self.pairs[0][0]
        val = aggs[lowest].copy()
        for lvl, _, _ in self.pairs[1:]:
            val = np.where(up == lvl, aggs[lvl], val)
        return val, up, hold


def _range_max(x: np.ndarray, lo: np.ndarray, hi: np.ndarray, cache: dict) -> np.ndarray:
    """max(x[lo:hi]) for many ranges at once with a sparse table (only the levels the widest range needs)."""
    length = hi - lo
    out = np.full(len(lo), -np.inf)
    ok = length > 0
    if not ok.any():
        return out
    k = np.zeros(len(lo), dtype=np.int64)
    k[ok] = np.floor(np.log2(length[ok])).astype(np.int64)
    table = cache.setdefault("sparse", [x])
    while len(table) <= int(k.max()):
        prev = table[-1]
        step = 1 << (len(table) - 1)
        nxt = prev.copy()
        nxt[:-step] = np.maximum(prev[:-step], prev[step:])
        table.append(nxt)
    for kk in np.unique(k[ok]):
        sel = ok & (k == kk)
        tab = table[kk]
        a = lo[sel]
        b = hi[sel] - (1 << int(kk))
        out[sel] = np.maximum(tab[a], tab[b])
    return out


class RateOfChange(Compiled):
    """d(value)/dt in units per hour between the first reading in [t - window, t] and the reading at t."""

    def __init__(self, spec: RuleSpec):
        super().__init__(spec)
        p = self.params
        self.window_s = int(round(float(p.get("window_h", 1.0)) * HOUR_S))
        if self.window_s <= 0:
            raise RuleError(f"rule {self.code}: window_h must be > 0")
        self.absolute = bool(p.get("absolute", False))
        self.eff = self._bounds(p.get("levels", {}))
        self.horizon_s = self.window_s

    def evaluate(self, c: Comb):
        ev = c.ev
        start = _window_start(c, ev, self.window_s, inclusive=True)
        dt = (c.t[ev] - c.t[start]).astype(np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = np.where(dt > 0, (c.v[ev] - c.v[start]) / dt * HOUR_S, np.nan)
        if self.absolute:
            rate = np.abs(rate)
        rate = np.round(rate, _ROUND)
        up, hold = self._classify_value(rate, self.eff)
        return rate, up, hold


class AntecedentRainfall(Compiled):
    """R = [R_0 +] Σ_{i=1..n} k^i R_i over daily totals (days in UTC+8 by default); per-level bounds on R."""

    def __init__(self, spec: RuleSpec):
        super().__init__(spec)
        p = self.params
        self.k = float(p.get("k", 0.8))
        self.n = int(p.get("n_days", 15))
        self.include_today = bool(p.get("include_today", True))
        self.tz_offset_s = int(p.get("tz_offset_h", 8) * HOUR_S)
        if not (0 < self.k <= 1) or self.n < 1:
            raise RuleError(f"rule {self.code}: need 0 < k <= 1 and n_days >= 1")
        self.eff = self._bounds(p.get("levels", {}))
        self.horizon_s = (self.n + 1) * DAY_S

    def evaluate(self, c: Comb):
        ev = c.ev
        day = (c.t + self.tz_offset_s) // DAY_S
        d0 = int(day.min()) if len(day) else 0
        gd = (c.g << 24) | (day - d0)  # sorted, since rows are sorted by (group, time)
        bounds = np.flatnonzero(np.diff(gd)) + 1
        day_start = np.concatenate(([0], bounds))
        day_keys = gd[day_start]
        totals = np.add.reduceat(c.v, day_start) if len(c.v) else np.zeros(0)
        cs = np.concatenate(([0.0], np.cumsum(c.v, dtype=np.longdouble)))
        ev_day_pos = np.searchsorted(day_keys, gd[ev], side="right") - 1
        r = np.zeros(len(ev))
        if self.include_today:
            r += np.asarray(cs[ev + 1] - cs[day_start[ev_day_pos]], dtype=np.float64)
        for i in range(1, self.n + 1):
            want = gd[ev] - i
            pos = np.searchsorted(day_keys, want)
            pos_c = np.minimum(pos, len(day_keys) - 1)
            hit = (pos < len(day_keys)) & (day_keys[pos_c] == want) & (want >= (c.g[ev] << 24))
            r += np.where(hit, totals[pos_c], 0.0) * self.k ** i
        r = np.round(r, _ROUND)
        up, hold = self._classify_value(r, self.eff)
        return r, up, hold


def fukuzono_failure_time(t: np.ndarray, inv_v: np.ndarray) -> float:
    """t_f of the inverse-velocity method: the t-intercept of a least-squares line through (t, 1/v)."""
    slope, intercept = np.polyfit(np.asarray(t, float), np.asarray(inv_v, float), 1)
    return float(-intercept / slope)


class InverseVelocity(Compiled):
    """Fukuzono (1985): fit 1/v = a + b·t over the recent window; if b < 0 (accelerating), t_f = -a/b and the
    value is the time to failure t_f - t in hours; levels are upper bounds on it (direction "below")."""

    def __init__(self, spec: RuleSpec):
        super().__init__(spec)
        p = self.params
        if p.get("direction", "below") != "below":
            raise RuleError(f"rule {self.code}: inverse_velocity levels are time-to-failure upper bounds")
        self.sign = -1.0
        self.input = p.get("input", "displacement")
        if self.input not in ("displacement", "velocity"):
            raise RuleError(f"rule {self.code}: input must be 'displacement' or 'velocity'")
        self.fit_window_s = int(round(float(p.get("fit_window_h", 120)) * HOUR_S))
        self.min_points = max(2, int(p.get("min_points", 4)))
        self.min_velocity = float(p.get("min_velocity_mm_d", 0.0))
        self.eff = self._bounds(p.get("levels", {}))
        self.horizon_s = 2 * self.fit_window_s

    def evaluate(self, c: Comb):
        ev = c.ev
        n = len(c.t)
        first = np.zeros(n, dtype=bool)
        first[c.gstart] = True
        tg0 = c.t[c.gstart][c.g]  # group's first time: x relative to it keeps the sums small
        if self.input == "displacement":
            prev = np.arange(n) - 1
            prev[c.gstart] = c.gstart
            dt_d = (c.t - c.t[prev]) / DAY_S
            with np.errstate(divide="ignore", invalid="ignore"):
                vel = np.where(first, np.nan, (c.v - c.v[prev]) / dt_d)
            tm2 = c.t + c.t[prev]  # twice the midpoint time (an integer)
            x = (tm2 / 2.0 - tg0) / DAY_S
            key = (c.g << 35) | (tm2 - 2 * c.t0)
            ev_key = (c.g[ev] << 35) | (2 * (c.t[ev] - c.t0))
            start = np.searchsorted(key, ev_key - 2 * self.fit_window_s, side="right")
        else:
            vel = c.v.copy()
            x = (c.t - tg0) / DAY_S
            start = _window_start(c, ev, self.fit_window_s, inclusive=True)
        struct = first if self.input == "displacement" else np.zeros(n, dtype=bool)
        bad = ~struct & ~(vel > self.min_velocity)
        w = (~struct & ~bad).astype(np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            y = np.where(w > 0, 1.0 / vel, 0.0)
        xw = x * w

        def cums(a):
            return np.concatenate(([0.0], np.cumsum(a, dtype=np.longdouble)))

        def wsum(cs):
            return np.asarray(cs[ev + 1] - cs[start], dtype=np.float64)

        s0, sx, sy = wsum(cums(w)), wsum(cums(xw)), wsum(cums(y))
        sxx, sxy = wsum(cums(xw * x)), wsum(cums(xw * y))
        nbad = wsum(cums(bad.astype(np.float64)))
        den = s0 * sxx - sx * sx
        with np.errstate(divide="ignore", invalid="ignore"):
            slope = (s0 * sxy - sx * sy) / den
            intercept = (sy - slope * sx) / s0
            tf = -intercept / slope
        ok = (s0 >= self.min_points) & (nbad < 0.5) & (den > 1e-12) & (slope < 0)
        x_ev = (c.t[ev] - tg0[ev]) / DAY_S
        ttf_h = np.where(ok, (tf - x_ev) * 24.0, np.nan)
        ttf_h = np.round(ttf_h, _ROUND)
        up, hold = self._classify_value(ttf_h, self.eff)
        return ttf_h, up, hold


class TangentialAngle(Compiled):
    """Improved tangential angle (Xu Qiang et al. 2009): α = arctan(ΔS / (v·Δt)) in degrees, ΔS the displacement
    over the last ``step_h`` (from the latest reading at or before t - step), v the constant-velocity rate (mm/d)
    from the device param ``velocity_param``, the rule param ``velocity_mm_d``, or learned over the first
    ``learn_days`` of data (kept in the state)."""

    uses_extra = True

    def __init__(self, spec: RuleSpec):
        super().__init__(spec)
        p = self.params
        self.step_s = int(round(float(p.get("step_h", 24)) * HOUR_S))
        self.velocity = p.get("velocity_mm_d")
        self.velocity_param = p.get("velocity_param", "constant_velocity_mm_d")
        self.learn_s = int(round(float(p.get("learn_days", 30)) * DAY_S))
        self.eff = self._bounds(p.get("levels", {}))
        self.horizon_s = 2 * self.step_s

    def evaluate(self, c: Comb):
        ev = c.ev
        G = len(c.gstart)
        vel_g = np.full(G, np.nan)
        learn_t = np.full(G, np.iinfo(np.int64).max, dtype=np.int64)  # rows before this time have no velocity yet
        c.new_extra = [None] * G
        gstart = c.gstart.tolist()
        gend = c.gend.tolist()
        for i in range(G):
            fixed = (c.device_params[i] or {}).get(self.velocity_param, self.velocity)
            if fixed is not None:
                vel_g[i] = float(fixed)
                learn_t[i] = np.iinfo(np.int64).min
                continue
            ex = dict(c.extra[i] or {})
            if "v" in ex:
                vel_g[i] = ex["v"]
                learn_t[i] = ex["at"]
            else:
                if "t0" not in ex:
                    ex["t0"], ex["s0"] = int(c.t[gstart[i]]), float(c.v[gstart[i]])
                a, b = gstart[i], gend[i]
                j = a + int(np.searchsorted(c.t[a:b], ex["t0"] + self.learn_s, side="left"))
                if j < b:
                    dt_d = (int(c.t[j]) - ex["t0"]) / DAY_S
                    ex["v"] = (float(c.v[j]) - ex["s0"]) / dt_d
                    ex["at"] = int(c.t[j])
                    vel_g[i] = ex["v"]
                    learn_t[i] = ex["at"]
            c.new_extra[i] = ex
        prev = np.searchsorted(c.key, c.key[ev] - self.step_s, side="right") - 1
        g_ev = c.g[ev]
        ok = (prev >= c.gstart[g_ev]) & (c.t[ev] >= learn_t[g_ev])
        prev = np.maximum(prev, 0)
        vv = vel_g[g_ev]
        with np.errstate(divide="ignore", invalid="ignore"):
            dt_d = (c.t[ev] - c.t[prev]) / DAY_S
            alpha = np.degrees(np.arctan((c.v[ev] - c.v[prev]) / (vv * dt_d)))
        alpha = np.where(ok & (vv > 0), alpha, np.nan)
        alpha = np.round(alpha, _ROUND)
        up, hold = self._classify_value(alpha, self.eff)
        return alpha, up, hold


class Composite(Compiled):
    """Level = min (mode "all") or max (mode "any") of other rules' levels on the same device."""

    def __init__(self, spec: RuleSpec):
        super().__init__(spec)
        p = self.params
        self.mode = p.get("mode", "any")
        if self.mode not in ("any", "all"):
            raise RuleError(f"rule {self.code}: mode must be 'any' or 'all'")
        self.members: list[str] = list(p.get("rules") or [])
        if not self.members:
            raise RuleError(f"rule {self.code}: composite needs rules")

    def evaluate(self, c: Comb):
        """Composites have no readings of their own: the engine combines their members' levels."""
        raise RuleError(f"rule {self.code}: a composite is evaluated from its member rules, not from readings")


COMPILERS: dict[str, type[Compiled]] = {
    "threshold": Threshold,
    "window_sum": Window,
    "window_mean": Window,
    "window_max": Window,
    "rate_of_change": RateOfChange,
    "antecedent_rainfall": AntecedentRainfall,
    "inverse_velocity": InverseVelocity,
    "tangential_angle": TangentialAngle,
    "composite": Composite,
}


def compile_rule(spec: RuleSpec) -> Compiled:
    try:
        cls = COMPILERS[spec.rule_type]
    except KeyError:
        raise RuleError(f"rule {spec.code}: unknown rule type {spec.rule_type!r}") from None
    if spec.min_duration_s < 0:
        raise RuleError(f"rule {spec.code}: min_duration_s must be >= 0")
    return cls(spec)


def jsonable(x: Any) -> Any:
    """NaN/inf -> None, numpy scalars -> Python."""
    if isinstance(x, (float, np.floating)):
        f = float(x)
        return f if np.isfinite(f) else None
    if isinstance(x, np.integer):
        return int(x)
    return x
