"""Resource pages: registry lists per kind, detail, map, nearest panel with dispatch, import.  Thin over services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from citysafe.core.roles import can_write
from citysafe.workplans.errors import WorkplanError

from . import dispatch as dispatching
from . import importing, selectors, services
from .forms import ImportForm, ResourceForm, StockForm
from .models import DispatchStatus, ResourceKind, ResourceStatus
from .nearest import configured_graph


@login_required
def resource_list(request):
    kind = request.GET.get("kind") if request.GET.get("kind") in ResourceKind.values else None
    status = request.GET.get("status") if request.GET.get("status") in ResourceStatus.values else None
    qs = selectors.resources_for(request.user, kind)
    if status:
        qs = qs.filter(status=status)
    counts = {k: selectors.resources_for(request.user, k).count() for k in ResourceKind.values}
    return render(request, "resources/resource_list.html", {
        "resources": qs[:1000], "total": qs.count(), "kind": kind, "status": status,
        "kinds": [(k, label, counts[k]) for k, label in ResourceKind.choices], "statuses": ResourceStatus.choices,
        "can_write": can_write(request.user)})


@login_required
def resource_detail(request, pk):
    resource = get_object_or_404(selectors.resources_for(request.user), pk=pk)
    if request.method == "POST" and resource.kind == ResourceKind.DEPOT:
        form = StockForm(request.POST)
        if form.is_valid():
            try:
                services.set_stock(resource, user=request.user, **form.cleaned_data)
            except WorkplanError as exc:
                messages.error(request, str(exc))
        else:
            messages.error(request, "；".join(f"{form.fields[k].label if k in form.fields else k}：{v[0]}"
                                             for k, v in form.errors.items()))
        return redirect("resources:resource_detail", pk)
    return render(request, "resources/resource_detail.html", {
        "r": resource, "stock": resource.stock.all(), "stock_form": StockForm(),
        "dispatches": selectors.dispatches_for(request.user).filter(team=resource)[:50],
        "can_manage": selectors.can_manage(request.user, resource)})


@login_required
def resource_create(request):
    form = ResourceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            resource = services.create_resource(user=request.user, **form.cleaned_data)
            return redirect("resources:resource_detail", resource.pk)
        except WorkplanError as exc:
            form.add_error(None, str(exc))
    return render(request, "resources/resource_form.html", {"form": form})


@login_required
def resource_map(request):
    return render(request, "resources/resource_map.html", {"kinds": ResourceKind.choices})


def _float(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


@login_required
def nearest_panel(request):
    """``?incident=<id>`` or ``?lon=&lat=``, optional ``kind`` (repeatable), ``order`` = distance|time."""
    incident = None
    if request.GET.get("incident", "").isdigit():
        incident_id = _pk(request.GET["incident"])  # bad or out-of-range text: the same 404 as not found
        try:
            incident = selectors.incident_for(request.user, incident_id) if incident_id else None
        except ObjectDoesNotExist:  # not found or outside scope: the same 404
            incident = None
        if incident is None:
            return HttpResponse(status=404)
    kinds = [k for k in request.GET.getlist("kind") if k in ResourceKind.values]
    order = request.GET.get("order") if request.GET.get("order") in {"distance", "time"} else None
    found, error = [], None
    try:
        found = selectors.nearest_for(request.user, incident=incident, lon=_float(request.GET.get("lon")),
                                      lat=_float(request.GET.get("lat")), kinds=kinds or None,
                                      available_only=request.GET.get("all") != "1", limit=20, order=order)
    except WorkplanError as exc:
        error = str(exc)
    template = "resources/_nearest.html" if request.htmx else "resources/nearest.html"
    return render(request, template, {
        "incident": incident, "found": found, "error": error, "kinds": ResourceKind.choices, "selected": kinds,
        "has_graph": configured_graph() is not None, "order": order,
        "dispatch_rows": _dispatch_rows(request.user, incident) if incident else [],
        "can_dispatch": can_write(request.user) and incident is not None,
        "dispatchable": [*dispatching.DISPATCHABLE_KINDS, ResourceKind.DEPOT],
        "manageable": {n.resource.pk for n in found if selectors.can_manage(request.user, n.resource)}})


def _dispatch_rows(user, incident):
    """(dispatch, [(next state, label)]) with cancelling offered last."""
    rows = []
    for d in selectors.dispatches_for(user).filter(incident=incident):
        states = sorted(dispatching.TRANSITIONS[d.status], key=lambda s: s == DispatchStatus.CANCELLED)
        if not dispatching.may_advance(user, d):
            states = []  # only the managers of what was sent may move it
        rows.append((d, [(s, DispatchStatus(s).label) for s in states]))
    return rows


def _back(request, incident_id):
    """Back to ``next`` when it is a page of this site (no open redirect), else to the incident's nearest panel."""
    target = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        target = f"{reverse('resources:nearest')}?incident={incident_id}"
    return redirect(target)


