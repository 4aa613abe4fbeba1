from django import forms
from django.utils.translation import gettext_lazy as _

from citysafe.core.models import Organization, RegionLevel
from citysafe.core.scoping import regions_in_scope, scope_filter

from .models import Drill, EmergencyPlan


class PlanForm(forms.ModelForm):
    hazard_codes_text = forms.CharField(label=_("适用行业/灾种代码"), required=False,
                                        help_text=_("逗号分隔, 如 hazardous_chemicals, landslide; 留空表示该类别全部"))

    class Meta:
        model = EmergencyPlan
        fields = ["name", "code", "level", "owner", "region", "incident_kind", "version", "effective_date", "status",
                  "summary", "source_document"]
        widgets = {"effective_date": forms.DateInput(attrs={"type": "date"}),
                   "summary": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = scope_filter(Organization.objects.all(), user, "id", include_groups=False)
        self.fields["region"].queryset = regions_in_scope(user).filter(level__in=[
            RegionLevel.PROVINCE, RegionLevel.DISTRICT, RegionLevel.ZONE, RegionLevel.TOWNSHIP])
        if self.instance.pk:
            self.fields["hazard_codes_text"].initial = ", ".join(self.instance.hazard_codes or [])

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data["hazard_codes"] = [c.strip() for c in data.pop("hazard_codes_text", "").split(",") if c.strip()]
        if not data.get("source_document"):
            data.pop("source_document", None)
        return data


class DrillForm(forms.ModelForm):
    class Meta:
        model = Drill
        fields = ["title", "kind", "planned_date", "scenario", "participant_units"]
        widgets = {"planned_date": forms.DateInput(attrs={"type": "date"}),
                   "scenario": forms.Textarea(attrs={"rows": 4}), "participant_units": forms.Textarea(attrs={"rows": 2})}


class HoldForm(forms.Form):
    held_at = forms.DateTimeField(label=_("举行时间"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    participants_count = forms.IntegerField(label=_("参演人数"), min_value=0, max_value=1_000_000)
    participant_units = forms.CharField(label=_("参演单位"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    summary = forms.CharField(label=_("演练总结"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    hazard_findings = forms.CharField(label=_("发现的隐患(每行一条, 将登记为隐患)"), required=False,
                                      widget=forms.Textarea(attrs={"rows": 3}))
    plan_findings = forms.CharField(label=_("预案需修订之处(每行一条)"), required=False,
                                    widget=forms.Textarea(attrs={"rows": 3}))

    def findings(self) -> list[dict]:
        rows = []
        for key, kind in (("hazard_findings", "hazard"), ("plan_findings", "plan_change")):
            rows += [{"description": line.strip(), "kind": kind}
                     for line in self.cleaned_data.get(key, "").splitlines() if line.strip()]
        return rows
