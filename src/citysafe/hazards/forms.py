"""Forms of the hazard pages."""

from django import forms
from django.utils.translation import gettext_lazy as _

from citysafe.core.forms import bootstrap
from citysafe.core.models import Organization, Region
from citysafe.core.uploads import validate_upload

from .models import HazardGrade, HazardSource, Industry


class HazardForm(forms.Form):
    title = forms.CharField(label=_("隐患名称"), max_length=200)
    description = forms.CharField(label=_("隐患描述"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    industry = forms.ModelChoiceField(label=_("行业领域"), queryset=Industry.objects.all(), required=False)
    gbt4754_code = forms.CharField(label=_("国民经济行业代码"), max_length=10, required=False)
    source = forms.ChoiceField(label=_("来源"), choices=HazardSource.choices)
    grade = forms.ChoiceField(label=_("等级"), choices=HazardGrade.choices)
    basis = forms.CharField(label=_("判定依据"), max_length=300, required=False)
    enterprise = forms.ModelChoiceField(label=_("企业/单位"), required=False,
                                        queryset=Organization.objects.exclude(kind="group"))
    site = forms.CharField(label=_("场所"), max_length=200, required=False)
    address = forms.CharField(label=_("地址"), max_length=300, required=False)
    lon = forms.FloatField(label=_("经度"), required=False, min_value=-180, max_value=180)
    lat = forms.FloatField(label=_("纬度"), required=False, min_value=-90, max_value=90)
    region = forms.ModelChoiceField(label=_("所在区县(可由位置自动确定)"), required=False,
                                    queryset=Region.objects.filter(level__in=["district", "zone"]))
    found_by = forms.CharField(label=_("发现人"), max_length=100, required=False)
    deadline = forms.DateField(label=_("整改期限"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)


def units_in_reach(user):
    """Organisations the user may hand a hazard to: everything for the city, else their own units and those
    located in their region subtree (the service checks the same rule)."""
    from django.db.models import Q

    from citysafe.core.roles import is_municipal
    from citysafe.core.scoping import scope_organization_ids, scope_region_paths

    qs = Organization.objects.exclude(kind="group").order_by("kind", "name")
    if is_municipal(user):
        return qs
    condition = Q(pk__in=scope_organization_ids(user, include_groups=False))
    for path in scope_region_paths(user) or []:
        condition |= Q(region__path__startswith=path)
    return qs.filter(condition)


class TransitionForm(forms.Form):
    action = forms.ChoiceField(choices=[(a, a) for a in ("route", "assign", "start", "submit", "accept", "reject")])
    comment = forms.CharField(label=_("意见"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    deadline = forms.DateField(label=_("整改期限"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    responsible_unit = forms.ModelChoiceField(label=_("整改责任单位"), required=False,
                                              queryset=Organization.objects.exclude(kind="group"))
    region = forms.ModelChoiceField(label=_("所在区县"), required=False,
                                    queryset=Region.objects.filter(level__in=["district", "zone"]))
    industry = forms.ModelChoiceField(label=_("行业领域"), required=False, queryset=Industry.objects.all())
    measures = forms.CharField(label=_("整改措施"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)
        if user is not None:
            self.fields["responsible_unit"].queryset = units_in_reach(user)


class ExtensionForm(forms.Form):
    new_deadline = forms.DateField(label=_("新期限"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    reason = forms.CharField(label=_("延期原因"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("文件"), validators=[validate_upload])
    caption = forms.CharField(label=_("说明"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)
