"""Reads of hazards, risk points and tip-offs, scoped to the user (filled in below)."""

from django.db.models import QuerySet

from citysafe.core.roles import is_municipal
from citysafe.core.scoping import scope_filter, scope_region_paths

from .models import Hazard, RiskPoint, TipOff


def _region_or_org(qs: QuerySet, user, *org_lookups: str) -> QuerySet:
    """Rows in the user's region subtree, or linked to an organisation in their scope."""
    if not user.is_authenticated:
        return qs.none()
    if is_municipal(user):
        return qs
    from django.db.models import Q

    paths = scope_region_paths(user) or []
    by_org = scope_filter(qs, user, *org_lookups, include_groups=False).values("pk")
    condition = Q(pk__in=by_org)
    for path in paths:
        condition |= Q(region__path__startswith=path)
    return qs.filter(condition)


def hazards_for(user) -> QuerySet:
    """Hazards in the user's region, or of an enterprise, responsible unit or supervising department in scope."""
    return _region_or_org(Hazard.objects.select_related("region", "industry", "enterprise"), user,
                          "enterprise", "responsible_unit", "supervising_department")


def risk_points_for(user) -> QuerySet:
    return _region_or_org(RiskPoint.objects.select_related("region", "industry"), user, "responsible_unit")


def tip_offs_for(user) -> QuerySet:
    """Tip-offs are handled by government staff only: an enterprise account never sees them (they may be about
    that very enterprise)."""
    from citysafe.core.roles import is_enterprise

    if is_enterprise(user):
        return TipOff.objects.none()
    return _region_or_org(TipOff.objects.select_related("region", "industry"), user, "hazard__supervising_department")


# --- statistics -------------------------------------------------------------------------------------------------

def _median(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def hazard_statistics(hazards: QuerySet, by: str, today=None) -> list[dict]:
    """Rows of {key, label, found, rectified, rate, overdue, major_open, major_overdue, median_days_to_close}.

    ``by`` is ``region``, ``industry``, ``grade`` or ``status``.  *rectified* counts accepted (closed) hazards;
    *rate* = rectified / found (整改率); *major_overdue* is the "动态清零" indicator: open major hazards past their
    deadline, which must be 0 (standards-safety.md §4.2, a proposed operational reading of 渝安委〔2024〕6号).
    """
    from django.utils import timezone

    from .models import OPEN_STATUSES, HazardGrade, HazardStatus

    today = today or timezone.localdate()
    field = {"region": "region", "industry": "industry", "grade": "grade", "status": "status"}[by]
    rows: dict = {}
    for h in hazards.select_related(None).values(field, f"{field}__name" if by in {"region", "industry"} else field,
                                                   "status", "grade", "deadline", "found_at", "closed_at"):
        key = h[field]
        label = h.get(f"{field}__name") if by in {"region", "industry"} else key
        row = rows.setdefault(key, {"key": key, "label": label or "—", "found": 0, "rectified": 0, "overdue": 0,
                                    "major_open": 0, "major_overdue": 0, "_days": []})
        row["found"] += 1
        is_open = h["status"] in OPEN_STATUSES
        overdue = is_open and h["deadline"] is not None and h["deadline"] < today
        row["overdue"] += overdue
        if h["status"] == HazardStatus.ACCEPTED:
            row["rectified"] += 1
            if h["closed_at"]:
                row["_days"].append((h["closed_at"] - h["found_at"]).total_seconds() / 86400)
        if h["grade"] == HazardGrade.MAJOR and is_open:
            row["major_open"] += 1
            row["major_overdue"] += overdue
    result = []
    for row in rows.values():
        days = row.pop("_days")
        row["rate"] = round(row["rectified"] / row["found"], 4) if row["found"] else None
        median = _median(days)
        row["median_days_to_close"] = round(median, 1) if median is not None else None
        result.append(row)
    if by == "grade":
        labels = dict(HazardGrade.choices)
    elif by == "status":
        labels = dict(HazardStatus.choices)
    else:
        labels = {}
    for row in result:
        row["label"] = str(labels.get(row["key"], row["label"]))
    return sorted(result, key=lambda r: (-r["found"], str(r["label"])))


def totals(hazards: QuerySet, today=None) -> dict:
    """City-wide figures of a hazard queryset: the same columns as one statistics row."""
    rows = hazard_statistics(hazards, "grade", today)
    keys = ["found", "rectified", "overdue", "major_open", "major_overdue"]
    total = {k: sum(r[k] for r in rows) for k in keys}
    total["rate"] = round(total["rectified"] / total["found"], 4) if total["found"] else None
    total["zero_outstanding"] = total["major_overdue"] == 0
    return total


def hazards_geojson(hazards: QuerySet, limit: int = 20000) -> dict:
    """GeoJSON points of located hazards for the map (WGS84)."""
    features = []
    for h in hazards.exclude(lon=None).values("pk", "code", "title", "lon", "lat", "grade", "status", "deadline")[:limit]:
        features.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [h["lon"], h["lat"]]},
                         "properties": {"id": h["pk"], "code": h["code"], "title": h["title"], "grade": h["grade"],
                                        "status": h["status"], "layer": "hazard",
                                        "deadline": h["deadline"].isoformat() if h["deadline"] else None}})
    return {"type": "FeatureCollection", "features": features}


def risk_points_geojson(points: QuerySet, limit: int = 20000) -> dict:
    features = []
    for p in points.values("pk", "code", "name", "kind", "lon", "lat", "threatened_people", "risk_grade")[:limit]:
        features.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [p["lon"], p["lat"]]},
                         "properties": {"id": p["pk"], "code": p["code"], "title": p["name"], "kind": p["kind"],
                                        "threatened_people": p["threatened_people"], "risk_grade": p["risk_grade"],
                                        "layer": "risk_point"}})
    return {"type": "FeatureCollection", "features": features}
