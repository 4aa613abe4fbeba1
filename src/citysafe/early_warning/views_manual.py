"""Manual warning pages (draft -> approval -> issue) and the warning-loop metrics page: thin views over
``manual`` and ``metrics``."""

import datetime as dt
import json

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as HttpForbidden
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from citysafe.core.forms import bootstrap
from citysafe.core.models import Region
from citysafe.workplans.errors import PermissionDenied, WorkplanError

from . import manual, metrics
from .models import HazardType, Level, WarningStatus

_DT_WIDGET = {"type": "datetime-local"}
_DT_FORMAT = "%Y-%m-%dT%H:%M"


class ManualWarningForm(forms.Form):
    hazard_type = forms.ChoiceField(label=gettext_lazy("灾种"), choices=HazardType.choices)
    level = forms.ChoiceField(label=gettext_lazy("级别"), choices=Level.choices)
    headline = forms.CharField(label=gettext_lazy("标题"), max_length=300)
    region = forms.ModelChoiceField(label=gettext_lazy("区划"), queryset=Region.objects.none())
    area_desc = forms.CharField(label=gettext_lazy("影响范围"), max_length=300, required=False)
    onset = forms.DateTimeField(label=gettext_lazy("开始时间"), required=False,
                                widget=forms.DateTimeInput(attrs=_DT_WIDGET, format=_DT_FORMAT))
    expires = forms.DateTimeField(label=gettext_lazy("失效时间"), required=False,
                                  widget=forms.DateTimeInput(attrs=_DT_WIDGET, format=_DT_FORMAT))
    is_public = forms.BooleanField(label=gettext_lazy("公开发布"), required=False)
    description = forms.CharField(label=gettext_lazy("内容"), required=False, max_length=manual.TEXT_LIMIT,
                                  widget=forms.Textarea(attrs={"rows": 4}))
    instruction = forms.CharField(label=gettext_lazy("防御指南"), required=False, max_length=manual.TEXT_LIMIT,
                                  widget=forms.Textarea(attrs={"rows": 4}))
    polygon = forms.CharField(label=gettext_lazy("范围多边形(GeoJSON, WGS84, 可选)"), required=False,
                              widget=forms.Textarea(attrs={"rows": 3, "class": "form-control font-monospace"}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = manual.drafting_regions(user).order_by("path")
        bootstrap(self)


def _form_initial(warning) -> dict:
    initial = {name: getattr(warning, name) for name in manual.DRAFT_FIELDS}
    initial["polygon"] = json.dumps(warning.polygon, ensure_ascii=False) if warning.polygon else ""
    for name in ("onset", "expires"):
        if initial[name]:
            initial[name] = timezone.localtime(initial[name])
    return initial


def _save(request, form, warning=None):
    """Run the service; on a domain error attach the message to the field at fault and return None."""
    data = dict(form.cleaned_data)
    try:
        if warning is None:
            return manual.create_draft(user=request.user, data=data)
        return manual.update_draft(user=request.user, warning=warning, data=data)
    except manual.DraftError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, str(exc))
    except PermissionDenied as exc:
        form.add_error(None, str(exc))
    return None


@login_required
def manual_list(request):
    """Drafts and pending warnings of the user's organisation, pending ones the user may approve, recent issues."""
    user = request.user
    visible = manual.manual_warnings_for(user)
    open_ = [w for w in visible.filter(status__in=manual.OPEN_STATUSES).order_by("-updated_at")
             if manual.is_author(user, w) or manual.can_reject(user, w)]
    return render(request, "early_warning/manual_list.html", {
        "drafts": [w for w in open_ if w.status == WarningStatus.DRAFT],
        "pending": [w for w in open_ if w.status == WarningStatus.PENDING],
        "issued": visible.exclude(status__in=manual.OPEN_STATUSES).order_by("-raised_at")[:30],
        "can_draft": manual.can_draft(user)})


@login_required
def manual_new(request):
    if not manual.can_draft(request.user):
        raise HttpForbidden
    form = ManualWarningForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        warning = _save(request, form)
        if warning is not None:
            messages.success(request, _("草稿已保存"))
            return redirect("early_warning:manual_detail", warning.pk)
    return render(request, "early_warning/manual_form.html", {"form": form, "warning": None})


@login_required
def manual_edit(request, pk):
    warning = get_object_or_404(manual.manual_warnings_for(request.user), pk=pk)
    if not manual.can_edit(request.user, warning):
        raise HttpForbidden
    form = ManualWarningForm(request.POST or None, user=request.user, initial=_form_initial(warning))
    if request.method == "POST" and form.is_valid():
        if _save(request, form, warning) is not None:
            messages.success(request, _("草稿已保存"))
            return redirect("early_warning:manual_detail", warning.pk)
    return render(request, "early_warning/manual_form.html", {"form": form, "warning": warning})


@login_required
def manual_detail(request, pk):
    user = request.user
    warning = get_object_or_404(manual.manual_warnings_for(user), pk=pk)
    can_change = manual.can_change_level(user, warning)
    return render(request, "early_warning/manual_detail.html", {
        "warning": warning, "events": warning.events.all(),
        "can_edit": manual.can_edit(user, warning), "can_approve": manual.can_approve(user, warning),
        "can_reject": manual.can_reject(user, warning), "can_change_level": can_change,
        "four_eyes_blocked": (warning.status == WarningStatus.PENDING and manual.can_reject(user, warning)
                              and not manual.can_approve(user, warning)),
        "levels": [(v, lbl) for v, lbl in Level.choices if v != warning.level and can_change
                   and manual.may_issue(user, v, warning.region, warning.issuer)],
        "polygon_json": json.dumps(warning.polygon, ensure_ascii=False) if warning.polygon else ""})


def _act(request, pk, action, success):
    """POST actions: run ``action(warning)``; domain errors become a message on the detail page."""
    warning = get_object_or_404(manual.manual_warnings_for(request.user), pk=pk)
    try:
        action(warning)
    except WorkplanError as exc:  # PermissionDenied included
        messages.error(request, str(exc))
    else:
        messages.success(request, success)
    return redirect("early_warning:manual_detail", pk)


@login_required
@require_POST
def manual_submit(request, pk):
    return _act(request, pk, lambda w: manual.submit(user=request.user, warning=w), _("已提交审批"))


@login_required
@require_POST
def manual_approve(request, pk):
    return _act(request, pk, lambda w: manual.approve(user=request.user, warning=w,
                                                      note=request.POST.get("note", "")), _("预警已签发"))


@login_required
@require_POST
def manual_reject(request, pk):
    return _act(request, pk, lambda w: manual.reject(user=request.user, warning=w,
                                                     note=request.POST.get("note", "")), _("已退回修改"))


@login_required
@require_POST
def manual_change_level(request, pk):
    return _act(request, pk, lambda w: manual.change_level(user=request.user, warning=w,
                                                           level=request.POST.get("level", ""),
                                                           note=request.POST.get("note", "")), _("预警级别已调整"))


@login_required
@require_POST
def manual_delete(request, pk):
    warning = get_object_or_404(manual.manual_warnings_for(request.user), pk=pk)
    try:
        manual.delete_draft(user=request.user, warning=warning)
    except WorkplanError as exc:
        messages.error(request, str(exc))
        return redirect("early_warning:manual_detail", pk)
    messages.success(request, _("草稿已删除"))
    return redirect("early_warning:manual_list")


class PeriodForm(forms.Form):
    start = forms.DateField(label=gettext_lazy("开始日期"), widget=forms.DateInput(attrs={"type": "date"},
                                                                                format="%Y-%m-%d"))
    end = forms.DateField(label=gettext_lazy("结束日期"), widget=forms.DateInput(attrs={"type": "date"},
                                                                              format="%Y-%m-%d"))

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            raise forms.ValidationError(_("结束日期不能早于开始日期"))
        # project default: at most about ten years (3660 days), which keeps one page's reads bounded
        if data.get("start") and data.get("end") and (data["end"] - data["start"]).days > 3660:
            raise forms.ValidationError(_("统计期间不能超过十年"))
        return data


def period_from(params) -> tuple[dt.date, dt.date, PeriodForm]:
    """The period of the query string (default: this year so far) and the bound form (with errors if invalid)."""
    start, end = metrics.default_period()
    form = PeriodForm(params if params.get("start") or params.get("end") else None,
                      initial={"start": start, "end": end})
    if form.is_bound and form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    bootstrap(form, small=True)
    return start, end, form


@login_required
def metrics_page(request):
    start, end, form = period_from(request.GET)
    warnings, regions = metrics.scope_for(request.user)
    data = metrics.summary(warnings, regions, start, end)
    by_region = data["acknowledgement"]["by_region"]
    chart = {"categories": [r["region"] for r in by_region],
             "ack_rate": [round(r["ack_rate"] * 100, 1) if r["ack_rate"] is not None else None for r in by_region],
             "median_min": [round(r["median_ack_s"] / 60, 1) if r["median_ack_s"] is not None else None
                            for r in by_region]}
    return render(request, "early_warning/metrics.html", {"form": form, "data": data, "chart": chart,
                                                           "start": start, "end": end})
