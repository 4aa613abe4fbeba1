"""Sector-and-weather warnings (行业+气象): a meteorological warning crossed with the risk points of the sectors
it concerns, giving one targeted warning per risk point for its 包保责任人 and responsible unit.

Source: the seed work plan (渝府发〔2026〕1号) asks to "完善'行业+气象'风险预警体系" (六 (二十)) and to build the
"预警—响应—执行—反馈" loop (三 (十)).  A warning from the weather (or water) service names an area; the places
at risk in that area are the sectors' risk points (``hazards.RiskPoint``).  Which point kinds a hazard concerns is
``SECTOR_KINDS``: a **project default, configurable** with the setting ``CITYSAFE_SECTOR_KINDS`` (a dict hazard
type -> list of risk point kinds, replacing the defaults of the hazard types it names).

Two layers:

* ``join(polygon_geojson, points)`` — pure (numpy + shapely 2, no ORM): the ids of the points inside the area, via
  an ``STRtree`` of the points queried with the area.  100,000 points: see ``bench/bench_sector_join.py``.
* ``derive_targeted_warnings(warning)`` / ``sync_children(pk, kind)`` — the ORM side: one child ``EarlyWarning``
  (``parent`` = the meteorological warning, ``source_key`` ``sector:<parent>:<risk point>``) per risk point of the
  concerned kinds in the warning's polygon (or, lacking one, its region's boundary); idempotent.  Upgrades and
  downgrades of the parent carry over to the children, the end of the parent ends them; every child change then goes
  through ``hooks.after_warning_changes`` after commit, so the children are called like any warning.
"""

from __future__ import annotations

import logging

import numpy as np
import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

log = logging.getLogger(__name__)

_WET = ("landslide", "geological", "ponding", "flash_flood_gully", "scenic_spot", "construction_site", "mine")

# hazard type of a meteorological / hydrological warning -> risk point kinds concerned (project default; see above)
DEFAULT_SECTOR_KINDS: dict[str, tuple[str, ...]] = {
    "rainstorm": _WET,
    "flood": _WET,
    "flash_flood": _WET,
    "landslide": ("landslide", "geological", "flash_flood_gully", "construction_site", "mine"),  # 地灾气象风险预警
    "waterlogging": ("ponding", "construction_site"),
    "gale": ("construction_site", "scenic_spot"),
    "high_temperature": ("construction_site", "mine"),
    "forest_fire": ("scenic_spot",),
}

END_STATUS = {"cleared": "cleared", "cancelled": "cancelled", "expired": "expired"}
LEVEL_KINDS = ("raised", "upgraded", "downgraded", "updated")


class SectorError(ValueError):
    """The area cannot be read as a GeoJSON polygon."""


def sector_kinds() -> dict[str, tuple[str, ...]]:
    """``DEFAULT_SECTOR_KINDS`` with the overrides of ``settings.CITYSAFE_SECTOR_KINDS`` (if Django is set up)."""
    kinds = dict(DEFAULT_SECTOR_KINDS)
    try:
        from django.conf import settings

        overrides = getattr(settings, "CITYSAFE_SECTOR_KINDS", None) or {}
    except Exception:  # noqa: BLE001 - pure use without Django settings
        overrides = {}
    kinds.update({hazard: tuple(values) for hazard, values in overrides.items()})
    return kinds


SECTOR_KINDS = DEFAULT_SECTOR_KINDS  # the defaults, for reading; code calls ``sector_kinds()``


# --- pure join ------------------------------------------------------------------------------------------------------

class PointSet:
    """Points (lon, lat in WGS84 degrees) with integer ids; the ``STRtree`` is built on first use and kept."""

    def __init__(self, lon, lat, ids):
        self.lon = np.asarray(lon, dtype=np.float64)
        self.lat = np.asarray(lat, dtype=np.float64)
        self.ids = np.asarray(ids, dtype=np.int64)
        if not (self.lon.shape == self.lat.shape == self.ids.shape) or self.lon.ndim != 1:
            raise SectorError("lon, lat and ids must be 1-d arrays of the same length")
        self._tree = None

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def tree(self) -> shapely.STRtree:
        if self._tree is None:
            self._tree = shapely.STRtree(shapely.points(self.lon, self.lat))
        return self._tree


