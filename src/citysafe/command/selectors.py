"""What the command map's side panel lists: the latest incidents and the active warnings, both scoped.

The map layers themselves come from the apps' GeoJSON endpoints, which scope on their own.
"""

from django.db.models import Case, IntegerField, Value, When
from django.utils import timezone

from citysafe.early_warning.models import LEVEL_ORDER, WarningStatus
from citysafe.early_warning.selectors import warnings_for
from citysafe.incidents.selectors import incidents_for, is_overdue

PANEL_SIZE = 20  # project default: rows per side-panel list (the map shows them all)


def latest_incidents(user, limit: int = PANEL_SIZE) -> list:
    """The ``limit`` most recent incidents in scope (newest first), each with ``overdue`` (a reporting deadline
    missed, ``incidents.deadlines``) set."""
    now = timezone.now()
    rows = list(incidents_for(user)[:limit])
    for incident in rows:
        incident.overdue = is_overdue(incident, now)
    return rows


def active_warnings(user, limit: int = PANEL_SIZE) -> list:
    """Active warnings in scope (own region subtree plus public ones), highest level first, then newest."""
    # Ordered in the database (early_warning.models.LEVEL_ORDER), so an older red warning is never cut off.
    rank = Case(*(When(level=level, then=Value(n)) for level, n in LEVEL_ORDER.items()),
                default=Value(0), output_field=IntegerField())
    return list(warnings_for(user).filter(status=WarningStatus.ACTIVE)
                .order_by(rank.desc(), "-updated_at")[:limit])
