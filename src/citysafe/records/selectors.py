"""Scoped reads and statistics of records.

Scope (documented in docs/records.md): municipal users see everything; other users see the records of their region
subtree, of their organisation (and sub-organisations), and — departments — of the industries their organisation
supervises (``hazards.Industry.supervising_department``, 三管三必须).  Disaster reports and cross-check subjects are
scoped by region (a department without a region sees the accident subjects of the records it can see).
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from functools import reduce
from operator import or_

from django.db.models import CharField, Count, Q, QuerySet, Sum, Value
from django.db.models.functions import Cast, Coalesce, Concat

from citysafe.core.roles import is_municipal
from citysafe.core.scoping import regions_in_scope, scope_organization_ids, scope_region_paths

from .models import AccidentRecord, DisasterEvent, DisasterReport, Discrepancy, SourceFigure
from .services import INDICATORS, STAGE_RANK


def records_for(user) -> QuerySet:
    qs = AccidentRecord.objects.select_related("region", "industry", "organization", "incident")
    if not user.is_authenticated:
        return qs.none()
    if is_municipal(user):
        return qs
    conditions = [Q(region__path__startswith=p) for p in (scope_region_paths(user) or [])]
    own = scope_organization_ids(user, include_groups=False)
    if own:
        conditions += [Q(organization_id__in=own), Q(industry__supervising_department_id__in=own)]
    if not conditions:
        return qs.none()
    return qs.filter(reduce(or_, conditions))


def adcodes_in_scope(user) -> set[str]:
    """Region codes the user may see (about 40 county-level regions in all, so a set is cheap)."""
    return set(regions_in_scope(user).values_list("adcode", flat=True))


def reports_for(user) -> QuerySet:
    qs = DisasterReport.objects.select_related("event", "region", "reporting_unit")
    paths = scope_region_paths(user) if user.is_authenticated else []
    if paths is None:
        return qs
    if not paths:
        return qs.none()
    return qs.filter(reduce(or_, (Q(region__path__startswith=p) for p in paths)))


def events_for(user) -> QuerySet:
    """Events are city-wide processes: every signed-in user sees the list (their reports are scoped)."""
    return DisasterEvent.objects.all() if user.is_authenticated else DisasterEvent.objects.none()


def _subject_q(user) -> Q | None:
    """Condition on ``subject`` for non-municipal users; None means unrestricted."""
    if is_municipal(user):
        return None
    subjects = records_for(user).annotate(
        subject_key=Concat(Value("accident:"), Cast("pk", CharField()), output_field=CharField())).values("subject_key")
    condition = Q(subject__in=subjects)
    for adcode in adcodes_in_scope(user):
        condition |= Q(subject__startswith="disaster:", subject__endswith=f":{adcode}")
    return condition


def source_figures_for(user) -> QuerySet:
    qs = SourceFigure.objects.select_related("source_organization", "created_by")
    if not user.is_authenticated:
        return qs.none()
    condition = _subject_q(user)
    return qs if condition is None else qs.filter(condition)


def discrepancies_for(user) -> QuerySet:
    qs = Discrepancy.objects.select_related("region", "resolved_by")
    if not user.is_authenticated:
        return qs.none()
    condition = _subject_q(user)
    return qs if condition is None else qs.filter(condition)


def record_totals(qs: QuerySet) -> dict:
    """{"count", "deaths", "missing", "serious_injuries", "injuries", "direct_loss_yuan"} of ``qs``."""
    zero = Value(0)
    totals = qs.order_by().aggregate(
        count=Count("pk"), deaths=Coalesce(Sum("deaths"), zero), missing=Coalesce(Sum("missing"), zero),
        serious_injuries=Coalesce(Sum("serious_injuries"), zero), injuries=Coalesce(Sum("injuries"), zero),
        direct_loss_yuan=Sum("direct_loss_yuan"))
    totals["direct_loss_yuan"] = totals["direct_loss_yuan"] or Decimal(0)
    return totals


def version_key(report: DisasterReport) -> tuple:
    """Ordering of versions: final > follow_up > initial, then the later report time, then the later entry."""
    return STAGE_RANK.get(report.stage, 0), report.reported_at, report.pk


def latest_versions(reports) -> dict[tuple[int, int], DisasterReport]:
    """The current version per (event id, region id) among ``reports``."""
    best: dict[tuple[int, int], DisasterReport] = {}
    for report in reports:
        key = (report.event_id, report.region_id)
        if key not in best or version_key(report) > version_key(best[key]):
            best[key] = report
    return best


def disaster_statistics(user, date_from=None, date_to=None, region_adcode: str | None = None) -> dict:
    """Totals of the national indicators per district over the events starting in [date_from, date_to].

    Shape: ``{"rows": [{"region": name, "adcode", "events": n, <indicator>: total, …}], "total": {…}}``; each
    event counts with its current version per district (``latest_versions``); withdrawn events are excluded.
    """
    qs = reports_for(user).exclude(event__status="withdrawn")  # withdrawn events do not count
    if date_from:
        qs = qs.filter(event__start_date__gte=date_from)
    if date_to:
        qs = qs.filter(event__start_date__lte=date_to)
    if region_adcode:
        qs = qs.filter(region__adcode=region_adcode)
    rows: dict[int, dict] = {}
    events: dict[int, set] = defaultdict(set)
    for report in latest_versions(qs).values():
        row = rows.setdefault(report.region_id, {"region": report.region.name, "adcode": report.region.adcode,
                                                 **{name: 0 for name in INDICATORS}})
        events[report.region_id].add(report.event_id)
        for name in INDICATORS:
            row[name] += getattr(report, name)
    out = sorted(rows.values(), key=lambda r: r["adcode"])
    for region_id, row in rows.items():
        row["events"] = len(events[region_id])
    total = {name: sum((r[name] for r in out), 0) for name in INDICATORS}
    total["events"] = len({e for ids in events.values() for e in ids})
    return {"rows": out, "total": total}


def event_versions(user, event: DisasterEvent) -> list[dict]:
    """Per district of ``event`` visible to ``user``: the current version and the full history of versions."""
    reports = list(reports_for(user).filter(event=event).order_by("region__adcode", "reported_at", "pk"))
    current = latest_versions(reports)
    grouped: dict[int, list] = defaultdict(list)
    for report in reports:
        grouped[report.region_id].append(report)
    return [{"region": versions[0].region, "current": current[(event.pk, region_id)], "versions": versions}
            for region_id, versions in grouped.items()]