def to_geometry(area) -> BaseGeometry:
    """A shapely geometry from GeoJSON (geometry, Feature or FeatureCollection) or a shapely geometry; invalid rings
    are repaired (``make_valid``).  Raises ``SectorError`` for anything else."""
    if isinstance(area, BaseGeometry):
        geom = area
    elif isinstance(area, dict):
        try:
            if area.get("type") == "Feature":
                geom = shape(area.get("geometry") or {})
            elif area.get("type") == "FeatureCollection":
                geom = shapely.union_all([shape(f["geometry"]) for f in area.get("features") or []
                                          if f.get("geometry")])
            else:
                geom = shape(area)
        except (KeyError, TypeError, ValueError, AttributeError, shapely.errors.GEOSException) as exc:
            raise SectorError(f"not a GeoJSON geometry: {exc}") from exc
    else:
        raise SectorError("area must be GeoJSON (dict) or a shapely geometry")
    if geom.geom_type not in ("Polygon", "MultiPolygon", "GeometryCollection"):
        raise SectorError(f"area must be a polygon, not {geom.geom_type}")
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    return geom


def join(polygon_geojson, points: PointSet, predicate: str = "intersects") -> np.ndarray:
    """Ids of ``points`` inside the area, sorted.  Pure: no ORM, no I/O.

    ``predicate`` "intersects" counts a point on the boundary as inside (the default: a risk point on the line is
    concerned), "contains" does not.  Raises ``SectorError`` for an unreadable area."""
    if predicate not in ("intersects", "contains"):
        raise SectorError("predicate must be 'intersects' or 'contains'")
    area = to_geometry(polygon_geojson)
    if area.is_empty or not len(points):
        return np.empty(0, dtype=np.int64)
    return np.sort(points.ids[points.tree.query(area, predicate=predicate)])


# --- ORM side -------------------------------------------------------------------------------------------------------

def area_of(warning):
    """The warning's polygon, else its region's boundary, as a shapely geometry; None when it has neither."""
    source = warning.polygon or (warning.region.boundary if warning.region_id else None)
    if not source:
        return None
    try:
        return to_geometry(source)
    except SectorError as exc:
        log.warning("warning %s: area not usable for 行业+气象 (%s)", warning.pk, exc)
        return None


def is_sector_parent(warning) -> bool:
    """A meteorological warning that fans out: no parent, no risk point, a concerned hazard type, an area.

    Sensor warnings (``device_id`` set) never fan out: one gauge's reading is a local observation, not an area
    forecast, and its own risk point (if any) is already called."""
    return (warning.parent_id is None and warning.risk_point_id is None and warning.device_id is None
            and warning.hazard_type in sector_kinds()
            and bool(warning.polygon or (warning.region_id and warning.region.boundary)))


def risk_points_in(area, kinds) -> list:
    """Risk points of ``kinds`` inside ``area``: a bounding-box query in the database, then the exact join."""
    from citysafe.hazards.models import RiskPoint

    minx, miny, maxx, maxy = area.bounds
    rows = list(RiskPoint.objects.filter(kind__in=list(kinds), lon__gte=minx, lon__lte=maxx, lat__gte=miny,
                                         lat__lte=maxy).values_list("pk", "lon", "lat"))
    if not rows:
        return []
    data = np.array(rows, dtype=np.float64)
    ids = join(area, PointSet(data[:, 1], data[:, 2], data[:, 0].astype(np.int64)))
    return list(RiskPoint.objects.filter(pk__in=ids.tolist()).select_related("region").order_by("pk"))


def _headline(parent, point) -> str:
    suffix = "(行业+气象)"
    return f"{point.name}: {parent.headline}"[:300 - len(suffix)] + suffix


def _child_for(parent, point, now):
    from .models import EarlyWarning, WarningEvent, WarningStatus

    place = " ".join(p for p in (point.name, point.township, point.village) if p)
    child = EarlyWarning.objects.create(
        source_key=f"sector:{parent.pk}:{point.pk}", hazard_type=parent.hazard_type, level=parent.level,
        status=WarningStatus.ACTIVE, headline=_headline(parent, point), description=parent.description,
        instruction=parent.instruction, region=point.region, area_desc=place[:300], risk_point=point,
        issuer=parent.issuer, sender_name=parent.sender_name, is_public=False, onset=parent.onset,
        expires=parent.expires, raised_at=now, updated_at=now, parent=parent, created_by=parent.created_by)
    WarningEvent.objects.create(warning=child, kind="derived", level=child.level, at=now,
                                note=f"来源预警 #{parent.pk}")
    return child


