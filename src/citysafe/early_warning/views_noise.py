"""Noise-control pages: silences (list, create, end early), the user's subscriptions, and a warning's noise panel
(inhibited by / silenced by / group / sector-and-weather children), loaded by htmx into the warning page."""

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
from citysafe.core.models import Person, RegionLevel
from citysafe.core.roles import is_municipal
from citysafe.core.scoping import regions_in_scope
from citysafe.workplans.errors import WorkplanError

from . import noise, selectors
from .models import CALL_CHANNELS, HazardType, Level

WEEKDAYS = [(str(i), label) for i, label in enumerate(
    [gettext_lazy("周一"), gettext_lazy("周二"), gettext_lazy("周三"), gettext_lazy("周四"), gettext_lazy("周五"),
     gettext_lazy("周六"), gettext_lazy("周日")], start=1)]
CHANNEL_LABELS = {"in_app": gettext_lazy("站内通知"), "email": gettext_lazy("邮件"),
                  "webhook": gettext_lazy("Webhook（短信/语音网关）"), "mqtt": gettext_lazy("MQTT 广播")}


def channel_label(code: str) -> str:
    return str(CHANNEL_LABELS.get(code, code))


def _region_field(user, blank_label):
    qs = regions_in_scope(user).exclude(level=RegionLevel.VILLAGE).order_by("adcode")
    municipal = is_municipal(user)
    return forms.ModelChoiceField(label=gettext_lazy("区划"), queryset=qs, required=not municipal,
                                  empty_label=blank_label if municipal else None)


class SilenceForm(forms.Form):
    hazard_type = forms.ChoiceField(label=gettext_lazy("灾种"), required=False,
                                    choices=[("", gettext_lazy("所有灾种"))] + list(HazardType.choices))
    max_level = forms.ChoiceField(label=gettext_lazy("最高静默级别"), choices=Level.choices)
    reason = forms.CharField(label=gettext_lazy("原因"), max_length=300)
    starts_at = forms.DateTimeField(label=gettext_lazy("开始时间（北京时间，空 = 现在）"), required=False,
                                    widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    ends_at = forms.DateTimeField(label=gettext_lazy("到期时间（北京时间）"),
                                  widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    window_start = forms.TimeField(label=gettext_lazy("每日开始（北京时间，可选；不填 = 全天）"), required=False,
                                   widget=forms.TimeInput(attrs={"type": "time"}))
    window_end = forms.TimeField(label=gettext_lazy("每日结束（北京时间，可跨午夜，不能与开始相同）"), required=False,
                                 widget=forms.TimeInput(attrs={"type": "time"}))
    weekdays = forms.MultipleChoiceField(label=gettext_lazy("星期（空 = 每天）"), required=False, choices=WEEKDAYS,
                                         widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields = {"region": _region_field(user, _("全市")), **self.fields}
        levels = noise.silence_levels(user)  # a district silences only up to the highest level it may issue
        self.fields["max_level"].choices = [(v, label) for v, label in Level.choices if v in levels]
        bootstrap(self)
        self.fields["weekdays"].widget.attrs["class"] = "form-check-input"


class SubscriptionForm(forms.Form):
    hazard_type = forms.ChoiceField(label=gettext_lazy("灾种"), required=False,
                                    choices=[("", gettext_lazy("所有灾种"))] + list(HazardType.choices))
    min_level = forms.ChoiceField(label=gettext_lazy("最低级别"), choices=Level.choices)
    channels = forms.MultipleChoiceField(label=gettext_lazy("渠道"), initial=["in_app"],
                                         choices=[(c, CHANNEL_LABELS[c]) for c in CALL_CHANNELS],
                                         widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        fields = {"region": _region_field(user, _("全市"))}
        if is_municipal(user):
            fields["person"] = forms.ModelChoiceField(label=gettext_lazy("人员（空 = 本人）"), required=False,
                                                      queryset=Person.objects.order_by("name"))
        self.fields = {**fields, **self.fields}
        bootstrap(self)
        self.fields["channels"].widget.attrs["class"] = "form-check-input"


@login_required
def silence_list(request):
    now = timezone.now()
    silences = list(noise.silences_for(request.user)[:300])
    for s in silences:
        s.is_active_now = noise.silence_active(s, now)
        s.is_over = s.ends_at <= now
        s.can_end = not s.is_over and noise.can_end_silence(request.user, s)
    return render(request, "early_warning/silence_list.html", {
        "silences": silences, "can_manage": noise.can_manage_silences(request.user)})


@login_required
def silence_create(request):
    if not noise.can_manage_silences(request.user):
        raise HttpForbidden
    with timezone.override(noise.BEIJING):  # the form's date-times are Beijing time whatever TIME_ZONE says
        form = SilenceForm(request.POST or None, user=request.user)
        valid = request.method == "POST" and form.is_valid()
    if valid:
        data = dict(form.cleaned_data)
        data["weekdays"] = "".join(data["weekdays"])
        try:
            noise.create_silence(user=request.user, **data)
        except WorkplanError as exc:
            field = getattr(exc, "field", None)
            form.add_error(field if field in form.fields else None, str(exc))
        else:
            messages.success(request, _("静默已设置"))
            return redirect("early_warning:silence_list")
    return render(request, "early_warning/silence_form.html", {"form": form})


@login_required
@require_POST
def silence_end(request, pk):
    silence = get_object_or_404(noise.silences_for(request.user), pk=pk)
    try:
        noise.end_silence(user=request.user, silence=silence)
    except WorkplanError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("静默已结束"))
    return redirect("early_warning:silence_list")


@login_required
def subscription_list(request):
    subscriptions = list(noise.subscriptions_for(request.user).order_by("person__name", "pk")[:500])
    for s in subscriptions:
        s.channel_labels = [channel_label(c) for c in (s.channels or ["in_app"])]
    return render(request, "early_warning/subscription_list.html", {
        "subscriptions": subscriptions, "municipal": is_municipal(request.user)})


@login_required
def subscription_create(request):
    form = SubscriptionForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            noise.create_subscription(user=request.user, **form.cleaned_data)
        except WorkplanError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("订阅已保存"))
            return redirect("early_warning:subscription_list")
    return render(request, "early_warning/subscription_form.html", {"form": form})


@login_required
@require_POST
def subscription_delete(request, pk):
    subscription = get_object_or_404(noise.subscriptions_for(request.user), pk=pk)
    try:
        noise.delete_subscription(user=request.user, subscription=subscription)
    except WorkplanError as exc:
        messages.error(request, str(exc))
    return redirect("early_warning:subscription_list")


@login_required
def noise_panel(request, pk):
    """The noise panel of a warning page (htmx): only what the user may see; empty when there is nothing to say."""
    visible = selectors.warnings_for(request.user)
    warning = get_object_or_404(visible, pk=pk)
    children = visible.filter(parent=warning).order_by("pk")
    return render(request, "early_warning/_noise_panel.html", {
        "warning": warning, "noise_loaded": True,
        "inhibitor": visible.filter(pk=warning.suppressed_by_id).first() if warning.suppressed_by_id else None,
        "silence": warning.silenced_by, "parent": visible.filter(pk=warning.parent_id).first(),
        "children": children[:200], "children_total": children.count()})
