"""Reads of the work plan, scoped to the user.  Views, the API and exports all go through these."""

from collections import Counter, defaultdict

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from citysafe.core.models import Organization
from citysafe.core.roles import is_municipal
from citysafe.core.scoping import scope_filter, scope_organization_ids

from .models import (
    ProgressReport,
    ResponsibleUnit,
    Supervision,
    SupervisionStatus,
    Target,
    TargetStatus,
    Task,
    UnitRole,
    WorkPlan,
)


def plans_for(user) -> QuerySet:
    """Plans are public documents (此件公开发布): every signed-in user sees them; their contents are scoped."""
    if not user.is_authenticated:
        return WorkPlan.objects.none()
    return WorkPlan.objects.all()


def current_plan(user) -> WorkPlan | None:
    return plans_for(user).filter(is_current=True).order_by("-year", "-version").first()


def tasks_for(user, plan: WorkPlan | None = None) -> QuerySet:
    qs = scope_filter(Task.objects.all(), user, "responsible_units__organization")
    return qs.filter(plan=plan) if plan else qs


def targets_for(user, plan: WorkPlan | None = None) -> QuerySet:
    """Targets whose task lists a unit in the user's scope (directly or through a group)."""
    qs = scope_filter(Target.objects.select_related("task__plan"), user, "task__responsible_units__organization")
    return qs.filter(task__plan=plan) if plan else qs


def _lead_condition(prefix: str, ids: set[int]) -> Q:
    return Q(**{f"{prefix}task__responsible_units__organization__in": ids,
                f"{prefix}task__responsible_units__role": UnitRole.LEAD})


def reports_for(user) -> QuerySet:
    """Reports made by units in scope, plus every report on a target that the user's unit leads."""
    qs = ProgressReport.objects.select_related("target__task__plan", "reporting_unit")
    if is_municipal(user):
        return qs
    ids = scope_organization_ids(user, include_groups=False)
    if not ids:
        return qs.none()
    return qs.filter(Q(reporting_unit__in=ids) | _lead_condition("target__", ids)).distinct()


def supervisions_for(user) -> QuerySet:
    """Supervision items owned by units in scope, or about targets the user's unit leads."""
    qs = Supervision.objects.select_related("owner", "target__task", "task")
    if is_municipal(user):
        return qs
    ids = scope_organization_ids(user, include_groups=False)
    if not ids:
        return qs.none()
    return qs.filter(Q(owner__in=ids) | _lead_condition("target__", ids)).distinct()


def status_counts(targets: QuerySet) -> dict[str, int]:
    """{status: count} over every status (zeros included), in display order."""
    # Scoped querysets join through responsible units; count each target once.
    found = dict(Target.objects.filter(pk__in=targets.values("pk")).order_by().values_list("status")
                 .annotate(n=Count("id")))
    return {value: found.get(value, 0) for value in TargetStatus.values}


def scorecard(user, plan: WorkPlan) -> list[dict]:
    """One row per responsible unit in scope: targets led and supported, status counts of led targets,
    reports filed, supervision items open and overdue.  Sorted by overdue/off-track first."""
    units = ResponsibleUnit.objects.filter(task__plan=plan).select_related("organization")
    if not is_municipal(user):
        units = units.filter(organization__in=scope_organization_ids(user))
    led: dict[int, Counter] = defaultdict(Counter)
    supported: Counter = Counter()
    orgs: dict[int, Organization] = {}
    target_status = defaultdict(list)
    for target in Target.objects.filter(task__plan=plan).values("task_id", "status"):
        target_status[target["task_id"]].append(target["status"])
    for unit in units:
        orgs[unit.organization_id] = unit.organization
        statuses = target_status.get(unit.task_id, [])
        if unit.role == UnitRole.LEAD:
            led[unit.organization_id].update(statuses)
            led[unit.organization_id]["_targets"] += len(statuses)
        else:
            supported[unit.organization_id] += len(statuses)
    today = timezone.localdate()
    reports = Counter(ProgressReport.objects.filter(target__task__plan=plan, reporting_unit__in=orgs)
                      .values_list("reporting_unit_id", flat=True))
    open_items, overdue_items = Counter(), Counter()
    for owner_id, deadline in Supervision.objects.filter(
            owner__in=orgs, status__in=[SupervisionStatus.OPEN, SupervisionStatus.RESPONDED]
    ).values_list("owner_id", "deadline"):
        open_items[owner_id] += 1
        overdue_items[owner_id] += deadline < today
    rows = []
    for org_id, org in orgs.items():
        counts = led.get(org_id, Counter())
        rows.append({
            "organization": org, "targets_led": counts["_targets"], "targets_supported": supported[org_id],
            "status": {s: counts[s] for s in TargetStatus.values}, "reports": reports[org_id],
            "supervision_open": open_items[org_id], "supervision_overdue": overdue_items[org_id],
        })
    rows.sort(key=lambda r: (-(r["status"]["overdue"] + r["status"]["off_track"] + r["supervision_overdue"]),
                             -r["targets_led"], r["organization"].name))
    return rows