def _set_level(child, level, now) -> str | None:
    from .models import LEVEL_ORDER, WarningEvent

    if child.level == level:
        return None
    kind = "upgraded" if LEVEL_ORDER[level] > LEVEL_ORDER[child.level] else "downgraded"
    previous, child.level, child.updated_at = child.level, level, now
    child.save(update_fields=["level", "updated_at"])
    WarningEvent.objects.create(warning=child, kind=kind, level=level, previous_level=previous, at=now,
                                note=f"来源预警 #{child.parent_id}")
    return kind


def _end(child, kind, now, note) -> None:
    """End an active child like ``services.end_warning`` does (status, ended_at, an event of the same kind)."""
    from .models import WarningEvent

    child.status = END_STATUS[kind]
    child.ended_at = child.updated_at = now
    child.save(update_fields=["status", "ended_at", "updated_at"])
    WarningEvent.objects.create(warning=child, kind=kind, previous_level=child.level, at=now, note=note[:300])


def derive_targeted_warnings(warning, now=None) -> list[tuple[int, str]]:
    """Create (idempotently) the targeted children of an active meteorological warning and align their level with
    it; children whose risk point is no longer in the area (an Update moved it) are cancelled.

    Returns the changes ``[(child pk, raised | upgraded | downgraded | cancelled)]``; the caller runs the loop for
    them after commit (``sync_children`` does).  Warnings that are not sector parents give ``[]``."""
    from django.db import transaction
    from django.utils import timezone

    from .models import EarlyWarning, WarningStatus

    now = now or timezone.now()
    pk = warning.pk if isinstance(warning, EarlyWarning) else warning
    with transaction.atomic():
        parent = EarlyWarning.objects.select_for_update(of=("self",)).select_related("region").get(pk=pk)
        if parent.status != WarningStatus.ACTIVE or not is_sector_parent(parent):
            return []
        area = area_of(parent)
        if area is None:
            return []
        points = risk_points_in(area, sector_kinds()[parent.hazard_type])
        existing = {c.risk_point_id: c for c in parent.children.select_for_update(of=("self",))}
        changes: list[tuple[int, str]] = []
        for point in points:
            child = existing.get(point.pk)
            if child is None:
                changes.append((_child_for(parent, point, now).pk, "raised"))
            elif child.status == WarningStatus.ACTIVE and (kind := _set_level(child, parent.level, now)):
                changes.append((child.pk, kind))
        inside = {p.pk for p in points}
        for point_id, child in existing.items():
            if child.status == WarningStatus.ACTIVE and point_id not in inside:
                _end(child, "cancelled", now, f"风险点不在来源预警 #{parent.pk} 的范围内")
                changes.append((child.pk, "cancelled"))
        return changes


def end_children(warning, kind: str, now=None) -> list[tuple[int, str]]:
    """End the active children of a warning that ended (cleared / cancelled / expired) with the same kind."""
    from django.db import transaction
    from django.utils import timezone

    from .models import EarlyWarning, WarningStatus

    now = now or timezone.now()
    pk = warning.pk if isinstance(warning, EarlyWarning) else warning
    changes = []
    with transaction.atomic():
        for child in EarlyWarning.objects.select_for_update().filter(parent_id=pk, status=WarningStatus.ACTIVE):
            _end(child, kind, now, f"来源预警 #{pk} 已结束")
            changes.append((child.pk, kind))
    return changes


def sync_children(pk: int, kind: str, now=None) -> list[tuple[int, str]]:
    """After a change of warning ``pk`` committed: derive / re-level / end its children, then (after commit) run the
    warning loop (``hooks.after_warning_changes``) for the children that changed.  Returns those changes."""
    from django.db import transaction

    from .models import EarlyWarning

    warning = EarlyWarning.objects.select_related("region").filter(pk=pk).first()
    if warning is None:
        return []
    if kind in END_STATUS:
        changes = end_children(warning, kind, now)
    elif kind in LEVEL_KINDS and is_sector_parent(warning):
        changes = derive_targeted_warnings(warning, now)
    else:
        changes = []
    if changes:
        from .hooks import after_warning_changes

        transaction.on_commit(lambda: after_warning_changes(changes))
    return changes
