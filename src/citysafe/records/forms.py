"""Forms and list filters of the records pages (the services check everything again)."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from citysafe.core.forms import bootstrap
from citysafe.core.models import Organization, Region
from citysafe.core.roles import is_municipal
from citysafe.core.scoping import scope_organization_ids
from citysafe.core.uploads import validate_upload
from citysafe.hazards.models import Industry
from citysafe.incidents import grading

from .models import AccidentRecord, DisasterReport, FigureSourceKind, RecordCategory, ReportStage
from .services import GRADES, INDICATORS, MIN_YEAR, writable_regions

GRADE_CHOICES = [(g, grading.GRADE_LABELS[g]) for g in GRADES]  # one list: incidents.grading
MAX_YEAR = 2100  # project default: upper bound of the year filter


def user_organizations(user):
    """Organisations ``user`` may attribute a record or a figure to (municipal: all but groups)."""
    qs = Organization.objects.exclude(kind="group")
    return qs if is_municipal(user) else qs.filter(pk__in=scope_organization_ids(user, include_groups=False))


def _districts():
    return Region.objects.filter(level__in=["district", "zone"]).order_by("adcode")


class RecordFilter(django_filters.FilterSet):
    date_from = django_filters.DateFilter(label=_("起始日期"), field_name="occurred_on", lookup_expr="gte",
                                          widget=forms.DateInput(attrs={"type": "date"}))
    date_to = django_filters.DateFilter(label=_("截止日期"), field_name="occurred_on", lookup_expr="lte",
                                        widget=forms.DateInput(attrs={"type": "date"}))
    year = django_filters.NumberFilter(label=_("年度"), field_name="occurred_on", lookup_expr="year",
                                       min_value=MIN_YEAR, max_value=MAX_YEAR, decimal_places=0)
    region = django_filters.ModelChoiceFilter(label=_("区县"), queryset=_districts())
    category = django_filters.ChoiceFilter(label=_("类别"), choices=RecordCategory.choices)
    grade = django_filters.ChoiceFilter(label=_("等级"), choices=GRADE_CHOICES)
    industry = django_filters.ModelChoiceFilter(label=_("行业领域"), queryset=Industry.objects.all())

    class Meta:
        model = AccidentRecord
        fields = ["region", "category", "grade", "industry"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self.form, small=True)


class RecordForm(forms.ModelForm):
    grade = forms.ChoiceField(label=_("等级"), choices=[("", "---"), *GRADE_CHOICES], required=False,
                              help_text=_("留空按死亡（含失踪）、重伤和直接经济损失自动定级；可高于、不可低于自动定级。"))
    reason = forms.CharField(label=_("修改原因"), max_length=1000, required=False,
                             help_text=_("修改伤亡或损失数据时必填。"))

    class Meta:
        model = AccidentRecord
        fields = ["category", "title", "occurred_on", "region", "industry", "organization", "grade", "deaths",
                  "missing", "serious_injuries", "injuries", "direct_loss_yuan", "is_secondary", "burned_forest_ha",
                  "note"]
        widgets = {"occurred_on": forms.DateInput(attrs={"type": "date"}), "note": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = writable_regions(user) if user is not None else _districts()
        self.fields["organization"].queryset = user_organizations(user) if user is not None else \
            Organization.objects.exclude(kind="group")
        if self.instance.pk is None:
            del self.fields["reason"]
        bootstrap(self)

    def clean(self):
        data = super().clean()
        if self.instance.pk is not None and not (data.get("reason") or "").strip():
            figures = ("deaths", "missing", "serious_injuries", "injuries", "direct_loss_yuan", "burned_forest_ha")
            stored = type(self.instance).objects.filter(pk=self.instance.pk).values(*figures).first() or {}
            if any(name in data and data[name] != stored.get(name) for name in figures):
                self.add_error("reason", _("修改伤亡或损失数据须填写修改原因。"))
        return data


class EventForm(forms.Form):
    title = forms.CharField(label=_("名称"), max_length=200)
    hazard_type = forms.CharField(label=_("灾种"), max_length=30)
    start_date = forms.DateField(label=_("开始日期"), widget=forms.DateInput(attrs={"type": "date"}))
    end_date = forms.DateField(label=_("结束日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    is_mass_casualty_responsibility = forms.BooleanField(label=_("因灾群死群伤责任事件（经调查认定）"), required=False)
    note = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None and not is_municipal(user):
            del self.fields["is_mass_casualty_responsibility"]  # municipal only (经调查认定)
        bootstrap(self)


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("撤回原因"), max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)


class DisasterReportForm(forms.ModelForm):
    class Meta:
        model = DisasterReport
        fields = ["region", "stage", *INDICATORS, "note"]
        widgets = {"note": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = _districts()
        self.fields["stage"].choices = ReportStage.choices
        for name in INDICATORS:
            self.fields[name].required = False  # blank means 0, as in the statistical forms
        bootstrap(self)


class SourceFigureForm(forms.Form):
    subject = forms.CharField(label=_("核查对象"), max_length=80, help_text=_("如 accident:12 或 disaster:3:500101"))
    metric = forms.CharField(label=_("指标"), max_length=40)
    source_kind = forms.ChoiceField(label=_("来源类型"), choices=[
        c for c in FigureSourceKind.choices if c[0] not in (FigureSourceKind.INCIDENT, FigureSourceKind.MANUAL)])
    source_organization = forms.ModelChoiceField(label=_("来源单位"), required=False,
                                                 queryset=Organization.objects.exclude(kind="group"))
    value = forms.FloatField(label=_("数值"), min_value=0)
    note = forms.CharField(label=_("说明"), max_length=300, required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None:
            self.fields["source_organization"].queryset = user_organizations(user)
        bootstrap(self)


class ResolveForm(forms.Form):
    value = forms.FloatField(label=_("核定值"), min_value=0)
    reason = forms.CharField(label=_("核实说明"), widget=forms.Textarea(attrs={"rows": 2}), max_length=5000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)


class UploadForm(forms.Form):
    file = forms.FileField(label=_("Excel 文件(.xlsx)"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(_("请上传 .xlsx 文件"))
        validate_upload(upload)
        return upload

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)
