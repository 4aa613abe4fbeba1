"""Core pages: the home dashboard and the per-object history (audit) page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from citysafe.workplans import selectors as wp
from citysafe.workplans.views import status_chart_data

from .history import object_history
from .models import ApiToken


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
    from citysafe.early_warning.models import WarningStatus
    from citysafe.early_warning.selectors import warnings_for
    from citysafe.hazards.selectors import hazards_for, totals

    context["hazard_totals"] = totals(hazards_for(request.user))
    active = warnings_for(request.user).filter(status=WarningStatus.ACTIVE)
    context["warning_counts"] = {level: active.filter(level=level).count()
                                 for level in ("red", "orange", "yellow", "blue")}
    return render(request, "core/dashboard.html", context)


@login_required
def history(request, label: str, pk: int):
    obj, changes = object_history(request.user, label, pk)
    return render(request, "core/history.html", {"object": obj, "changes": changes,
                                                 "model_name": obj._meta.verbose_name})


@login_required
def token_list(request):
    """The user's own API tokens: issue one (its secret is shown once) or revoke one."""
    secret = None
    if request.method == "POST":
        name = (request.POST.get("name") or "").strip()[:100]
        if not name:
            messages.error(request, _("请填写令牌用途"))
        else:
            _token, secret = ApiToken.objects.issue(request.user, name, days=365)
    tokens = ApiToken.objects.filter(user=request.user).order_by("-created_at")
    return render(request, "core/token_list.html", {"tokens": tokens, "secret": secret})


@login_required
@require_POST
def token_revoke(request, pk: int):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    token.revoked = True
    token.save(update_fields=["revoked"])
    messages.info(request, _("令牌已吊销"))
    return redirect("core:token_list")
