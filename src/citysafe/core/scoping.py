"""The one place that decides which organisations and regions a user may see.

Rule (DESIGN §5 "Scoping"): a municipal administrator sees everything.  Anyone else sees

* their organisation and its sub-organisations (a department sees what it leads or supports), and
* every organisation located in their region subtree (a district operator sees their district's records),

plus the *group* organisations ("各区县政府") that contain any of those, because a duty assigned to a group is a
duty of each member.  Apps filter their querysets through ``scope_filter`` with the lookup path from their model
to ``Organization``; an object outside the scope is answered as "not found", never as "forbidden", so its existence
does not leak.
"""

from functools import reduce
from operator import or_

from django.db.models import Q, QuerySet

from .models import Organization, OrganizationKind, Region
from .roles import is_municipal


def scope_organization_ids(user, include_groups: bool = True) -> set[int]:
    """Ids of the organisations ``user`` acts for or oversees (empty set for a user without a profile).

    Cached on the user object for the duration of a request.
    """
    if not user.is_authenticated:
        return set()
    attr = "_citysafe_scope_groups" if include_groups else "_citysafe_scope"
    cached = getattr(user, attr, None)
    if cached is not None:
        return cached
    profile = getattr(user, "profile", None)
    ids: set[int] = set()
    if profile is not None:
        if profile.organization_id:
            ids |= _descendant_ids(profile.organization_id)
        if profile.region_id:
            ids |= set(Organization.objects.filter(region__path__startswith=profile.region.path)
                       .values_list("id", flat=True))
    if include_groups and ids:
        ids |= set(Organization.objects.filter(kind=OrganizationKind.GROUP, members__in=ids)
                   .values_list("id", flat=True))
    setattr(user, attr, ids)
    return ids


def _descendant_ids(root_id: int) -> set[int]:
    """The organisation and all its sub-organisations (breadth-first; organisation trees are shallow)."""
    found, frontier = {root_id}, {root_id}
    while frontier:
        frontier = set(Organization.objects.filter(parent_id__in=frontier).values_list("id", flat=True)) - found
        found |= frontier
    return found


def scope_region_paths(user) -> list[str] | None:
    """Region path prefixes the user may see; None means unrestricted (municipal)."""
    if is_municipal(user):
        return None
    profile = getattr(user, "profile", None)
    if profile is None or profile.region_id is None:
        return []
    return [profile.region.path]


def scope_filter(qs: QuerySet, user, *org_lookups: str, include_groups: bool = True) -> QuerySet:
    """Restrict ``qs`` to rows whose organisation (reached by any of ``org_lookups``) is in the user's scope.

    ``org_lookups`` are ORM paths ending at an Organization foreign key, e.g. ``"reporting_unit"`` or
    ``"task__responsible_units__organization"``.  Municipal users get ``qs`` unchanged; anonymous users get none.
    """
    if not user.is_authenticated:
        return qs.none()
    if is_municipal(user):
        return qs
    ids = scope_organization_ids(user, include_groups=include_groups)
    if not ids:
        return qs.none()
    condition = reduce(or_, (Q(**{f"{lookup}__in": ids}) for lookup in org_lookups))
    return qs.filter(condition).distinct()


def regions_in_scope(user) -> QuerySet:
    """Regions the user may see."""
    paths = scope_region_paths(user)
    qs = Region.objects.all()
    if paths is None:
        return qs
    if not paths:
        return qs.none()
    return qs.filter(reduce(or_, (Q(path__startswith=p) for p in paths)))


def organization_in_scope(user, organization_id: int | None) -> bool:
    """True when the user may act for ``organization_id`` (writes are checked against groups excluded)."""
    if organization_id is None:
        return False
    return is_municipal(user) or organization_id in scope_organization_ids(user, include_groups=False)
