"""Hazard pages: thin views over selectors and services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as HttpForbidden
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from citysafe.core.roles import can_write
from citysafe.core.uploads import serve_file

from . import selectors, services
from .errors import HazardError
from .filters import HazardFilter, RiskPointFilter
from .forms import AttachmentForm, ExtensionForm, HazardForm, TransitionForm
from .models import HazardAttachment, HazardStatus


def _filtered(request, qs, filter_class):
    filterset = filter_class(request.GET or None, queryset=qs)
    return filterset, (filterset.qs if filterset.is_bound and filterset.is_valid() else qs)


@login_required
def hazard_list(request):
    filterset, hazards = _filtered(request, selectors.hazards_for(request.user), HazardFilter)
    return render(request, "hazards/hazard_list.html", {
        "filter": filterset, "hazards": hazards[:500], "total": hazards.count(),
        "totals": selectors.totals(hazards), "can_write": can_write(request.user)})


@login_required
def triage_queue(request):
    hazards = selectors.hazards_for(request.user).filter(status=HazardStatus.TRIAGE)
    return render(request, "hazards/triage_queue.html", {"hazards": hazards, "form": TransitionForm()})


@login_required
def hazard_create(request):
    if not can_write(request.user):
        raise HttpForbidden
    form = HazardForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
        try:
            hazard = services.create_hazard(user=request.user, **data)
        except HazardError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("隐患已登记: %(code)s") % {"code": hazard.code})
            return redirect("hazards:hazard_detail", hazard.pk)
    return render(request, "hazards/hazard_form.html", {"form": form})


@login_required
def hazard_detail(request, pk):
    hazard = get_object_or_404(selectors.hazards_for(request.user), pk=pk)
    user = request.user
    actions = _available_actions(user, hazard)
    return render(request, "hazards/hazard_detail.html", {
        "hazard": hazard, "actions": actions, "form": TransitionForm(initial={"deadline": hazard.deadline}, user=user),
        "transitions": hazard.transitions.select_related("by"), "extensions": hazard.extensions.all(),
        "attachments": hazard.attachments.all(), "extension_form": ExtensionForm(),
        "attachment_form": AttachmentForm(), "can_extend": hazard.is_open and services.is_supervising_side(user, hazard),
        "can_attach": can_write(user) and (services.is_supervising_side(user, hazard) or
                                           services.is_responsible_side(user, hazard))})


ACTION_LABELS = {"route": _("分派"), "assign": _("交办整改"), "start": _("开始整改"), "submit": _("提交验收"),
                 "accept": _("验收通过(销号)"), "reject": _("验收不通过")}
ACTION_STATES = {"route": HazardStatus.TRIAGE, "assign": HazardStatus.REPORTED, "start": HazardStatus.ASSIGNED,
                 "submit": HazardStatus.RECTIFYING, "accept": HazardStatus.SUBMITTED, "reject": HazardStatus.SUBMITTED}


def _available_actions(user, hazard):
    """Actions the user may take now, for the buttons (the service checks again)."""
    checks = {"supervising": services.is_supervising_side, "responsible": services.is_responsible_side,
              "acceptor": services.can_accept}
    return [(action, ACTION_LABELS[action]) for action, (_m, side) in services.ACTIONS.items()
            if ACTION_STATES[action] == hazard.status and checks[side](user, hazard)]


@login_required
@require_POST
def hazard_transition(request, pk):
    hazard = get_object_or_404(selectors.hazards_for(request.user), pk=pk)
    form = TransitionForm(request.POST, user=request.user)
    if not form.is_valid():
        messages.error(request, "; ".join(f"{k}: {v[0]}" for k, v in form.errors.items()))
        return redirect("hazards:hazard_detail", pk)
    data = form.cleaned_data
    try:
        services.transition_hazard(user=request.user, hazard=hazard, action=data["action"], comment=data["comment"],
                                   deadline=data["deadline"], responsible_unit=data["responsible_unit"],
                                   region=data["region"], industry=data["industry"], measures=data["measures"])
    except HazardError as exc:
        if request.headers.get("Accept") == "application/json":
            return JsonResponse({"detail": str(exc)}, status=400)
        messages.error(request, str(exc))
    return redirect("hazards:hazard_detail", pk)


@login_required
@require_POST
def hazard_extend(request, pk):
    hazard = get_object_or_404(selectors.hazards_for(request.user), pk=pk)
    form = ExtensionForm(request.POST)
    if form.is_valid():
        try:
            services.extend_deadline(user=request.user, hazard=hazard, **form.cleaned_data)
        except HazardError as exc:
            messages.error(request, str(exc))
    return redirect("hazards:hazard_detail", pk)


@login_required
@require_POST
def hazard_attach(request, pk):
    hazard = get_object_or_404(selectors.hazards_for(request.user), pk=pk)
    if not (can_write(request.user) and (services.is_supervising_side(request.user, hazard) or
                                         services.is_responsible_side(request.user, hazard))):
        raise HttpForbidden
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        kind = "photo" if (upload.content_type or "").startswith("image/") else "document"
        HazardAttachment.objects.create(hazard=hazard, kind=kind, file=upload, caption=form.cleaned_data["caption"],
                                        uploaded_by=request.user)
    return redirect("hazards:hazard_detail", pk)


@login_required
def hazard_map(request):
    return render(request, "hazards/hazard_map.html", {})


@login_required
def statistics(request):
    hazards = selectors.hazards_for(request.user)
    by_region = selectors.hazard_statistics(hazards, "region")
    by_industry = selectors.hazard_statistics(hazards, "industry")
    chart = {"categories": [r["label"] for r in by_region[:40]],
             "found": [r["found"] for r in by_region[:40]], "rectified": [r["rectified"] for r in by_region[:40]],
             "overdue": [r["overdue"] for r in by_region[:40]]}
    choropleth = {r["label"]: r["major_open"] for r in by_region}
    return render(request, "hazards/statistics.html", {
        "totals": selectors.totals(hazards), "by_region": by_region, "by_industry": by_industry,
        "by_grade": selectors.hazard_statistics(hazards, "grade"),
        "by_status": selectors.hazard_statistics(hazards, "status"), "chart": chart, "choropleth": choropleth})


@login_required
def risk_point_list(request):
    filterset, points = _filtered(request, selectors.risk_points_for(request.user), RiskPointFilter)
    return render(request, "hazards/risk_point_list.html", {"filter": filterset, "points": points[:500],
                                                            "total": points.count()})


@login_required
def risk_point_detail(request, pk):
    point = get_object_or_404(selectors.risk_points_for(request.user), pk=pk)
    return render(request, "hazards/risk_point_detail.html", {
        "point": point, "assignments": point.assignments.select_related("person", "deputy").order_by("level")})


@login_required
def attachment(request, pk):
    """A hazard's photo or document, for users who may see the hazard."""
    item = get_object_or_404(HazardAttachment.objects.filter(hazard__in=selectors.hazards_for(request.user)), pk=pk)
    return serve_file(item.file)
