"""Pages of the response loop: my notifications, the phone acknowledgement page, execution reports, closing with
feedback, the response table, execution photos and the warning-detail panel (timeline).  Thin: the rules are in
``response.py`` and ``timeline.py``."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as HttpForbidden
from django.forms import modelformset_factory
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from citysafe.core.audit import acting_as
from citysafe.core.forms import bootstrap
from citysafe.core.roles import is_municipal
from citysafe.core.uploads import serve_file
from citysafe.workplans.errors import WorkplanError

from . import response, selectors, timeline
from .models import Acknowledgement, ActionKind, EarlyWarning, ResponseActionTemplate


class ReportForm(forms.Form):
    """An execution report; the photos (``photos``, several files) are read from ``request.FILES``."""

    executed_at = forms.DateTimeField(label=gettext_lazy("执行时间"), required=False,
                                      input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
                                      widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    evacuated = forms.IntegerField(label=gettext_lazy("转移人数"), required=False, min_value=0,
                                   max_value=response.MAX_EVACUATED,
                                   widget=forms.NumberInput(attrs={"inputmode": "numeric"}))
    note = forms.CharField(label=gettext_lazy("情况说明"), required=False, max_length=response.MAX_NOTE,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, action=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.action = action
        if action is not None and action.kind == ActionKind.EVACUATE:
            self.fields["evacuated"].required = True
        bootstrap(self)

    def clean_executed_at(self):
        value = self.cleaned_data.get("executed_at")
        if value is not None and self.action is not None:
            try:
                response.check_executed_at(value, self.action.warning)
            except WorkplanError as exc:
                raise forms.ValidationError(str(exc)) from exc
        return value


class CloseForm(forms.Form):
    """The closing feedback (``response.close_warning`` checks the rest)."""

    feedback = forms.CharField(label=gettext_lazy("闭环反馈"), required=False, max_length=response.MAX_FEEDBACK,
                               widget=forms.Textarea(attrs={"rows": 3}))


def _next_or(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return default


def notification_badge(request) -> dict:
    """Context processor: ``citysafe_unacked_calls`` (warnings the user still has to acknowledge) for the nav."""
    user = getattr(request, "user", None)
    if not getattr(user, "is_authenticated", False):
        return {}
    return {"citysafe_unacked_calls": response.unacknowledged_count(user)}


@login_required
def my_calls(request):
    """The user's in-app notifications: unacknowledged calls per warning, and the actions the user answers for."""
    return render(request, "early_warning/my_calls.html", {
        "groups": response.my_calls(request.user),
        "actions": response.my_open_actions(request.user).order_by("deadline")[:100],
        "has_person": response.person_of(request.user) is not None})


def _ack_warning(request, pk) -> EarlyWarning:
    warning = get_object_or_404(EarlyWarning.objects.select_related("region", "risk_point"), pk=pk)
    if not response.can_open_ack_page(request.user, warning):
        raise Http404
    return warning


@login_required
def warning_ack(request, pk):
    """The phone page: level banner, headline, instruction, the acknowledge button, then the person's actions."""
    warning = _ack_warning(request, pk)
    if request.method == "POST":
        try:
            response.acknowledge(user=request.user, warning=warning)
        except WorkplanError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("已确认收到，请按要求落实响应措施"))
        return redirect("early_warning:warning_ack", pk)
    person = response.person_of(request.user)
    acked = person is not None and Acknowledgement.objects.filter(
        warning=warning, person=person, call_round=warning.call_round).exists()
    actions = [(a, ReportForm(action=a, prefix=f"a{a.pk}"))
               for a in response.my_open_actions(request.user, warning).order_by("deadline")]
    if not actions and response.writer_in_scope(request.user, warning):
        actions = [(a, ReportForm(action=a, prefix=f"a{a.pk}"))
                   for a in warning.actions.filter(status="open").select_related("owner").order_by("deadline")]
    return render(request, "early_warning/ack.html", {
        "warning": warning, "acked": acked, "called": response.was_called(request.user, warning),
        "actions": actions, "active": warning.status == "active"})


