"""Helpers of the pure engine tests (no database, no Django)."""

import numpy as np

from citysafe.early_warning.engine import DeviceSpec, Engine, ReadingBatch, RuleSpec

T0 = 1782835200  # 2026-07-01T00:00:00+08:00
H = 3600
D = 86400


def batch(readings):
    """readings: iterable of (device_id, metric, time_s, value)."""
    readings = list(readings)
    return ReadingBatch.from_arrays(np.array([r[0] for r in readings], dtype=np.int64),
                                    [r[1] for r in readings],
                                    np.array([r[2] for r in readings], dtype=np.int64),
                                    np.array([r[3] for r in readings], dtype=np.float64))


def devices(kind, ids=(1,), params=None):
    return {i: DeviceSpec(i, f"D{i}", kind, dict(params or {})) for i in ids}


def run(rules, readings, devs, state=None):
    engine = rules if isinstance(rules, Engine) else Engine(rules if isinstance(rules, list) else [rules])
    return engine.evaluate(batch(readings), devs, state if state is not None else {})


def levels(changes):
    return [(c.time_s, c.device_id, c.level) for c in changes]


def final_level(changes, default="none"):
    return changes[-1].level if changes else default


def threshold(levels_, direction="above", **kw):
    return RuleSpec(kw.pop("code", "thr"), kw.pop("hazard_type", "other"), "threshold", kw.pop("device_kind", "k"),
                    kw.pop("metric", "m"), {"levels": levels_, "direction": direction, **kw.pop("params", {})}, **kw)
