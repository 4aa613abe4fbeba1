"""Rule-engine throughput: synthetic devices through the default profiles, one core.

    python bench/bench_engine.py [--devices 100000] [--readings 20] [--runs 5]

For each scenario: readings evaluated per second (median of ``--runs`` runs of ``Engine.evaluate``, batch already
built; the second of two consecutive batches, so the state carried from the first is merged in) and the
tracemalloc peak of one evaluation.  Prints figures; not a test.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import tracemalloc

import numpy as np

os.environ.setdefault("OMP_NUM_THREADS", "1")

from citysafe.early_warning.engine import DeviceSpec, Engine, ReadingBatch  # noqa: E402
from citysafe.early_warning.profiles import default_profiles  # noqa: E402

T0 = 1782835200
STATION = {"warning_level_m": 180.0, "guaranteed_level_m": 183.5, "historic_max_m": 186.0}
KIND_SETUP = {  # kind: (metric, interval s, generator of values)
    "gas_detector": ("lel_percent", 60, lambda r, n: np.clip(r.normal(3, 4, n), 0, 100)),
    "rain_gauge": ("precipitation_mm", 300, lambda r, n: r.choice([0, 0, 0, 0.5, 2, 8], n)),
    "ponding_sensor": ("depth_cm", 300, lambda r, n: np.clip(r.normal(5, 6, n), 0, 100)),
    "water_level_station": ("water_level_m", 300, lambda r, n: 178.5 + np.cumsum(r.normal(0, 0.02, n))),
    "gnss": ("displacement_mm", 3600, lambda r, n: np.cumsum(np.abs(r.normal(0.04, 0.02, n)))),
}


def make(kinds: dict[str, float], n_devices: int, per_device: int, seed: int = 0, start: int = 0):
    """A batch with ``per_device`` readings for each of ``n_devices`` devices, kinds mixed by share."""
    rng = np.random.default_rng(seed)
    devices: dict[int, DeviceSpec] = {}
    parts = []
    next_id = 1
    for kind, share in kinds.items():
        count = int(round(n_devices * share))
        metric, step, gen = KIND_SETUP[kind]
        ids = np.arange(next_id, next_id + count, dtype=np.int64)
        next_id += count
        params = STATION if kind == "water_level_station" else (
            {"constant_velocity_mm_d": 1.0} if kind == "gnss" else {})
        for i in ids.tolist():
            devices[i] = DeviceSpec(i, f"D{i}", kind, params)
        dev = np.repeat(ids, per_device)
        t = T0 + (start + np.tile(np.arange(per_device), count)) * step
        v = gen(rng, count * per_device)
        parts.append((dev, metric, t, v))
    dev = np.concatenate([p[0] for p in parts])
    metric = np.concatenate([np.full(len(p[0]), p[1], dtype=object) for p in parts])
    t = np.concatenate([p[2] for p in parts])
    v = np.concatenate([p[3] for p in parts])
    return ReadingBatch.from_arrays(dev, metric, t, v), devices


def scenario(name: str, kinds: dict[str, float], n_devices: int, per_device: int, runs: int):
    engine = Engine(default_profiles())
    first, devices = make(kinds, n_devices, per_device, seed=1, start=0)
    second, _ = make(kinds, n_devices, per_device, seed=2, start=per_device)
    _, state = engine.evaluate(first, devices, {})
    times = []
    for _ in range(runs):
        t1 = time.perf_counter()
        changes, new_state = engine.evaluate(second, devices, state)
        times.append(time.perf_counter() - t1)
    med = statistics.median(times)
    fresh_t = time.perf_counter()
    engine.evaluate(first, devices, {})
    fresh = time.perf_counter() - fresh_t
    tracemalloc.start()
    engine.evaluate(second, devices, state)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    n = len(second)
    print(f"{name:<34} {n_devices:>8,} dev x {per_device:>3} = {n:>10,} readings | "
          f"{n / med:>12,.0f} readings/s (median {med:6.3f} s; fresh state {n / fresh:>12,.0f}/s) | "
          f"peak {peak / 2**20:7.1f} MiB | {len(changes)} changes")
    return n / med, peak


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--devices", type=int, default=100_000)
    ap.add_argument("--readings", type=int, default=20, help="readings per device per batch")
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args()
    print(f"numpy {np.__version__}; {a.runs} runs, median; second batch of two (state carried)")
    scenario("threshold (gas_detector, 1/min)", {"gas_detector": 1.0}, a.devices, a.readings, a.runs)
    scenario("threshold per-device (water level)", {"water_level_station": 1.0}, a.devices, a.readings, a.runs)
    scenario("window_sum (rain_gauge, 5 min)", {"rain_gauge": 1.0}, a.devices, a.readings, a.runs)
    scenario("landslide (gnss, hourly; 2 rules)", {"gnss": 1.0}, a.devices, a.readings, a.runs)
    scenario("mixed default profiles", {"gas_detector": 0.3, "rain_gauge": 0.3, "ponding_sensor": 0.2,
                                        "water_level_station": 0.1, "gnss": 0.1}, a.devices, a.readings, a.runs)


if __name__ == "__main__":
    main()
