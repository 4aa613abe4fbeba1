from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from citysafe.core.models import Organization, RegionLevel
from citysafe.core.scoping import regions_in_scope, scope_filter
from citysafe.incidents.grading import ACCIDENT_GRADES, DISASTER_LEVELS, GRADE_LABELS

from . import services
from .models import Drill, EmergencyPlan, PlanLevel

HAZARD_REGION_LEVELS = services.HAZARD_REGION_LEVELS  # the levels a drill's hazard finding may be routed to


def _check_year(value):
    if value is not None and not 2000 <= value.year <= 2100:
        raise ValidationError(_("年份必须在 2000-2100 之间。"))
    return value


class PlanForm(forms.ModelForm):
    hazard_codes_text = forms.CharField(label=_("适用行业/灾种代码"), required=False, max_length=1300,
                                        help_text=_("逗号分隔，如 hazardous_chemicals, landslide；留空表示该类别全部。"))

    class Meta:
        model = EmergencyPlan
        fields = ["name", "code", "level", "owner", "region", "incident_kind", "version", "effective_date", "status",
                  "summary", "source_document"]
        widgets = {"effective_date": forms.DateInput(attrs={"type": "date"}),
                   "summary": forms.Textarea(attrs={"rows": 3, "maxlength": services.MAX_SUMMARY})}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = scope_filter(Organization.objects.all(), user, "id", include_groups=False)
        self.fields["region"].queryset = regions_in_scope(user).filter(level__in=[
            RegionLevel.PROVINCE, RegionLevel.DISTRICT, RegionLevel.ZONE, RegionLevel.TOWNSHIP])
        self.fields["region"].required = False
        self.fields["region"].help_text = _("留空则为编制单位所在区域（企业级预案必须是企业所在区域）。")
        levels = services.creatable_levels(user)
        if self.instance.pk and self.instance.level not in levels:
            levels.append(self.instance.level)
        self.fields["level"].choices = [(v, label) for v, label in PlanLevel.choices if v in levels]
        if levels == [PlanLevel.ENTERPRISE]:
            self.fields["level"].initial = PlanLevel.ENTERPRISE
        self.fields["summary"].max_length = services.MAX_SUMMARY
        self.fields["source_document"].widget.attrs["accept"] = ".pdf,.docx,.doc"
        if self.instance.pk:
            self.fields["hazard_codes_text"].initial = ", ".join(self.instance.hazard_codes or [])

    def clean_source_document(self):
        upload = self.cleaned_data.get("source_document")
        if isinstance(upload, UploadedFile):
            try:
                services._validate_document(upload)
            except services.PlanError as exc:
                raise ValidationError(str(exc)) from None
        return upload

    def clean(self):
        data = super().clean()
        owner = data.get("owner")
        if not data.get("region") and owner is not None:
            if owner.region_id is None:
                self.add_error("region", _("请选择适用区域。"))
            else:
                data["region"] = owner.region
        return data

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data["hazard_codes"] = [c.strip() for c in data.pop("hazard_codes_text", "").split(",") if c.strip()]
        if not isinstance(data.get("source_document"), UploadedFile):
            data.pop("source_document", None)
        return data


