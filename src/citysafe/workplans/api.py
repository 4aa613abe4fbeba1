"""``/api/v1/workplans``: plans, tasks, targets, progress reports, supervision items, scorecards, import.

Thin: validate, call a selector or a service, shape the answer.  Objects outside the user's scope are 404.
"""

from django.shortcuts import get_object_or_404
from ninja import File, Form, Query, Router, Status
from ninja.files import UploadedFile

from citysafe.core.models import Organization

from . import selectors, services
from .schemas import (
    ImportOut,
    PlanOut,
    ReportIn,
    ReportOut,
    ScorecardRow,
    SupervisionIn,
    SupervisionOut,
    TargetFilter,
    TargetOut,
    TaskOut,
    TransitionIn,
)

router = Router(tags=["workplans"])


@router.get("/plans", response=list[PlanOut])
def list_plans(request):
    return selectors.plans_for(request.user)


@router.post("/plans/import", response={201: ImportOut, 200: ImportOut})
def import_plan(request, file: UploadedFile = File(...), year: int | None = Form(None),
                expand_groups: bool = Form(False)):
    """Import a work-points document (text, HTML, DOCX or PDF).  The same file twice returns 200 and changes nothing."""
    result = services.import_plan(file.read(), file.name or "upload", year=year, user=request.user,
                                  expand_groups=expand_groups)
    body = {"plan_id": result.plan.pk, "unchanged": result.unchanged, "new_version": result.new_version,
            "created_organizations": result.created_organizations, "counts": result.counts}
    return Status(200 if result.unchanged else 201, body)


@router.get("/plans/{plan_id}", response=PlanOut)
def plan_detail(request, plan_id: int):
    return get_object_or_404(selectors.plans_for(request.user), pk=plan_id)


@router.get("/plans/{plan_id}/tasks", response=list[TaskOut])
def plan_tasks(request, plan_id: int, kind: str | None = None):
    plan = get_object_or_404(selectors.plans_for(request.user), pk=plan_id)
    qs = selectors.tasks_for(request.user, plan)
    return qs.filter(kind=kind) if kind else qs


@router.get("/plans/{plan_id}/scorecard", response=list[ScorecardRow])
def plan_scorecard(request, plan_id: int):
    plan = get_object_or_404(selectors.plans_for(request.user), pk=plan_id)
    return [dict(row, organization_id=row["organization"].pk, organization=row["organization"].name)
            for row in selectors.scorecard(request.user, plan)]


@router.get("/targets", response=list[TargetOut])
def list_targets(request, filters: TargetFilter = Query(...), limit: int = Query(500, ge=1, le=1000),
                 offset: int = Query(0, ge=0, le=10**9)):
    qs = filters.filter(selectors.targets_for(request.user)).distinct()
    return qs[offset:offset + limit]


@router.get("/targets/{target_id}", response=TargetOut)
def target_detail(request, target_id: int):
    return get_object_or_404(selectors.targets_for(request.user), pk=target_id)


@router.get("/targets/{target_id}/reports", response=list[ReportOut])
def target_reports(request, target_id: int):
    target = get_object_or_404(selectors.targets_for(request.user), pk=target_id)
    return selectors.reports_for(request.user).filter(target=target)


@router.post("/targets/{target_id}/reports", response={201: ReportOut})
def create_report(request, target_id: int, payload: ReportIn):
    target = get_object_or_404(selectors.targets_for(request.user), pk=target_id)
    unit = get_object_or_404(Organization, pk=payload.reporting_unit_id)
    report = services.submit_progress_report(user=request.user, target=target, reporting_unit=unit,
                                             as_of=payload.as_of, value=payload.value, narrative=payload.narrative)
    return Status(201, report)


@router.get("/supervisions", response=list[SupervisionOut])
def list_supervisions(request, status: str | None = None):
    qs = selectors.supervisions_for(request.user)
    return qs.filter(status=status) if status else qs


@router.post("/supervisions", response={201: SupervisionOut})
def create_supervision(request, payload: SupervisionIn):
    owner = get_object_or_404(Organization, pk=payload.owner_id)
    target = get_object_or_404(selectors.targets_for(request.user), pk=payload.target_id) if payload.target_id else None
    item = services.raise_supervision(user=request.user, owner=owner, title=payload.title, deadline=payload.deadline,
                                      target=target, description=payload.description, reason=payload.reason)
    return Status(201, item)


@router.get("/supervisions/{item_id}", response=SupervisionOut)
def supervision_detail(request, item_id: int):
    return get_object_or_404(selectors.supervisions_for(request.user), pk=item_id)


@router.post("/supervisions/{item_id}/transition", response=SupervisionOut)
def supervision_transition(request, item_id: int, payload: TransitionIn):
    item = get_object_or_404(selectors.supervisions_for(request.user), pk=item_id)
    return services.transition_supervision(user=request.user, item=item, action=payload.action, note=payload.note)
