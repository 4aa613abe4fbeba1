"""Incident pages: list, intake, detail with timeline and map, follow-up report.  Thin over selectors/services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as HttpForbidden
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from citysafe.core.roles import can_write

from . import selectors, services
from .errors import IncidentError
from .forms import IncidentForm, ReportForm
from .grading import GRADE_LABELS
from .models import IncidentKind


@login_required
def incident_list(request):
    incidents = selectors.incidents_for(request.user)
    kind = request.GET.get("kind")
    if kind in IncidentKind.values:
        incidents = incidents.filter(kind=kind)
    now = timezone.now()
    rows = list(incidents[:500])
    for incident in rows:
        incident.overdue = selectors.is_overdue(incident, now)
        incident.phone_masked = selectors.masked_phone(incident)
    return render(request, "incidents/incident_list.html", {
        "incidents": rows, "total": incidents.count(), "kinds": IncidentKind.choices, "kind": kind,
        "can_write": can_write(request.user)})


@login_required
def incident_create(request):
    if not can_write(request.user):
        raise HttpForbidden
    form = IncidentForm(request.POST or None, user=request.user, initial={"occurred_at": timezone.localtime().replace(second=0,
                                                                                                  microsecond=0)})
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
        try:
            incident = services.create_incident(user=request.user, **data)
        except IncidentError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("已接报：%(title)s") % {"title": incident.title})
            return redirect("incidents:incident_detail", incident.pk)
    return render(request, "incidents/incident_form.html", {"form": form})


@login_required
def incident_detail(request, pk):
    incident = get_object_or_404(selectors.incidents_for(request.user), pk=pk)
    kinds = services.report_kinds(incident)
    # No report form once nothing can be filed (after the final report and the 补报 window).
    may_report = bool(kinds) and can_write(request.user) and services.in_scope(request.user, incident)
    return render(request, "incidents/incident_detail.html", {
        "incident": incident, "timeline": selectors.timeline(incident),
        "phone_masked": selectors.masked_phone(incident), "can_report": may_report,
        "report_form": ReportForm(kinds=kinds, initial={f: getattr(incident, f) for f in services.FIGURES})})


@login_required
def report_create(request, pk):
    incident = get_object_or_404(selectors.incidents_for(request.user), pk=pk)
    if not (can_write(request.user) and services.in_scope(request.user, incident)):
        raise HttpForbidden
    kinds = services.report_kinds(incident)
    if not kinds:
        messages.error(request, _("已终报且已过补报期，不能再报告。"))
        return redirect("incidents:incident_detail", incident.pk)
    form = ReportForm(request.POST or None, kinds=kinds, initial={f: getattr(incident, f) for f in services.FIGURES})
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if v is not None}
        try:
            report = services.add_report(user=request.user, incident=incident, **data)
        except IncidentError as exc:
            form.add_error(None, str(exc))
        else:
            if report.grade_changed:
                messages.warning(request, _("等级已变更: %(old)s → %(new)s") % {
                    "old": GRADE_LABELS.get(report.grade_before) or "—", "new": GRADE_LABELS.get(report.grade_after) or "—"})
            return redirect("incidents:incident_detail", incident.pk)
    return render(request, "incidents/report_form.html", {"form": form, "incident": incident})
