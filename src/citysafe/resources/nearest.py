"""Nearest resources to a point: straight-line distance always, travel time when a road graph is configured.

Distance: haversine on a sphere of radius 6371.0088 km (IUGG mean Earth radius), in km.

Road graph (``settings.CITYSAFE_ROAD_GRAPH`` or the environment variable of that name: a file path), either

* GeoJSON: a FeatureCollection of LineStrings (WGS84 lon/lat).  Each pair of consecutive coordinates is a road
  segment; properties ``speed_kmh`` (required, > 0) and ``oneway`` (optional, true = only in drawing direction).
* CSV with a header: ``from_lon,from_lat,to_lon,to_lat,speed_kmh`` and optional ``length_km`` (default: the
  haversine length) and ``oneway`` (1/true/yes).

Nodes are coordinates rounded to 6 decimals (~0.1 m), so segments sharing an end point connect.  Edge weight is travel
time in minutes (length / speed).  A resource and the incident are snapped to their nearest graph node; the snap leg
is travelled at ``OFFROAD_SPEED_KMH`` (project default).  Resources that cannot reach the incident get no travel time
and sort after those that can.
"""

import csv
import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import networkx as nx
import numpy as np
from django.conf import settings
from django.utils.translation import gettext as _

from .errors import ResourceError
from .models import Resource, ResourceStatus

EARTH_RADIUS_KM = 6371.0088
OFFROAD_SPEED_KMH = 20.0  # project default: walking/field vehicles between a point and the road network
NODE_DIGITS = 6


