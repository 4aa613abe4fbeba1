"""Scoped reads of incidents and their timeline (reports, grade changes, deadlines)."""

import datetime as dt

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from citysafe.core.privacy import mask_phone
from citysafe.core.roles import is_municipal
from citysafe.core.scoping import scope_filter, scope_region_paths

from .deadlines import ReportStamp, any_overdue, deadlines_for
from .grading import GRADE_LABELS
from .models import Incident, IncidentReport


def incidents_for(user) -> QuerySet:
    """Incidents in the user's region subtree or of an organisation they act for (municipal: all)."""
    qs = Incident.objects.select_related("region", "industry", "organization").prefetch_related(
        Prefetch("reports", queryset=IncidentReport.objects.select_related("reported_by")))
    if not user.is_authenticated:
        return qs.none()
    if is_municipal(user):
        return qs
    condition = Q(pk__in=scope_filter(Incident.objects.all(), user, "organization", include_groups=False)
                  .values("pk"))
    for path in scope_region_paths(user) or []:
        condition |= Q(region__path__startswith=path)
    return qs.filter(condition)


def incident_deadlines(incident: Incident, now: dt.datetime | None = None):
    """Deadlines of ``incident`` from the reports on file (see ``deadlines.deadlines_for``)."""
    reports = [ReportStamp(r.reported_at, r.level, r.kind) for r in incident.reports.all()]
    industry_code = incident.industry.code if incident.industry_id else None
    return deadlines_for(incident.kind, incident.grade, timezone.localtime(incident.occurred_at), reports,
                         now or timezone.now(), industry_code)


def is_overdue(incident: Incident, now: dt.datetime | None = None) -> bool:
    return any_overdue(incident_deadlines(incident, now))


def masked_phone(incident: Incident) -> str:
    return mask_phone(incident.reporter_phone)


def timeline(incident: Incident, now: dt.datetime | None = None) -> dict:
    """{"reports": [...], "deadlines": [...], "overdue": bool, "dispatches": [...]} as plain data for the page and
    the API.

    Each report: kind, level, reported_at, by, figures, grade_before, grade_after, grade_changed,
    jurisdiction_raised, in_supplement_window, note.  Each deadline: key, label, due, met_at, status, basis.
    Dispatches: the resource dispatch events, oldest first (``resources.dispatch.dispatch_timeline``: at, kind,
    label, detail, dispatch_id); the caller has scoped the incident.
    """
    # Imported here: the resources app reads incidents through this module (no import cycle at load time).
    from citysafe.resources.dispatch import dispatch_timeline

    reports = []
    for r in incident.reports.all():
        reports.append({
            "id": r.pk, "kind": r.kind, "kind_label": r.get_kind_display(), "level": r.level,
            "level_label": r.get_level_display(), "reported_at": r.reported_at,
            "by": r.reporter_name or (r.reported_by.get_username() if r.reported_by_id else ""),
            "deaths": r.deaths, "missing": r.missing, "serious_injuries": r.serious_injuries,
            "direct_loss_yuan": r.direct_loss_yuan, "trapped": r.trapped, "evacuated": r.evacuated,
            "relocated": r.relocated, "houses_collapsed_damaged": r.houses_collapsed_damaged,
            "grade_before": r.grade_before, "grade_after": r.grade_after,
            "grade_before_label": str(GRADE_LABELS.get(r.grade_before, "")),
            "grade_after_label": str(GRADE_LABELS.get(r.grade_after, "")), "grade_changed": r.grade_changed,
            "jurisdiction_raised": r.jurisdiction_raised, "in_supplement_window": r.in_supplement_window,
            "note": r.note})
    deadlines = incident_deadlines(incident, now)
    return {"reports": reports, "overdue": any_overdue(deadlines), "dispatches": dispatch_timeline(incident),
            "deadlines": [{"key": d.key, "label": d.label, "due": d.due, "met_at": d.met_at, "status": d.status,
                           "basis": d.basis} for d in deadlines]}


def incidents_geojson(incidents) -> dict:
    """Point features {id, title, grade, kind} for incidents with coordinates."""
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [i.lon, i.lat]},
         "properties": {"id": i.pk, "title": i.title, "grade": i.grade, "grade_label": str(GRADE_LABELS.get(i.grade, "")),
                        "kind": i.kind}}
        for i in incidents if i.lon is not None and i.lat is not None]}
