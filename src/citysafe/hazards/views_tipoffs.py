"""Tip-off pages: the public side (form, thank-you page with the follow-up code, status lookup; no login) and the
staff side (list, detail with triage / reject / verify / reward, XLSX export).  Thin views over ``tipoffs``."""

import io
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from citysafe.core.forms import bootstrap
from citysafe.core.roles import can_write

from . import tipoffs
from .errors import HazardError
from .models import HazardGrade, Industry, TipOffStatus

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- forms -------------------------------------------------------------------------------------------------------

class TipOffForm(forms.Form):
    description = forms.CharField(label=gettext_lazy("举报内容"), min_length=tipoffs.DESCRIPTION_MIN,
                                  max_length=tipoffs.DESCRIPTION_MAX, widget=forms.Textarea(attrs={"rows": 6}),
                                  help_text=gettext_lazy("请写明单位名称、具体位置、存在的问题及发现时间。"))
    address = forms.CharField(label=gettext_lazy("地点"), max_length=300, required=False)
    lon = forms.FloatField(label=gettext_lazy("经度"), required=False, min_value=-180, max_value=180,
                           widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}))
    lat = forms.FloatField(label=gettext_lazy("纬度"), required=False, min_value=-90, max_value=90,
                           widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}))
    industry = forms.ModelChoiceField(label=gettext_lazy("行业领域(可不选)"), queryset=Industry.objects.all(),
                                      required=False)
    anonymous = forms.BooleanField(label=gettext_lazy("匿名举报(不留姓名和电话)"), required=False)
    reporter_name = forms.CharField(label=gettext_lazy("姓名"), max_length=50, required=False,
                                    widget=forms.TextInput(attrs={"autocomplete": "name"}))
    reporter_phone = forms.CharField(label=gettext_lazy("联系电话"), max_length=30, required=False,
                                     widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}))
    form_token = forms.CharField(widget=forms.HiddenInput)
    # The honeypot: hidden from people (CSS and aria), filled in by bots.
    website = forms.CharField(required=False, label=gettext_lazy("网址(请勿填写)"),
                              widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)


class TriageForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("隐患名称"), max_length=200)
    description = forms.CharField(label=gettext_lazy("隐患描述(整改责任单位可见,请勿写入可能暴露举报人的信息)"),
                                  required=False, widget=forms.Textarea(attrs={"rows": 3}))
    grade = forms.ChoiceField(label=gettext_lazy("等级"), choices=HazardGrade.choices)
    industry = forms.ModelChoiceField(label=gettext_lazy("行业领域"), queryset=Industry.objects.all(),
                                      required=False)
    deadline = forms.DateField(label=gettext_lazy("整改期限"), required=False,
                               widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    comment = forms.CharField(label=gettext_lazy("内部意见"), max_length=100, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)


class RewardForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("奖励类型"), choices=list(tipoffs.REWARD_KINDS.items()))
    fine_amount = forms.DecimalField(label=gettext_lazy("罚款金额(元)"), required=False, min_value=0,
                                     max_digits=12, decimal_places=2)
    concealed_deaths = forms.IntegerField(label=gettext_lazy("瞒报、谎报死亡人数"), required=False, min_value=1)
    accident_grade = forms.ChoiceField(label=gettext_lazy("核定事故等级"), required=False,
                                       choices=[("", "—")] + list(tipoffs.ACCIDENT_GRADES.items()))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)


# --- public side (no login) --------------------------------------------------------------------------------------

@never_cache
def tipoff_form(request):
    """The public form; on success the answer is the thank-you page with the follow-up code, shown this once.
    Honeypot, form age and use, and the per-client rate limit are checked before anything is saved."""
    if request.method == "POST":
        form = TipOffForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                tipoffs.check_form(data["form_token"], data["website"])
                tip_off, code = tipoffs.submit_tip_off(
                    description=data["description"], address=data["address"], lon=data["lon"], lat=data["lat"],
                    industry=data["industry"], anonymous=data["anonymous"], reporter_name=data["reporter_name"],
                    reporter_phone=data["reporter_phone"], fingerprint=tipoffs.request_fingerprint(request))
            except HazardError as exc:
                form.add_error(None, str(exc))
            else:
                # The code is shown in this answer only: it is kept nowhere (no session, no URL), and the form
                # token is single-use, so a reload cannot submit twice.
                response = render(request, "hazards/tipoff_thanks.html",
                                  {"follow_up": code, "number": tip_off.code})
                response["Cache-Control"] = "no-store"
                return response
        # A fresh token for the next try (the person has read the errors by the time they send again).
        form.data = form.data.copy()
        form.data["form_token"] = tipoffs.form_token()
        form.data["website"] = ""
    else:
        form = TipOffForm(initial={"form_token": tipoffs.form_token()})
    return render(request, "hazards/tipoff_form.html", {"form": form})


@never_cache
def tipoff_status(request):
    """Follow-up by code (POST, so the code stays out of URLs, logs and browser history)."""
    result, not_found, error, code = None, False, "", ""
    if request.method == "POST":
        code = (request.POST.get("code") or "").strip()[:40]
        try:
            tipoffs.check_status_lookup_rate(tipoffs.request_fingerprint(request))
        except HazardError as exc:
            error = str(exc)
        else:
            result = tipoffs.status_for_code(code)
            not_found = result is None
    response = render(request, "hazards/tipoff_status.html", {"result": result, "not_found": not_found,
                                                              "error": error, "code": code},
                      status=404 if not_found else 429 if error else 200)
    response["Cache-Control"] = "no-store"
    return response


# --- staff side ----------------------------------------------------------------------------------------------------

