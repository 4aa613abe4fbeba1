"""Forms of the work-plan pages."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from citysafe.core.models import Organization
from citysafe.core.roles import is_municipal
from citysafe.core.scoping import scope_organization_ids
from citysafe.core.uploads import validate_upload


class PlanUploadForm(forms.Form):
    file = forms.FileField(label=_("工作要点文件(TXT/HTML/DOCX/PDF)"))
    year = forms.IntegerField(label=_("年度(可选)"), required=False, min_value=2000, max_value=2100)
    expand_groups = forms.BooleanField(label=_("将“各区县政府”等集合展开到具体单位"), required=False)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.CITYSAFE_MAX_UPLOAD_MB * 1024 * 1024:
            raise forms.ValidationError(_("文件过大"))
        return upload


def _unit_choices(user):
    qs = Organization.objects.exclude(kind="group").order_by("kind", "name")
    if not is_municipal(user):
        qs = qs.filter(pk__in=scope_organization_ids(user, include_groups=False))
    return qs


class ProgressReportForm(forms.Form):
    reporting_unit = forms.ModelChoiceField(label=_("报送单位"), queryset=Organization.objects.none())
    as_of = forms.DateField(label=_("截至日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    value = forms.FloatField(label=_("完成值"), required=False)
    narrative = forms.CharField(label=_("进展情况"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    evidence = forms.FileField(label=_("佐证材料"), required=False, validators=[validate_upload])

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reporting_unit"].queryset = _unit_choices(user)
        profile = getattr(user, "profile", None)
        if profile and profile.organization_id:
            self.fields["reporting_unit"].initial = profile.organization_id


class SupervisionForm(forms.Form):
    owner = forms.ModelChoiceField(label=_("承办单位"), queryset=Organization.objects.exclude(kind="group"))
    title = forms.CharField(label=_("督办事项"), max_length=300)
    description = forms.CharField(label=_("督办要求"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    deadline = forms.DateField(label=_("办理时限"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))


class TransitionForm(forms.Form):
    action = forms.ChoiceField(choices=[(a, a) for a in ("accept", "dismiss", "respond", "reject", "close")])
    note = forms.CharField(label=_("意见"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class BaselineForm(forms.Form):
    baseline = forms.FloatField(label=_("上年基数"), required=False, min_value=0,
                                widget=forms.NumberInput(attrs={"placeholder": _("上年全年数值"), "class": "form-control",
                                                                "step": "any"}))


class ProgressImportForm(forms.Form):
    file = forms.FileField(label=_("进展填报表(.xlsx)"))
