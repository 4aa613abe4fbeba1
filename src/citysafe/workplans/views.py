"""Work-plan pages: thin views over selectors, services and excel."""

from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as HttpForbidden
from django.db.models import Count, Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from citysafe.core.models import Organization
from citysafe.core.roles import can_write, is_municipal
from citysafe.core.scoping import organization_in_scope
from citysafe.core.uploads import serve_file

from . import excel, selectors, services
from .errors import WorkplanError
from .filters import TargetFilter
from .forms import BaselineForm, PlanUploadForm, ProgressImportForm, ProgressReportForm, SupervisionForm, TransitionForm
from .models import ResponsibleUnit, SupervisionStatus, Target, TargetStatus, TaskKind

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def status_chart_data(counts: dict) -> list[dict]:
    """Chart rows for the status doughnut: [{key, label, value}]."""
    return [{"key": k, "label": str(TargetStatus(k).label), "value": v} for k, v in counts.items()]


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{filename}"
    return response


@login_required
def plan_list(request):
    form = PlanUploadForm()
    if request.method == "POST":
        if not is_municipal(request.user):
            raise HttpForbidden
        form = PlanUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                result = services.import_plan(upload.read(), upload.name, year=form.cleaned_data["year"],
                                              user=request.user, expand_groups=form.cleaned_data["expand_groups"])
            except WorkplanError as exc:
                form.add_error("file", str(exc))
            else:
                if result.unchanged:
                    messages.info(request, _("该文件已导入过,未做修改。"))
                else:
                    messages.success(request, _("导入完成: %(tasks)s 项任务, %(targets)s 个目标。") % {
                        "tasks": sum(result.counts.get(k, 0) for k in TaskKind.values),
                        "targets": result.counts["targets"]})
                    if result.created_organizations:
                        messages.warning(request, _("新建单位(待核实): ") + "、".join(result.created_organizations))
                return redirect("workplans:plan_detail", result.plan.pk)
    plans = selectors.plans_for(request.user)
    return render(request, "workplans/plan_list.html", {"plans": plans, "form": form,
                                                        "can_import": is_municipal(request.user)})


@login_required
def plan_detail(request, pk):
    plan = get_object_or_404(selectors.plans_for(request.user), pk=pk)
    targets = selectors.targets_for(request.user, plan)
    tasks = (selectors.tasks_for(request.user, plan)
             .prefetch_related(Prefetch("responsible_units",
                                        queryset=ResponsibleUnit.objects.select_related("organization")))
             .annotate(target_count=Count("targets", distinct=True)).order_by("kind", "index"))
    by_kind = {kind: [t for t in tasks if t.kind == kind] for kind in TaskKind.values}
    counts = selectors.status_counts(targets)
    sections = [(section, [t for t in by_kind["task"] if t.section_id == section.pk])
                for section in plan.sections.all()]
    distinct = Target.objects.filter(pk__in=targets.values("pk"))
    bars = {"categories": [str(TaskKind(k).label) for k in TaskKind.values],
            "series": [{"key": s, "label": str(TargetStatus(s).label),
                        "values": [distinct.filter(task__kind=k, status=s).count() for k in TaskKind.values]}
                       for s in TargetStatus.values]}
    return render(request, "workplans/plan_detail.html", {
        "plan": plan, "sections": sections, "annex": [(TaskKind(k).label, by_kind[k]) for k in ("kpi", "domain",
                                                                                                  "platform")],
        "counts": counts, "plan_counts": services.plan_counts(plan), "status_chart": status_chart_data(counts),
        "kind_chart": bars, "can_import": is_municipal(request.user)})


