"""Warning pages: the active list and map (refreshed live by htmx polling), a warning's timeline."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from citysafe.workplans.errors import WorkplanError

from . import manual, selectors, services
from .models import LEVEL_ORDER, WarningStatus


def _sorted_active(user):
    active = list(selectors.warnings_for(user).filter(status=WarningStatus.ACTIVE))
    return sorted(active, key=lambda w: (-LEVEL_ORDER.get(w.level, 0), -w.updated_at.timestamp()))


@login_required
def warning_list(request):
    recent = selectors.warnings_for(request.user).exclude(status=WarningStatus.ACTIVE)[:50]
    return render(request, "early_warning/warning_list.html", {"active": _sorted_active(request.user),
                                                               "recent": recent})


@login_required
def active_partial(request):
    """The live part of the list (htmx polls it)."""
    return render(request, "early_warning/_active_table.html", {"active": _sorted_active(request.user)})


@login_required
def active_geojson(request):
    return JsonResponse(selectors.active_warnings_geojson(selectors.warnings_for(request.user)))


@login_required
def warning_detail(request, pk):
    warning = get_object_or_404(selectors.warnings_for(request.user), pk=pk)
    from citysafe.monitoring.models import Device

    return render(request, "early_warning/warning_detail.html", {
        "warning": warning, "device": Device.objects.filter(pk=warning.device_id).first() if warning.device_id else None, "cap_messages": warning.cap_messages.all()[:20],
        "can_end": manual.can_end(request.user, warning)})


@login_required
@require_POST
def warning_end(request, pk):
    """Lift (kind "cleared", 解除) or withdraw (kind "cancelled", 撤销) an active warning; a refusal is a message."""
    warning = get_object_or_404(selectors.warnings_for(request.user), pk=pk)
    kind = request.POST.get("kind", "cleared")
    if kind not in manual.END_KINDS:
        messages.error(request, _("请选择解除预警或撤销预警"))
        return redirect("early_warning:warning_detail", pk)
    try:
        services.end_warning(user=request.user, warning=warning, kind=kind, note=request.POST.get("note", ""))
    except WorkplanError as exc:  # PermissionDenied included
        messages.error(request, str(exc))
    else:
        messages.success(request, _("预警已解除") if kind == "cleared" else _("预警已撤销"))
    return redirect("early_warning:warning_detail", pk)
