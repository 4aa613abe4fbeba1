"""Forms of the incident pages (intake and follow-up report)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from citysafe.core.forms import bootstrap
from citysafe.core.models import Organization, OrganizationKind, Region
from citysafe.core.roles import is_municipal
from citysafe.core.scoping import scope_organization_ids
from citysafe.hazards.models import Industry

from .errors import IncidentError
from .models import DISASTER_TYPES, IncidentKind, ReportKind, ReportLevel
from .services import FIGURE_LIMITS, MAX_LOSS_YUAN, checked_time

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def _figure(name, label):
    """A count with the limit the service and the API schema use (``services.FIGURE_LIMITS``)."""
    return forms.IntegerField(label=label, required=False, min_value=0, max_value=FIGURE_LIMITS[name])


class FiguresForm(forms.Form):
    deaths = _figure("deaths", _("死亡"))
    missing = _figure("missing", _("失踪(下落不明)"))
    serious_injuries = _figure("serious_injuries", _("重伤(含急性工业中毒)"))
    direct_loss_yuan = forms.DecimalField(label=_("直接经济损失(元)"), required=False, min_value=0,
                                          max_value=MAX_LOSS_YUAN, max_digits=16, decimal_places=2)
    trapped = _figure("trapped", _("被困"))
    evacuated = _figure("evacuated", _("紧急疏散"))
    relocated = _figure("relocated", _("紧急转移安置和需紧急生活救助(人次)"))
    houses_collapsed_damaged = _figure("houses_collapsed_damaged", _("倒塌和严重损坏房屋(间)"))


class IncidentForm(FiguresForm):
    kind = forms.ChoiceField(label=_("类别"), choices=IncidentKind.choices)
    title = forms.CharField(label=_("标题"), max_length=200)
    occurred_at = forms.DateTimeField(label=_("发生时间"), widget=DATETIME)
    industry = forms.ModelChoiceField(label=_("行业领域(事故)"), queryset=Industry.objects.all(), required=False)
    disaster_type = forms.ChoiceField(label=_("灾种(自然灾害)"), choices=[("", "—")] + DISASTER_TYPES,
                                      required=False)
    place = forms.CharField(label=_("地点"), max_length=300, required=False)
    lon = forms.FloatField(label=_("经度"), required=False, min_value=-180, max_value=180)
    lat = forms.FloatField(label=_("纬度"), required=False, min_value=-90, max_value=90)
    region = forms.ModelChoiceField(label=_("所在区县(可由位置自动确定)"), required=False,
                                    queryset=Region.objects.filter(level__in=["district", "zone"]))
    organization = forms.ModelChoiceField(label=_("事发单位"), required=False,
                                          queryset=Organization.objects.exclude(kind="group"))
    description = forms.CharField(label=_("简要经过"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    reporter_name = forms.CharField(label=_("报告人"), max_length=50, required=False)
    reporter_phone = forms.CharField(label=_("报告人电话"), max_length=30, required=False)
    first_report_level = forms.ChoiceField(
        label=_("首报报送层级"), required=False,
        choices=[("", _("自动（事故报县级，自然灾害报地市级）"))] + ReportLevel.choices)

    field_order = ["kind", "title", "occurred_at", "industry", "disaster_type", "place", "lon", "lat", "region",
                   "organization", "description"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Only organisations the user may act for (core.scoping.organization_in_scope): none for no user.
        organizations = Organization.objects.exclude(kind=OrganizationKind.GROUP)
        if user is None or not is_municipal(user):
            ids = scope_organization_ids(user, include_groups=False) if user is not None else set()
            organizations = organizations.filter(pk__in=ids)
        self.fields["organization"].queryset = organizations
        bootstrap(self)

    def clean_occurred_at(self):
        value = self.cleaned_data.get("occurred_at")
        if value is None:
            return value
        try:
            return checked_time(value, _("发生时间"))
        except IncidentError as exc:
            raise forms.ValidationError(str(exc)) from None


class ReportForm(FiguresForm):
    kind = forms.ChoiceField(label=_("报告类型"), choices=[(ReportKind.FOLLOW_UP, ReportKind.FOLLOW_UP.label),
                                                          (ReportKind.FINAL, ReportKind.FINAL.label)])
    level = forms.ChoiceField(label=_("报送层级"), choices=ReportLevel.choices)
    reporter_name = forms.CharField(label=_("报告人"), max_length=50, required=False)
    note = forms.CharField(label=_("情况说明"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    field_order = ["kind", "level"]

    def __init__(self, *args, kinds=None, **kwargs):
        """``kinds``: the report kinds allowed now (``services.report_kinds``); default 续报 and 终报."""
        super().__init__(*args, **kwargs)
        if kinds is not None:
            self.fields["kind"].choices = [(k, ReportKind(k).label) for k in kinds]
        bootstrap(self)
