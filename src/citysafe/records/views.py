"""Records pages: thin views over selectors, services, crosscheck and importing.  ``?format=csv|xlsx`` on every
list downloads the table (``citysafe.core.exports``)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as HttpForbidden
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from citysafe.core.exports import table_response
from citysafe.core.roles import can_write

from . import crosscheck, importing, selectors, services, tables
from .errors import RecordError
from .forms import (
    DisasterReportForm,
    EventForm,
    RecordFilter,
    RecordForm,
    ResolveForm,
    SourceFigureForm,
    UploadForm,
    WithdrawForm,
)
from .models import AccidentRecord, DisasterReport, DiscrepancyStatus

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _export(request, table, name):
    """A download when ``?format=`` is given, else None."""
    fmt = request.GET.get("format")
    if not fmt:
        return None
    try:
        return table_response(*table(), name, fmt)
    except ValueError:
        return HttpResponseBadRequest(_("导出格式只能是 csv 或 xlsx。"))


def _writer(request):
    if not can_write(request.user):
        raise HttpForbidden


@login_required
def record_list(request):
    qs = selectors.records_for(request.user)
    params = request.GET.copy()
    params.pop("format", None)
    filterset = RecordFilter(params or None, queryset=qs)
    if filterset.is_bound and not filterset.is_valid():
        records = qs.none()  # an invalid filter shows its error and no rows, never "everything"
    else:
        records = filterset.qs if filterset.is_bound else qs
    download = _export(request, lambda: tables.records_table(records), "accident-records")
    if download:
        return download
    return render(request, "records/record_list.html", {
        "filter": filterset, "records": records[:500], "totals": selectors.record_totals(records),
        "can_write": can_write(request.user)})


@login_required
def record_detail(request, pk):
    record = get_object_or_404(selectors.records_for(request.user), pk=pk)
    subject = f"accident:{record.pk}"
    return render(request, "records/record_detail.html", {
        "record": record, "history": record.history.select_related("history_user")[:50],
        "figures": selectors.source_figures_for(request.user).filter(subject=subject),
        "discrepancies": selectors.discrepancies_for(request.user).filter(subject=subject),
        "can_write": can_write(request.user), "subject": subject})


@login_required
def record_form(request, pk=None):
    _writer(request)
    record = get_object_or_404(selectors.records_for(request.user), pk=pk) if pk else None
    form = RecordForm(request.POST or None, instance=record, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            if record is None:
                record = services.create_record(user=request.user, **data)
            else:
                # the form has already written its values into ``record``; the service works on the stored one
                record = services.update_record(user=request.user, record=AccidentRecord.objects.get(pk=record.pk),
                                                **data)
        except RecordError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        except services.PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("已保存。"))
            return redirect("records:record_detail", record.pk)
    return render(request, "records/record_form.html", {"form": form, "record": record})


def _import_page(request, template_name, run, back):
    _writer(request)
    form = UploadForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        result = run(form.cleaned_data["file"].read())
        if result.ok:
            messages.success(request, _("已导入 %(n)s 条。") % {"n": result.created})
    return render(request, "records/import.html", {"form": form, "result": result, "template_url": template_name,
                                                   "back": back})


@login_required
def record_import(request):
    return _import_page(request, "records:record_template",
                        lambda data: importing.import_records(request.user, data), "records:record_list")


def _xlsx(body: bytes, name: str) -> HttpResponse:
    response = HttpResponse(body, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response


@login_required
def record_template(request):
    return _xlsx(importing.records_template(request.user), "accident-records-template")


@login_required
def disaster_template(request):
    return _xlsx(importing.disaster_template(request.user), "disaster-reports-template")


@login_required
def event_list(request):
    events = selectors.events_for(request.user)
    download = _export(request, lambda: tables.events_table(events), "disaster-events")
    if download:
        return download
    form = EventForm(request.POST or None, user=request.user)
    if request.method == "POST":
        _writer(request)
        if form.is_valid():
            try:
                event = services.create_event(user=request.user, **form.cleaned_data)
            except RecordError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, str(exc))
            except services.PermissionDenied as exc:
                form.add_error(None, str(exc))
            else:
                return redirect("records:event_detail", event.pk)
    return render(request, "records/event_list.html", {"events": events, "form": form,
                                                       "can_write": can_write(request.user)})


@login_required
def event_detail(request, pk):
    event = get_object_or_404(selectors.events_for(request.user), pk=pk)
    reports = selectors.reports_for(request.user).filter(event=event)
    download = _export(request, lambda: tables.reports_table(reports), f"disaster-{event.pk}")
    if download:
        return download
    can_manage = services.can_manage_event(request.user, event)
    form = DisasterReportForm(request.POST or None)
    if request.method == "POST":
        _writer(request)
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                services.add_disaster_report(user=request.user, event=event, **data)
            except RecordError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, str(exc))
            except services.PermissionDenied as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("灾情已报送。"))
                return redirect("records:event_detail", event.pk)
    return render(request, "records/event_detail.html", {
        "event": event, "regions": selectors.event_versions(request.user, event), "form": form,
        "indicators": services.INDICATORS, "can_write": can_write(request.user) and event.status == "active",
        "can_manage": can_manage and event.status == "active", "withdraw_form": WithdrawForm()})


@login_required
def event_edit(request, pk):
    event = get_object_or_404(selectors.events_for(request.user), pk=pk)
    if not services.can_manage_event(request.user, event):
        raise HttpForbidden
    initial = {n: getattr(event, n) for n in ("title", "hazard_type", "start_date", "end_date", "note",
                                              "is_mass_casualty_responsibility")}
    form = EventForm(request.POST or None, initial=initial, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_event(user=request.user, event=event, **form.cleaned_data)
        except RecordError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        except services.PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("已保存。"))
            return redirect("records:event_detail", event.pk)
    return render(request, "records/event_form.html", {"event": event, "form": form})


@login_required
@require_POST
def event_withdraw(request, pk):
    event = get_object_or_404(selectors.events_for(request.user), pk=pk)
    if not services.can_manage_event(request.user, event):
        raise HttpForbidden
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写撤回原因。"))
        return redirect("records:event_detail", event.pk)
    try:
        services.withdraw_event(user=request.user, event=event, reason=form.cleaned_data["reason"])
    except (RecordError, services.PermissionDenied) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("已撤回；该灾害过程不再计入统计和考核。"))
    return redirect("records:event_detail", event.pk)


@login_required
def event_import(request, pk):
    event = get_object_or_404(selectors.events_for(request.user), pk=pk)
    return _import_page(request, "records:disaster_template",
                        lambda data: importing.import_disaster_reports(request.user, event, data),
                        "records:event_list")


@login_required
def disaster_statistics(request):
    year = request.GET.get("year") or str(timezone.localdate().year)
    try:
        year_number = int(year)
        if not 2000 <= year_number <= 2100:
            raise ValueError
    except ValueError:
        return HttpResponseBadRequest(_("年度无效。"))
    stats = selectors.disaster_statistics(request.user, f"{year_number}-01-01", f"{year_number}-12-31",
                                          request.GET.get("region") or None)
    download = _export(request, lambda: tables.statistics_table(stats), f"disaster-statistics-{year_number}")
    if download:
        return download
    columns = [(n, DisasterReport._meta.get_field(n).verbose_name) for n in services.INDICATORS]
    return render(request, "records/disaster_statistics.html", {"stats": stats, "year": year_number,
                                                                "columns": columns})


@login_required
def discrepancy_list(request):
    items = selectors.discrepancies_for(request.user)
    status = request.GET.get("status")
    if status in DiscrepancyStatus.values:
        items = items.filter(status=status)
    download = _export(request, lambda: tables.discrepancies_table(items), "discrepancies")
    if download:
        return download
    return render(request, "records/discrepancy_list.html", {
        "items": items[:500], "status": status, "form": ResolveForm(), "can_write": can_write(request.user)})


@login_required
@require_POST
def discrepancy_resolve(request, pk):
    _writer(request)
    item = get_object_or_404(selectors.discrepancies_for(request.user), pk=pk)
    form = ResolveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "；".join(f"{form.fields[k].label if k in form.fields else ''}：{v[0]}"
                                         for k, v in form.errors.items()))
        return redirect("records:discrepancy_list")
    try:
        crosscheck.resolve(user=request.user, discrepancy=item, **form.cleaned_data)
    except (RecordError, services.PermissionDenied) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("已核实。"))
    return redirect("records:discrepancy_list")


@login_required
def figure_list(request):
    figures = selectors.source_figures_for(request.user)
    if request.GET.get("subject"):
        figures = figures.filter(subject=request.GET["subject"])
    download = _export(request, lambda: tables.figures_table(figures), "source-figures")
    if download:
        return download
    form = SourceFigureForm(request.POST or None, initial={"subject": request.GET.get("subject", "")},
                            user=request.user)
    if request.method == "POST":
        _writer(request)
        if form.is_valid():
            try:
                _figure, found = crosscheck.add_source_figure(user=request.user, **form.cleaned_data)
            except RecordError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, str(exc))
            except services.PermissionDenied as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("已录入；发现差异，请核实。") if found else _("已录入。"))
                return redirect("records:figure_list")
    return render(request, "records/figure_list.html", {"figures": figures[:500], "form": form,
                                                        "can_write": can_write(request.user)})