class DrillForm(forms.ModelForm):
    organiser = forms.ModelChoiceField(label=_("组织单位"), queryset=Organization.objects.none(), required=False,
                                       help_text=_("留空为预案编制单位；只能选择本单位或本辖区的单位。"))

    class Meta:
        model = Drill
        fields = ["title", "kind", "planned_date", "organiser", "scenario", "participant_units"]
        widgets = {"planned_date": forms.DateInput(attrs={"type": "date"}),
                   "scenario": forms.Textarea(attrs={"rows": 4}), "participant_units": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organiser"].queryset = services.drill_organisers(user).order_by("name")
        self.fields["scenario"].max_length = services.MAX_SUMMARY

    def clean_planned_date(self):
        return _check_year(self.cleaned_data.get("planned_date"))


class HoldForm(forms.Form):
    held_at = forms.DateTimeField(label=_("举行时间"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    participants_count = forms.IntegerField(label=_("参演人数"), min_value=0, max_value=1_000_000)
    participant_units = forms.CharField(label=_("参演单位"), required=False, max_length=5000,
                                        widget=forms.Textarea(attrs={"rows": 2}))
    summary = forms.CharField(label=_("演练总结"), required=False, max_length=services.MAX_SUMMARY,
                              widget=forms.Textarea(attrs={"rows": 3}))
    hazard_findings = forms.CharField(label=_("发现的隐患（每行一条，将登记为隐患）"), required=False,
                                      widget=forms.Textarea(attrs={"rows": 3}))
    hazard_region = forms.ModelChoiceField(label=_("隐患所在区县"), queryset=None, required=False,
                                           help_text=_("留空：预案为区县级时取预案区域，否则取组织单位所在区县。"))
    plan_findings = forms.CharField(label=_("预案需修订之处（每行一条）"), required=False,
                                    widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["hazard_region"].queryset = regions_in_scope(user).filter(
            level__in=HAZARD_REGION_LEVELS).order_by("path")

    def clean_held_at(self):
        return _check_year(self.cleaned_data.get("held_at"))

    def _lines(self, key):
        lines = [line.strip() for line in self.cleaned_data.get(key, "").splitlines() if line.strip()]
        if any(len(line) > services.MAX_FINDING for line in lines):
            raise ValidationError(_("每条发现问题不超过 %(n)s 个字符。") % {"n": services.MAX_FINDING})
        if len(lines) > 100:
            raise ValidationError(_("发现问题最多 100 条。"))
        return "\n".join(lines)

    def clean_hazard_findings(self):
        return self._lines("hazard_findings")

    def clean_plan_findings(self):
        return self._lines("plan_findings")

    def findings(self) -> list[dict]:
        region = self.cleaned_data.get("hazard_region")
        rows = [{"description": line, "kind": "hazard", "region": region}
                for line in self.cleaned_data.get("hazard_findings", "").splitlines() if line.strip()]
        rows += [{"description": line, "kind": "plan_change"}
                 for line in self.cleaned_data.get("plan_findings", "").splitlines() if line.strip()]
        return rows

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        for key in ("hazard_findings", "plan_findings", "hazard_region"):
            data.pop(key, None)
        return data


GRADE_CHOICES = [(g, GRADE_LABELS[g]) for g in ACCIDENT_GRADES + DISASTER_LEVELS]


class LevelForm(forms.Form):
    level = forms.TypedChoiceField(label=_("响应级别"), coerce=int,
                                   choices=[(1, "Ⅰ级"), (2, "Ⅱ级"), (3, "Ⅲ级"), (4, "Ⅳ级")])
    grades = forms.MultipleChoiceField(label=_("启动该级响应的事件等级"), choices=GRADE_CHOICES, required=False,
                                       widget=forms.CheckboxSelectMultiple)
    activation_criteria = forms.CharField(label=_("启动条件"), required=False, max_length=5000,
                                          widget=forms.Textarea(attrs={"rows": 3}))


class CardForm(forms.Form):
    """A role card in plain text: one step a line "标题 | 要求 | 时限(分钟) | 图标", one contact a line
    "姓名 | 职务 | 电话 | 公开" (the fourth column "公开"/"值班" marks a duty line that is never masked)."""

    role = forms.CharField(label=_("岗位/角色"), max_length=60)
    level = forms.TypedChoiceField(label=_("响应级别"), coerce=int, required=False, empty_value=None)
    order = forms.IntegerField(label=_("排序"), min_value=0, max_value=1000, initial=0)
    steps_text = forms.CharField(label=_("处置步骤"), max_length=20000, widget=forms.Textarea(attrs={"rows": 6}),
                                 help_text=_("每行一步：标题 | 具体要求 | 时限(分钟) | 图标；至少一步。"))
    contacts_text = forms.CharField(label=_("关键联系人"), required=False, max_length=5000,
                                    widget=forms.Textarea(attrs={"rows": 3}),
                                    help_text=_("每行一人：姓名 | 职务 | 电话 | 公开（值班电话/热线填“公开”，不打码）。"))
    prohibitions = forms.CharField(label=_("禁止事项"), required=False, max_length=5000,
                                   widget=forms.Textarea(attrs={"rows": 3}), help_text=_("每行一条。"))
    reminders = forms.CharField(label=_("注意事项"), required=False, max_length=5000,
                                widget=forms.Textarea(attrs={"rows": 3}), help_text=_("每行一条。"))

    def __init__(self, *args, plan=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["level"].choices = [("", _("各级响应通用"))] + [
            (lv.level, lv.get_level_display()) for lv in plan.response_levels.all()]

    @staticmethod
    def _cols(line, n):
        cols = [c.strip() for c in line.split("|")]
        return cols + [""] * (n - len(cols))

    def clean_steps_text(self):
        steps = []
        for line in self.cleaned_data["steps_text"].splitlines():
            if not line.strip():
                continue
            title, detail, limit, icon = self._cols(line, 4)[:4]
            steps.append({"title": title, "detail": detail, "time_limit_min": limit or None, "icon": icon})
        if not steps:
            raise ValidationError(_("至少填写一个处置步骤。"))
        return steps

    def clean_contacts_text(self):
        contacts = []
        for line in self.cleaned_data.get("contacts_text", "").splitlines():
            if not line.strip():
                continue
            name, title, phone, flag = self._cols(line, 4)[:4]
            contacts.append({"name": name, "title": title, "phone": phone,
                             "public": flag in ("公开", "值班", "值班电话", "public")})
        return contacts

    @staticmethod
    def initial_for(card) -> dict:
        steps = "\n".join(" | ".join([s.get("title", ""), s.get("detail", ""), str(s.get("time_limit_min") or ""),
                                      s.get("icon", "")]).rstrip(" |") for s in card.steps or [])
        contacts = "\n".join(" | ".join([c.get("name", ""), c.get("title", ""), c.get("phone", ""),
                                         "公开" if c.get("public") else ""]).rstrip(" |")
                             for c in card.contacts or [])
        return {"role": card.role, "level": card.response_level.level if card.response_level_id else "",
                "order": card.order, "steps_text": steps, "contacts_text": contacts,
                "prohibitions": card.prohibitions, "reminders": card.reminders}

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        return {"role": data["role"], "level": data.get("level"), "order": data.get("order") or 0,
                "steps": data["steps_text"], "contacts": data.get("contacts_text") or [],
                "prohibitions": data.get("prohibitions", ""), "reminders": data.get("reminders", "")}