MAX_PK = 2**63 - 1


def _pk(value):
    """A positive database id from form text, or None."""
    value = (value or "").strip()
    if not value.isascii() or not value.isdigit() or not 0 < int(value) <= MAX_PK:
        return None
    return int(value)


@login_required
@require_POST
def dispatch_create(request):
    try:
        incident = selectors.incident_for(request.user, _pk(request.POST.get("incident")))
    except Exception:  # noqa: BLE001 - unknown or outside scope
        return HttpResponse(status=404)
    team = None
    if request.POST.get("team"):
        team_pk = _pk(request.POST["team"])
        if team_pk is None:
            messages.error(request, _("调派资源无效"))
            return _back(request, incident.pk)
        team = get_object_or_404(selectors.resources_for(request.user), pk=team_pk)
    items = []
    stock = selectors.stock_for(request.user)
    for key, value in request.POST.items():
        if key.startswith("stock-") and value.strip() not in ("", "0"):
            stock_pk = _pk(key[6:])
            try:
                quantity = int(value)
            except ValueError:
                quantity = None
            if stock_pk is None or quantity is None:
                messages.error(request, _("调用数量必须为正整数"))
                return _back(request, incident.pk)
            items.append((get_object_or_404(stock, pk=stock_pk), quantity))
    try:
        dispatching.request_dispatch(user=request.user, incident=incident, team=team, items=items,
                                     note=request.POST.get("note", ""))
        messages.success(request, _("已请求调派"))
    except WorkplanError as exc:
        messages.error(request, str(exc))
    return _back(request, incident.pk)


@login_required
@require_POST
def dispatch_advance(request, pk):
    dispatch = get_object_or_404(selectors.dispatches_for(request.user), pk=pk)
    returned = {}
    for key, value in request.POST.items():
        if key.startswith("returned-") and value.strip():
            try:
                returned[int(key[9:])] = int(value)
            except ValueError:  # also the digit-count limit of int()
                messages.error(request, _("归还数量无效"))
                return _back(request, dispatch.incident_id)
    try:
        dispatching.advance(dispatch, request.POST.get("to", ""), user=request.user, returned=returned)
    except WorkplanError as exc:
        messages.error(request, str(exc))
    return _back(request, dispatch.incident_id)


@login_required
def import_page(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    outcome = None
    if request.method == "POST" and form.is_valid():
        try:
            outcome = importing.import_resources(form.cleaned_data["file"].read(), user=request.user)
            if outcome.ok:
                messages.success(request, _("已导入 %(r)s 个资源、%(s)s 条库存") % {"r": outcome.resources,
                                                                          "s": outcome.stock})
                return redirect("resources:resource_list")
        except WorkplanError as exc:
            messages.error(request, str(exc))
    return render(request, "resources/import.html", {"form": form, "outcome": outcome})


@login_required
def import_template(request):
    response = HttpResponse(importing.template_workbook(),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = 'attachment; filename="resources-template.xlsx"'
    return response
