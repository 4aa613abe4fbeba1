"""Value types of the rule engine: rules, devices, reading batches and level changes.

Pure Python + numpy; nothing here imports Django.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: Warning levels, ordered: index 0 = no warning, 4 = red (I).  IV blue < III yellow < II orange < I red
#: (CMA Order 16 Art. 3; standards-warnings.md §0).
LEVELS: tuple[str, ...] = ("none", "blue", "yellow", "orange", "red")
LEVEL_INDEX: dict[str, int] = {name: i for i, name in enumerate(LEVELS)}

RULE_TYPES: tuple[str, ...] = (
    "threshold", "window_sum", "window_mean", "window_max", "rate_of_change", "antecedent_rainfall",
    "inverse_velocity", "tangential_angle", "composite",
)


@dataclass(frozen=True)
class RuleSpec:
    """One rule as the engine sees it (mirrors ``early_warning.models.Rule``; see docs/rules.md for ``params``)."""

    code: str
    hazard_type: str
    rule_type: str
    device_kind: str
    metric: str
    params: dict = field(default_factory=dict)
    hysteresis: float = 0.0
    min_duration_s: int = 0
    source: str = ""


@dataclass(frozen=True)
class DeviceSpec:
    """A device: ``params`` holds per-device values such as ``warning_level_m`` of a water-level station."""

    id: int
    external_id: str
    kind: str
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class LevelChange:
    """A level transition of one rule on one device.  ``level == "none"`` means the warning cleared."""

    time_s: int
    device_id: int
    rule_code: str
    hazard_type: str
    level: str
    previous_level: str
    value: float

    def to_dict(self) -> dict[str, Any]:
        return {"time_s": self.time_s, "device_id": self.device_id, "rule_code": self.rule_code,
                "hazard_type": self.hazard_type, "level": self.level, "previous_level": self.previous_level,
                "value": self.value}


class ReadingBatch:
    """Readings as parallel arrays: device id (int64), metric code (int32, index into ``metric_names``),
    time (int64 epoch seconds, UTC) and value (float64).  Order does not matter."""

    __slots__ = ("device_ids", "metric_codes", "metric_names", "times_s", "values")

    def __init__(self, device_ids: np.ndarray, metric_codes: np.ndarray, metric_names: tuple[str, ...],
                 times_s: np.ndarray, values: np.ndarray):
        self.device_ids = np.ascontiguousarray(device_ids, dtype=np.int64)
        self.metric_codes = np.ascontiguousarray(metric_codes, dtype=np.int32)
        self.metric_names = tuple(metric_names)
        self.times_s = np.ascontiguousarray(times_s, dtype=np.int64)
        self.values = np.ascontiguousarray(values, dtype=np.float64)
        n = len(self.device_ids)
        if not (len(self.metric_codes) == len(self.times_s) == len(self.values) == n):
            raise ValueError("ReadingBatch arrays must have the same length")
        if n and (self.metric_codes.min() < 0 or self.metric_codes.max() >= len(self.metric_names)):
            raise ValueError("metric code out of range")

    def __len__(self) -> int:
        return len(self.device_ids)

    @classmethod
    def from_arrays(cls, device_ids, metrics, times_s, values) -> ReadingBatch:
        """``metrics`` is a list / array of metric names, one per reading, or a single name for all of them."""
        device_ids = np.asarray(device_ids, dtype=np.int64)
        n = len(device_ids)
        if isinstance(metrics, str):
            return cls(device_ids, np.zeros(n, dtype=np.int32), (metrics,), times_s, values)
        arr = np.asarray(metrics)
        if arr.shape != (n,):
            raise ValueError("metrics must have one name per reading")
        if n == 0:
            return cls(device_ids, np.zeros(0, dtype=np.int32), (), times_s, values)
        if arr.dtype.kind not in "UO":
            arr = arr.astype(str)
        # Fast path for the usual case of a handful of distinct metrics: compare against each candidate name.
        first = str(arr[0])
        codes = np.zeros(n, dtype=np.int32)
        names = [first]
        rest = arr != first
        while rest.any():
            i = int(np.argmax(rest))
            name = str(arr[i])
            hit = arr == name
            codes[hit] = len(names)
            names.append(name)
            rest &= ~hit
            if len(names) > 64:  # many distinct metrics: fall back to a sort
                uniq, inv = np.unique(arr.astype(str), return_inverse=True)
                return cls(device_ids, inv.astype(np.int32), tuple(str(u) for u in uniq), times_s, values)
        return cls(device_ids, codes, tuple(names), times_s, values)

    @classmethod
    def concat(cls, batches: list[ReadingBatch]) -> ReadingBatch:
        names: list[str] = []
        index: dict[str, int] = {}
        codes = []
        for b in batches:
            remap = np.array([index.setdefault(m, len(index)) for m in b.metric_names] or [0], dtype=np.int32)
            codes.append(remap[b.metric_codes])
        names = list(index)
        return cls(np.concatenate([b.device_ids for b in batches]), np.concatenate(codes), tuple(names),
                   np.concatenate([b.times_s for b in batches]), np.concatenate([b.values for b in batches]))
