"""Sector-and-weather join (行业+气象): risk points inside a warning area, shapely 2 STRtree, one core.

    python bench/bench_sector_join.py [--points 100000] [--district 500101] [--runs 200] [--builds 20]

Points: ``--points`` uniform random (seeded) over Chongqing's bounding box.  Area: the boundary of ``--district``
(default 万州区, a district-sized real outline, from ``core/data/chongqing_boundaries.geojson``).  Prints the tree
build time (median of ``--builds``), the join time (``sector.join`` on a built tree: median and p95 of ``--runs``),
build + one join (what one derivation costs when the tree is not kept), the hits, and the tracemalloc peak of
build + join (Python and numpy allocations only: GEOS allocates outside its view) and the process's peak RSS
before and after (``ru_maxrss``, which does see GEOS).  Prints figures; not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import time
import tracemalloc
from pathlib import Path

import numpy as np

os.environ.setdefault("OMP_NUM_THREADS", "1")

import shapely  # noqa: E402

from citysafe.early_warning import sector  # noqa: E402

BOUNDARIES = Path(__file__).resolve().parents[1] / "src/citysafe/core/data/chongqing_boundaries.geojson"


def district(adcode: str) -> dict:
    for feature in json.loads(BOUNDARIES.read_text(encoding="utf-8"))["features"]:
        if feature["properties"].get("adcode") == adcode:
            return feature
    raise SystemExit(f"no boundary for {adcode}")


def synthetic(n: int, bounds, seed: int = 20260701):
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = bounds
    return rng.uniform(minx, maxx, n), rng.uniform(miny, maxy, n), np.arange(1, n + 1, dtype=np.int64)


def p95(values) -> float:
    return float(np.percentile(values, 95))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--points", type=int, default=100_000)
    ap.add_argument("--district", default="500101")
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--builds", type=int, default=20)
    a = ap.parse_args()
    city = shapely.geometry.shape(district("500000")["geometry"])
    feature = district(a.district)
    area = feature["geometry"]
    geom = sector.to_geometry(area)
    lon, lat, ids = synthetic(a.points, city.bounds)
    print(f"shapely {shapely.__version__} (GEOS {shapely.geos_version_string}), numpy {np.__version__}; "
          f"{a.points:,} points over Chongqing's bbox; area {feature['properties']['name']} ({a.district}), "
          f"{shapely.get_num_coordinates(geom):,} vertices, {geom.area:.3f} deg²")

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    builds = []
    for _ in range(a.builds):
        t0 = time.perf_counter()
        points = sector.PointSet(lon, lat, ids)
        points.tree  # noqa: B018 - build it
        builds.append(time.perf_counter() - t0)

    hits = sector.join(area, points)  # warm
    joins = []
    for _ in range(a.runs):
        t0 = time.perf_counter()
        sector.join(area, points)
        joins.append(time.perf_counter() - t0)

    cold = []
    for _ in range(max(5, a.builds // 2)):
        t0 = time.perf_counter()
        sector.join(area, sector.PointSet(lon, lat, ids))
        cold.append(time.perf_counter() - t0)

    tracemalloc.start()
    sector.join(area, sector.PointSet(lon, lat, ids))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    ms = 1000.0
    print(f"tree build      median {statistics.median(builds) * ms:8.1f} ms   p95 {p95(builds) * ms:8.1f} ms")
    print(f"join (built)    median {statistics.median(joins) * ms:8.2f} ms   p95 {p95(joins) * ms:8.2f} ms   "
          f"({len(hits):,} points inside)")
    print(f"build + join    median {statistics.median(cold) * ms:8.1f} ms   p95 {p95(cold) * ms:8.1f} ms")
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"peak memory: tracemalloc (build + join) {peak / 2**20:.1f} MiB; process peak RSS "
          f"{rss_before / 1024:.0f} MiB before the trees, {rss_after / 1024:.0f} MiB after")


if __name__ == "__main__":
    main()