@login_required
def plan_compare(request, pk):
    """What changed between this version and the previous one: tasks and targets added, removed or changed."""
    plan = get_object_or_404(selectors.plans_for(request.user), pk=pk)
    if plan.previous is None:
        messages.info(request, _("这是第一个版本,没有可比较的上一版本。"))
        return redirect("workplans:plan_detail", pk)

    def index(p):
        return {(t.task.code, t.metric, t.scope): t for t in
                Target.objects.filter(task__plan=p).select_related("task")}

    old, new = index(plan.previous), index(plan)
    changed = [(new[k], old[k]) for k in new.keys() & old.keys()
               if (new[k].comparator, new[k].value, new[k].unit, new[k].deadline) !=
               (old[k].comparator, old[k].value, old[k].unit, old[k].deadline)]
    return render(request, "workplans/plan_compare.html", {
        "plan": plan, "added": [new[k] for k in sorted(new.keys() - old.keys())],
        "removed": [old[k] for k in sorted(old.keys() - new.keys())], "changed": changed})


@login_required
def matrix_export(request, pk):
    plan = get_object_or_404(selectors.plans_for(request.user), pk=pk)
    return _xlsx(excel.responsibility_matrix(plan, request.user), f"responsibility-matrix-{plan.year}.xlsx")


@login_required
def progress_export(request, pk):
    plan = get_object_or_404(selectors.plans_for(request.user), pk=pk)
    return _xlsx(excel.progress_workbook(plan, request.user), f"progress-{plan.year}.xlsx")


@login_required
def progress_import(request, pk):
    plan = get_object_or_404(selectors.plans_for(request.user), pk=pk)
    form, outcome = ProgressImportForm(), None
    if request.method == "POST":
        if not can_write(request.user):
            raise HttpForbidden
        form = ProgressImportForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                outcome = excel.import_progress(plan, request.user, form.cleaned_data["file"].read())
            except WorkplanError as exc:
                form.add_error("file", str(exc))
            else:
                if not outcome.errors:
                    messages.success(request, _("已导入 %(n)s 条进展报告。") % {"n": outcome.saved})
                    return redirect("workplans:plan_detail", pk)
    return render(request, "workplans/progress_import.html", {"plan": plan, "form": form, "outcome": outcome})


@login_required
def target_list(request):
    plan = selectors.current_plan(request.user)
    plan_id = request.GET.get("plan") or (plan.pk if plan else None)
    qs = selectors.targets_for(request.user).filter(task__plan_id=plan_id).select_related("task")
    filterset = TargetFilter(request.GET or None, queryset=qs)
    targets = filterset.qs.distinct() if filterset.is_bound and filterset.is_valid() else qs
    return render(request, "workplans/target_list.html", {"filter": filterset, "targets": targets[:1000],
                                                          "total": targets.count(), "plan_id": plan_id})


@login_required
def target_detail(request, pk):
    target = get_object_or_404(selectors.targets_for(request.user).select_related("task__plan"), pk=pk)
    form = ProgressReportForm(user=request.user, initial={"as_of": timezone.localdate()})
    if request.method == "POST":
        form = ProgressReportForm(request.POST, request.FILES, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.submit_progress_report(user=request.user, target=target,
                                                reporting_unit=data["reporting_unit"], as_of=data["as_of"],
                                                value=data["value"], narrative=data["narrative"],
                                                evidence=data["evidence"])
            except WorkplanError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("进展已保存。"))
                return redirect("workplans:target_detail", pk)
    units = target.task.responsible_units.select_related("organization", "via_group")
    return render(request, "workplans/target_detail.html", {
        "target": target, "units": units, "form": form, "can_write": can_write(request.user),
        "reports": selectors.reports_for(request.user).filter(target=target),
        "supervisions": selectors.supervisions_for(request.user).filter(target=target),
        "is_municipal": is_municipal(request.user),
        "supervision_form": SupervisionForm(initial={"owner": target.task.lead_unit,
                                                     "title": f"{target.code} {target.metric} 进度督办"}),
        "baseline_form": BaselineForm(initial={"baseline": target.baseline})})


@login_required
@require_POST
def target_baseline(request, pk):
    target = get_object_or_404(selectors.targets_for(request.user), pk=pk)
    form = BaselineForm(request.POST)
    if form.is_valid():
        try:
            services.set_baseline(user=request.user, target=target, baseline=form.cleaned_data["baseline"])
        except WorkplanError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("上年基数已保存。"))
    else:
        messages.error(request, _("上年基数无效: ") + "; ".join(e for errs in form.errors.values() for e in errs))
    return redirect("workplans:target_detail", pk)


