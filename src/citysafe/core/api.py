"""``/api/v1/core``: regions (with GeoJSON boundaries), organisations, the current user."""

from django.shortcuts import get_object_or_404
from ninja import Router

from .models import Organization
from .roles import user_roles
from .schemas import MeOut, OrganizationOut, RegionOut
from .scoping import regions_in_scope, scope_filter

router = Router(tags=["core"])


@router.get("/me", response=MeOut)
def me(request):
    profile = getattr(request.user, "profile", None)
    return {"username": request.user.get_username(), "roles": sorted(user_roles(request.user)),
            "organization": str(profile.organization) if profile and profile.organization else None,
            "region": str(profile.region) if profile and profile.region else None}


@router.get("/regions", response=list[RegionOut])
def list_regions(request, level: str | None = None):
    qs = regions_in_scope(request.user)
    return qs.filter(level=level) if level else qs


@router.get("/regions.geojson")
def regions_geojson(request):
    """District boundaries in scope as a GeoJSON FeatureCollection (WGS84)."""
    from .selectors import regions_feature_collection

    return regions_feature_collection(request.user)


@router.get("/regions/{adcode}", response=RegionOut)
def region_detail(request, adcode: str):
    return get_object_or_404(regions_in_scope(request.user).order_by("-valid_from"), adcode=adcode)


@router.get("/organizations", response=list[OrganizationOut])
def list_organizations(request, kind: str | None = None, q: str | None = None):
    qs = scope_filter(Organization.objects.prefetch_related("aliases"), request.user, "pk")
    if kind:
        qs = qs.filter(kind=kind)
    if q:
        qs = qs.filter(name__icontains=q)
    return qs[:500]
