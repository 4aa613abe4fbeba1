"""Core pages: the home dashboard and the per-object history (audit) page."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from citysafe.workplans import selectors as wp
from citysafe.workplans.views import status_chart_data

from .history import object_history


@login_required
def dashboard(request):
    plan = wp.current_plan(request.user)
    context = {"plan": plan}
    if plan is not None:
        targets = wp.targets_for(request.user, plan)
        counts = wp.status_counts(targets)
        context.update(
            counts=counts, target_total=sum(counts.values()),
            status_chart=status_chart_data(counts),
            supervisions=wp.supervisions_for(request.user).filter(status__in=["proposed", "open", "responded"])[:8],
            attention=targets.filter(status__in=["overdue", "off_track", "at_risk"]).order_by("deadline")[:10],
            recent_reports=wp.reports_for(request.user).filter(target__task__plan=plan)[:8],
        )
    return render(request, "core/dashboard.html", context)


@login_required
def history(request, label: str, pk: int):
    obj, changes = object_history(request.user, label, pk)
    return render(request, "core/history.html", {"object": obj, "changes": changes,
                                                 "model_name": obj._meta.verbose_name})