@login_required
@require_POST
def supervision_create(request, pk):
    target = get_object_or_404(selectors.targets_for(request.user), pk=pk)
    form = SupervisionForm(request.POST)
    if form.is_valid():
        try:
            item = services.raise_supervision(user=request.user, target=target, **form.cleaned_data)
        except WorkplanError as exc:
            messages.error(request, str(exc))
        else:
            return redirect("workplans:supervision_detail", item.pk)
    else:
        messages.error(request, "; ".join(f"{k}: {v[0]}" for k, v in form.errors.items()))
    return redirect("workplans:target_detail", pk)


@login_required
def supervision_list(request):
    items = selectors.supervisions_for(request.user)
    status = request.GET.get("status")
    if status:
        items = items.filter(status=status)
    if request.method == "POST" and is_municipal(request.user):
        created = services.propose_supervisions()
        messages.info(request, _("新生成 %(n)s 条督办建议。") % {"n": len(created)})
        return redirect("workplans:supervision_list")
    return render(request, "workplans/supervision_list.html", {"items": items, "status": status, "statuses": SupervisionStatus.choices,
                                                               "is_municipal": is_municipal(request.user)})


@login_required
def supervision_detail(request, pk):
    item = get_object_or_404(selectors.supervisions_for(request.user), pk=pk)
    if request.method == "POST":
        form = TransitionForm(request.POST)
        if form.is_valid():
            try:
                services.transition_supervision(user=request.user, item=item, action=form.cleaned_data["action"],
                                                note=form.cleaned_data["note"])
            except WorkplanError as exc:
                messages.error(request, str(exc))
            return redirect("workplans:supervision_detail", pk)
    owner_side = can_write(request.user) and organization_in_scope(request.user, item.owner_id)
    return render(request, "workplans/supervision_detail.html", {
        "item": item, "is_municipal": is_municipal(request.user), "owner_side": owner_side})


@login_required
def scorecard(request):
    plan = selectors.current_plan(request.user)
    plan_id = request.GET.get("plan")
    if plan_id:
        plan = get_object_or_404(selectors.plans_for(request.user), pk=plan_id)
    rows = selectors.scorecard(request.user, plan) if plan else []
    led = [r for r in rows if r["targets_led"]][:25]
    chart = {"categories": [r["organization"].name for r in led],
             "series": [{"key": s, "label": str(TargetStatus(s).label), "values": [r["status"][s] for r in led]}
                        for s in TargetStatus.values]}
    return render(request, "workplans/scorecard.html", {"plan": plan, "rows": rows, "chart": chart,
                                                        "statuses": TargetStatus.choices})


@login_required
def unit_scorecard(request, org_id):
    plan = selectors.current_plan(request.user)
    org = get_object_or_404(Organization, pk=org_id)
    if not (is_municipal(request.user) or organization_in_scope(request.user, org.pk)):
        raise HttpForbidden
    units = ResponsibleUnit.objects.filter(task__plan=plan, organization=org)
    targets = Target.objects.filter(task__responsible_units__in=units).select_related("task").distinct()
    row = next((r for r in selectors.scorecard(request.user, plan) if r["organization"].pk == org.pk), None)
    return render(request, "workplans/unit_scorecard.html", {
        "org": org, "plan": plan, "row": row, "targets": targets,
        "roles": {u.task_id: u.get_role_display() for u in units},
        "supervisions": selectors.supervisions_for(request.user).filter(owner=org)})


@login_required
def report_evidence(request, pk):
    """The evidence file of a progress report the user may see (download; never rendered in the site origin)."""
    report = get_object_or_404(selectors.reports_for(request.user).exclude(evidence=""), pk=pk)
    return serve_file(report.evidence, f"evidence-{report.target.code}-{report.as_of}{Path(report.evidence.name).suffix}")