def haversine_km(lon1, lat1, lon2, lat2):
    """Great-circle distance in km; numpy arrays broadcast."""
    lon1, lat1, lon2, lat2 = map(np.radians, (lon1, lat1, lon2, lat2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


class RoadGraph:
    """A directed road graph weighted by travel minutes, with nearest-node snapping."""

    def __init__(self, graph: nx.DiGraph):
        if graph.number_of_nodes() == 0:
            raise ResourceError(_("道路网络没有任何路段"))
        self.graph = graph
        self.nodes = list(graph.nodes)
        self._coords = np.array(self.nodes, dtype=float)

    def snap(self, lon: float, lat: float) -> tuple[tuple, float]:
        """Nearest node and its distance in km."""
        d = haversine_km(lon, lat, self._coords[:, 0], self._coords[:, 1])
        i = int(np.argmin(d))
        return self.nodes[i], float(d[i])

    def minutes_to(self, target_lon: float, target_lat: float, points: list[tuple[float, float]]) -> list[float | None]:
        """Travel minutes from each (lon, lat) in ``points`` to the target; None when unreachable."""
        target, target_snap = self.snap(target_lon, target_lat)
        # One Dijkstra on the reversed graph gives every node's time *to* the target.
        to_target = nx.single_source_dijkstra_path_length(self.graph.reverse(copy=False), target, weight="minutes")
        result = []
        for lon, lat in points:
            node, snap = self.snap(lon, lat)
            minutes = to_target.get(node)
            result.append(None if minutes is None else minutes + _offroad_minutes(snap + target_snap))
        return result


def _offroad_minutes(km: float) -> float:
    return km / OFFROAD_SPEED_KMH * 60


def _node(lon, lat) -> tuple[float, float]:
    return (round(float(lon), NODE_DIGITS), round(float(lat), NODE_DIGITS))


def _add(graph: nx.DiGraph, a, b, speed, length=None, oneway=False) -> None:
    try:
        speed = float(speed)
    except (TypeError, ValueError):
        raise ResourceError(_("道路网络的速度（speed_kmh）无效：%(v)s") % {"v": speed}) from None
    if not speed > 0:
        raise ResourceError(_("道路网络的速度（speed_kmh）必须大于 0：%(v)s") % {"v": speed})
    a, b = _node(*a), _node(*b)
    km = float(length) if length not in (None, "") else float(haversine_km(a[0], a[1], b[0], b[1]))
    minutes = km / speed * 60
    for u, v in [(a, b)] if oneway else [(a, b), (b, a)]:
        if not graph.has_edge(u, v) or graph[u][v]["minutes"] > minutes:
            graph.add_edge(u, v, minutes=minutes, km=km)


def _truthy(value) -> bool:
    return str(value).strip().lower() in {"1", "true", "yes", "y", "是"}


def graph_from_geojson(data: dict) -> RoadGraph:
    graph = nx.DiGraph()
    for feature in data.get("features", []):
        geometry, props = feature.get("geometry") or {}, feature.get("properties") or {}
        if geometry.get("type") != "LineString":
            continue
        coords = geometry.get("coordinates") or []
        for a, b in zip(coords, coords[1:]):
            _add(graph, a[:2], b[:2], props.get("speed_kmh"), oneway=_truthy(props.get("oneway", False)))
    return RoadGraph(graph)


def graph_from_csv(lines) -> RoadGraph:
    graph = nx.DiGraph()
    for row in csv.DictReader(lines):
        try:
            a, b = (row["from_lon"], row["from_lat"]), (row["to_lon"], row["to_lat"])
            a, b = tuple(map(float, a)), tuple(map(float, b))
        except (KeyError, TypeError, ValueError):
            raise ResourceError(_("道路网络的路段行无效：%(v)s") % {"v": row}) from None
        _add(graph, a, b, row.get("speed_kmh"), row.get("length_km"), _truthy(row.get("oneway", "")))
    return RoadGraph(graph)


def load_graph(path: str | Path) -> RoadGraph:
    """Read a road graph file (GeoJSON by ``.geojson``/``.json`` suffix, otherwise CSV)."""
    path = Path(path)
    if path.suffix.lower() in {".geojson", ".json"}:
        return graph_from_geojson(json.loads(path.read_text(encoding="utf-8")))
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return graph_from_csv(handle)


@lru_cache(maxsize=2)
def _cached_graph(path: str, mtime: float) -> RoadGraph:
    return load_graph(path)


def configured_graph() -> RoadGraph | None:
    """The configured road graph (reloaded when the file changes), or None when not configured."""
    path = getattr(settings, "CITYSAFE_ROAD_GRAPH", None) or os.environ.get("CITYSAFE_ROAD_GRAPH")
    if not path:
        return None
    return _cached_graph(str(path), os.path.getmtime(path))


@dataclass
class Nearby:
    resource: Resource
    distance_km: float
    travel_min: float | None = None


def nearest(lon: float, lat: float, resources, *, kinds: list[str] | None = None, available_only: bool = True,
            limit: int = 10, graph: RoadGraph | None = None, order: str | None = None) -> list[Nearby]:
    """The ``limit`` resources closest to (lon, lat) from the (already scoped) ``resources`` queryset.

    ``order``: "distance" (straight line) or "time" (road graph; the default when ``graph`` is given).
    """
    if lon is None or lat is None or not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise ResourceError(_("经纬度无效"))
    order = order or ("time" if graph else "distance")
    if order not in {"distance", "time"}:
        raise ResourceError(_("未知排序方式：%(v)s（可选：距离 distance、时间 time）") % {"v": order})
    if order == "time" and graph is None:
        raise ResourceError(_("未配置道路网络（CITYSAFE_ROAD_GRAPH），不能按行车时间排序"))
    if kinds:
        resources = resources.filter(kind__in=kinds)
    if available_only:
        resources = resources.filter(status=ResourceStatus.AVAILABLE)
    items = list(resources)
    if not items:
        return []
    km = haversine_km(lon, lat, np.array([r.lon for r in items]), np.array([r.lat for r in items]))
    found = [Nearby(r, round(float(d), 3)) for r, d in zip(items, km)]
    if graph is not None:
        for entry, minutes in zip(found, graph.minutes_to(lon, lat, [(r.lon, r.lat) for r in items])):
            entry.travel_min = None if minutes is None else round(minutes, 1)
    if order == "time":
        found.sort(key=lambda e: (e.travel_min is None, e.travel_min or 0.0, e.distance_km))
    else:
        found.sort(key=lambda e: e.distance_km)
    return found[:limit]