@login_required
def action_report(request, pk):
    """Report the execution of one action (GET: the form; POST: store it, then back to ``next``)."""
    action = get_object_or_404(response.actions_for(request.user), pk=pk)
    prefix = request.POST.get("prefix") or request.GET.get("prefix") or None
    form = ReportForm(request.POST or None, action=action, prefix=prefix)
    if request.method == "POST" and form.is_valid():
        try:
            response.report_action(user=request.user, action=action, photos=request.FILES.getlist("photos"),
                                   **form.cleaned_data)
        except response.PermissionDenied as exc:
            raise HttpForbidden(str(exc)) from exc
        except WorkplanError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("已反馈：%(title)s") % {"title": action.title})
            return redirect(_next_or(request, reverse("early_warning:warning_detail", args=[action.warning_id])))
    return render(request, "early_warning/action_report.html", {
        "action": action, "form": form, "can_report": response.can_report(request.user, action),
        "next": _next_or(request, ""), "reports": action.reports.prefetch_related("photos")},
        status=400 if request.method == "POST" else 200)


@login_required
@require_POST
def warning_close(request, pk):
    warning = get_object_or_404(selectors.warnings_for(request.user), pk=pk)
    if not response.writer_in_scope(request.user, warning):
        raise HttpForbidden(_("只有预警所在区域的操作员可以闭环"))
    form = CloseForm(request.POST)
    if not form.is_valid():
        messages.error(request, "；".join(f"{form.fields[name].label}：{e}" for name, errors in form.errors.items()
                                          for e in errors))
        return redirect("early_warning:warning_detail", pk)
    try:
        response.close_warning(user=request.user, warning=warning, feedback=form.cleaned_data["feedback"])
    except response.PermissionDenied as exc:
        raise HttpForbidden(str(exc)) from exc
    except WorkplanError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("预警已闭环"))
    return redirect("early_warning:warning_detail", pk)


@login_required
def response_panel(request, pk):
    """The detail page's response panel (loaded by htmx): counts, actions, the timeline, the closing form."""
    warning = get_object_or_404(selectors.warnings_for(request.user), pk=pk)
    detailed = response.in_region_scope(request.user, warning) or response.was_called(request.user, warning)
    actions = list(warning.actions.select_related("owner", "owner_organization")) if detailed else []
    person = response.person_of(request.user) if actions else None  # looked up once, not once per action
    for action in actions:
        action.warning = warning  # the warning in hand, rather than a query per action
        action.reportable = response.can_report(request.user, action, person=person)
    return render(request, "early_warning/response_panel.html", {
        "warning": warning, "detailed": detailed, "items": timeline.build_timeline(warning, detailed=detailed),
        "counts": timeline.counts(warning) if detailed else None, "actions": actions,
        "missing": response.missing_actions(warning) if detailed else [],
        "can_close": (response.writer_in_scope(request.user, warning) and warning.status in response.ENDED
                      and not warning.closed_at),
        "can_ack": response.was_called(request.user, warning) and warning.status == "active"})


@login_required
def execution_photo(request, pk):
    """An execution photo, for users who may see its action."""
    return serve_file(get_object_or_404(response.photos_for(request.user), pk=pk).file)


TemplateFormSet = modelformset_factory(
    ResponseActionTemplate, extra=1, can_delete=True,
    fields=["level", "hazard_type", "kind", "title", "owner_target", "deadline_minutes", "required", "order",
            "is_active", "source"])


@login_required
def action_templates(request):
    """The emergency plan's response table (municipal administrators edit it; rows are kept with their history)."""
    if not is_municipal(request.user):
        raise HttpForbidden
    formset = TemplateFormSet(request.POST or None, queryset=ResponseActionTemplate.objects.all())
    for form in formset:
        bootstrap(form, small=True)
    if request.method == "POST":
        if formset.is_valid():
            with acting_as(request.user):
                formset.save()
            messages.success(request, _("响应措施已保存"))
            return redirect("early_warning:action_templates")
        messages.error(request, _("请修正标红的字段"))
    return render(request, "early_warning/action_templates.html", {"formset": formset},
                  status=400 if request.method == "POST" else 200)