@login_required
def tipoff_list(request):
    qs = tipoffs.visible_tip_offs(request.user)
    status = request.GET.get("status")
    if status in TipOffStatus.values:
        qs = qs.filter(status=status)
    return render(request, "hazards/tipoff_list.html", {
        "tip_offs": qs[:500], "total": qs.count(), "status": status, "statuses": TipOffStatus.choices})


def _reward_proposal(tip_off, data: dict | None):
    """(form, amount, basis, error) for the reward proposal on the detail page."""
    initial = {"kind": "hazard", "fine_amount": tip_off.fine_amount}
    form = RewardForm(data or None, initial=initial)
    values = initial
    if data is not None and form.is_valid():
        values = form.cleaned_data
    elif data is not None:
        return form, None, "", "; ".join(e for errs in form.errors.values() for e in errs)
    try:
        amount, basis = tipoffs.propose_reward(values["kind"], values.get("fine_amount"),
                                               values.get("concealed_deaths"), values.get("accident_grade"))
    except HazardError as exc:
        return form, None, "", str(exc)
    return form, amount, basis, ""


@login_required
def tipoff_detail(request, pk):
    tip_off = get_object_or_404(tipoffs.visible_tip_offs(request.user).select_related("hazard"), pk=pk)
    writer = can_write(request.user)
    context = {"tip_off": tip_off, "identity": tipoffs.reporter_identity(request.user, tip_off),
               "can_write": writer, "statuses": TipOffStatus}
    if writer and tip_off.status == TipOffStatus.RECEIVED:
        context["triage_form"] = TriageForm(initial={"industry": tip_off.industry_id})
    if writer and tip_off.status == TipOffStatus.VERIFIED:
        data = request.GET if "kind" in request.GET else None
        form, amount, basis, error = _reward_proposal(tip_off, data)
        context.update({"reward_form": form, "proposal_amount": amount, "proposal_basis": basis,
                        "proposal_error": error})
    return render(request, "hazards/tipoff_detail.html", context)


def _handled(request, pk, call, success):
    tip_off = get_object_or_404(tipoffs.visible_tip_offs(request.user), pk=pk)
    try:
        call(tip_off)
    except HazardError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, success)
    return redirect("hazards:tipoff_detail", pk)


@login_required
@require_POST
def tipoff_triage(request, pk):
    form = TriageForm(request.POST)
    if not form.is_valid():
        messages.error(request, "; ".join(f"{form.fields[k].label if k in form.fields else ''}: {v[0]}"
                                          for k, v in form.errors.items()))
        return redirect("hazards:tipoff_detail", pk)
    data = form.cleaned_data
    return _handled(request, pk, lambda t: tipoffs.triage_to_hazard(
        user=request.user, tip_off=t, title=data["title"], grade=data["grade"], industry=data["industry"],
        deadline=data["deadline"], comment=data["comment"], description=data["description"]),
        _("已转为隐患。"))


@login_required
@require_POST
def tipoff_reject(request, pk):
    reply = request.POST.get("reply", "")
    return _handled(request, pk, lambda t: tipoffs.reject_tip_off(user=request.user, tip_off=t, reply=reply),
                    _("已不予立案,答复已保存。"))


@login_required
@require_POST
def tipoff_verify(request, pk):
    fine = (request.POST.get("fine_amount") or "").strip() or None
    reply = request.POST.get("reply", "")
    return _handled(request, pk, lambda t: tipoffs.verify_tip_off(user=request.user, tip_off=t, fine_amount=fine,
                                                                  reply=reply),
                    _("已确认查证属实。"))


@login_required
@require_POST
def tipoff_reward(request, pk):
    amount = (request.POST.get("amount") or "").strip()
    basis = request.POST.get("basis", "")
    return _handled(request, pk, lambda t: tipoffs.record_reward(user=request.user, tip_off=t, amount=amount,
                                                                 basis=basis),
                    _("奖励已登记。"))


@login_required
def tipoff_export(request):
    """XLSX of the tip-offs in scope; the reporter is masked unless the user holds view_reporter_identity."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = _("举报")
    headers = [_("编号"), _("受理时间"), _("状态"), _("所在区县"), _("行业领域"), _("地点"), _("经度"), _("纬度"),
               _("举报内容"), _("举报人"), _("联系电话"), _("转办隐患"), _("罚款金额(元)"), _("奖励金额(元)"),
               _("奖励依据"), _("答复")]
    ws.append(headers)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for t in tipoffs.visible_tip_offs(request.user).select_related("hazard").order_by("-received_at")[:50000]:
        identity = tipoffs.reporter_identity(request.user, t)
        ws.append([t.code, timezone.localtime(t.received_at).strftime("%Y-%m-%d %H:%M"), t.get_status_display(),
                   t.region.name if t.region else "", t.industry.name if t.industry else "", t.address, t.lon, t.lat,
                   t.description, identity["name"], identity["phone"], t.hazard.code if t.hazard else "",
                   _money(t.fine_amount), _money(t.reward_amount), t.reward_basis, t.public_reply])
        for cell in ws[ws.max_row]:
            if cell.data_type == "f":  # public text starting with "=" must stay text, never a formula
                cell.data_type = "s"
    for column, width in zip("ABCDEFGHIJKLMNOP", [22, 17, 12, 12, 14, 24, 10, 10, 60, 10, 16, 22, 14, 14, 40, 40]):
        ws.column_dimensions[column].width = width
    buffer = io.BytesIO()
    wb.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''tip-offs-{timezone.localdate():%Y%m%d}.xlsx"
    return response


def _money(value: Decimal | None):
    return float(value) if value is not None else None
