"""Geography helpers: which district a WGS84 point lies in, distances.  shapely 2 prepared polygons, cached."""

import datetime as dt
from functools import lru_cache

from django.db.models import Count, Max
from shapely import prepare
from shapely.geometry import Point, shape

from .models import Region, RegionLevel


@lru_cache(maxsize=4)
def _district_shapes(day: dt.date, version: tuple):
    shapes = []
    for region in Region.objects.filter(level__in=[RegionLevel.DISTRICT, RegionLevel.ZONE]).exclude(boundary=None):
        if region.is_valid_on(day):
            geometry = shape(region.boundary)
            prepare(geometry)
            shapes.append((region.pk, geometry))
    return shapes


def region_at(lon: float | None, lat: float | None, day: dt.date | None = None) -> Region | None:
    """The county-level region whose boundary contains (lon, lat) on ``day``; None outside every boundary.

    Boundaries are simplified (~70 m tolerance, see core/data/ATTRIBUTION.md), so points within that distance of a
    border may land in the neighbour; such hazards can be re-routed by hand.
    """
    if lon is None or lat is None:
        return None
    day = day or dt.date.today()
    point = Point(lon, lat)
    # Reloading regions (or a test flushing them) changes the id range, which invalidates the cache.
    version = tuple(Region.objects.aggregate(n=Count("pk"), top=Max("pk")).values())
    for pk, geometry in _district_shapes(day, version):
        if geometry.contains(point):
            return Region.objects.get(pk=pk)
    return None


def valid_lon_lat(lon, lat) -> bool:
    """WGS84 range check (China lies well inside it)."""
    return lon is not None and lat is not None and -180 <= lon <= 180 and -90 <= lat <= 90
