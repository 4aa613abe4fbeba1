"""Scorecard pages: ranked table with a bar chart, a unit's drill-down, the weights form, report downloads.

Thin: parse the period, call ``scorecards`` / ``reports``, render.  Units outside the user's scope are 404.
"""


from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as HttpForbidden
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from citysafe.core.exports import table_response
from citysafe.core.models import Organization
from citysafe.core.roles import is_municipal
from citysafe.workplans.errors import PermissionDenied, WorkplanError

from . import reports, scorecards
from .models import PeriodType, ScoreWeights


def _period(request):
    return scorecards.parse_period(request.GET.get("period"))


@login_required
def scorecard_list(request):
    kind = request.GET.get("kind") or "district"
    try:
        period = _period(request)
        rows = scorecards.scorecard(request.user, kind, period)
    except WorkplanError as exc:
        return HttpResponseBadRequest(str(exc))
    fmt = request.GET.get("format")
    if fmt:
        headers, body = scorecards.export_rows(rows)
        try:
            return table_response(headers, body, f"scorecard-{kind}-{period.code}", fmt)
        except ValueError:
            return HttpResponseBadRequest(_("导出格式应为 csv 或 xlsx。"))
    scored = [r for r in rows if r.score is not None]
    chart = {"categories": [r.organization.name for r in scored],
             "series": [{"key": "score", "label": _("得分"), "values": [round(r.score, 2) for r in scored]}]}
    return render(request, "evaluation/scorecard_list.html", {
        "rows": rows, "period": period, "kind": kind, "kinds": scorecards.UNIT_KINDS.items(), "chart": chart,
        "labels": [str(v) for v in scorecards.COMPONENT_LABELS.values()], "can_edit": is_municipal(request.user)})


@login_required
def scorecard_unit(request, org_id: int):
    try:
        period = _period(request)
        report = reports.unit_report(request.user, org_id, period)
    except WorkplanError as exc:
        return HttpResponseBadRequest(str(exc))
    except Organization.DoesNotExist:
        raise Http404 from None
    return render(request, "evaluation/scorecard_unit.html", {"report": report, "row": report.row, "period": period})


@login_required
def report_download(request, org_id: int, fmt: str):
    if fmt not in reports.CONTENT_TYPES:
        raise Http404
    try:
        period = _period(request)
        report = reports.unit_report(request.user, org_id, period)
    except WorkplanError as exc:
        return HttpResponseBadRequest(str(exc))
    except Organization.DoesNotExist:
        raise Http404 from None
    return reports.response(report, fmt)


@login_required
def weights_edit(request):
    """Municipal administrators edit the weights of each period type; others may only look."""
    error = error_field = error_period = None
    if request.method == "POST":
        if not is_municipal(request.user):
            raise HttpForbidden
        try:
            scorecards.update_weights(
                user=request.user, period_type=request.POST.get("period_type", ""),
                values={k: request.POST.get(k) for k in scorecards.COMPONENTS},
                grace_days=request.POST.get("report_grace_days"))
        except PermissionDenied:
            raise HttpForbidden from None
        except WorkplanError as exc:
            error, error_field = str(exc), getattr(exc, "field", None)
            error_period = request.POST.get("period_type")
        else:
            messages.success(request, _("考核权重已保存。"))
            return redirect("evaluation:scorecard_weights")
    rows = [scorecards.get_weights(p) for p in PeriodType.values]
    history = ScoreWeights.history.select_related("history_user").order_by("-history_date")[:50]
    return render(request, "evaluation/scorecard_weights.html", {
        "rows": rows, "error": error, "error_field": error_field, "error_period": error_period,
        "can_edit": is_municipal(request.user), "history": history,
        "components": [(k, str(v)) for k, v in scorecards.COMPONENT_LABELS.items()]}, status=400 if error else 200)
