"""Emergency plans (应急预案), their response levels, role response cards (应急处置卡) and drills (演练).

A plan belongs to an owner organisation and a region at one of four levels (city, district, township,
enterprise) and applies to an incident kind and hazard codes (accident sector codes of ``hazards.Industry`` and/or
disaster types of ``incidents.models.DISASTER_TYPES`` / warning hazard types).  Response levels I..IV store the
incident grades that activate them (``incidents.grading``); each role card lists numbered steps for one role.
Drills record scenario, participants and findings; a finding becomes a hazard or a plan revision note.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from citysafe.core.models import Organization, Region
from citysafe.core.uploads import random_path
from citysafe.incidents.models import IncidentKind


def plan_document_path(instance, filename: str) -> str:
    """Plan documents are stored under a random name (served only through the scoped view)."""
    return random_path("plans", filename)


class PlanLevel(models.TextChoices):
    CITY = "city", _("市级")
    DISTRICT = "district", _("区县级")
    TOWNSHIP = "township", _("乡镇(街道)级")
    ENTERPRISE = "enterprise", _("企业级")


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    ACTIVE = "active", _("现行有效")
    SUPERSEDED = "superseded", _("已废止")


class EmergencyPlan(models.Model):
    name = models.CharField(_("预案名称"), max_length=200)
    code = models.CharField(_("预案编号"), max_length=60, unique=True)
    level = models.CharField(_("预案层级"), max_length=16, choices=PlanLevel.choices)
    owner = models.ForeignKey(Organization, verbose_name=_("编制单位"), on_delete=models.PROTECT,
                              related_name="emergency_plans")
    region = models.ForeignKey(Region, verbose_name=_("适用区域"), on_delete=models.PROTECT,
                               related_name="emergency_plans")
    incident_kind = models.CharField(_("适用事件类别"), max_length=20, choices=IncidentKind.choices, blank=True,
                                     help_text=_("留空表示各类突发事件"))
    hazard_codes = models.JSONField(_("适用行业/灾种"), default=list, blank=True,
                                    help_text=_("行业领域代码或灾种代码列表; 空列表表示该类别全部"))
    version = models.CharField(_("版本"), max_length=30, default="1.0")
    effective_date = models.DateField(_("施行日期"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=12, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    source_document = models.FileField(_("预案原文"), upload_to=plan_document_path, blank=True,
                                       help_text=_("PDF、DOCX 或 DOC 文件"))
    summary = models.TextField(_("摘要"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    is_demo = models.BooleanField(_("演示数据"), default=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("应急预案")
        verbose_name_plural = _("应急预案")
        ordering = ["level", "name"]

    def __str__(self) -> str:
        return self.name


class ResponseLevel(models.Model):
    """One response level of a plan: 1 = Ⅰ级 (highest) .. 4 = Ⅳ级."""

    plan = models.ForeignKey(EmergencyPlan, verbose_name=_("预案"), on_delete=models.CASCADE,
                             related_name="response_levels")
    level = models.PositiveSmallIntegerField(_("响应级别"), choices=[(1, "Ⅰ级"), (2, "Ⅱ级"), (3, "Ⅲ级"), (4, "Ⅳ级")])
    activation_criteria = models.TextField(_("启动条件"), blank=True)
    grades = models.JSONField(_("启动该级响应的事件等级"), default=list, blank=True,
                              help_text=_("incidents.grading 的等级代码, 如 major, especially_major, level_2"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("响应级别")
        verbose_name_plural = _("响应级别")
        ordering = ["plan", "level"]
        constraints = [models.UniqueConstraint(fields=["plan", "level"], name="plans_response_level_unique")]

    def __str__(self) -> str:
        return f"{self.plan} {self.get_level_display()}"


class RoleCard(models.Model):
    """A response card (应急处置卡) for one role: what to do, in order, with time limits and contacts."""

    plan = models.ForeignKey(EmergencyPlan, verbose_name=_("预案"), on_delete=models.CASCADE, related_name="cards")
    response_level = models.ForeignKey(ResponseLevel, verbose_name=_("响应级别"), null=True, blank=True,
                                       on_delete=models.CASCADE, related_name="cards",
                                       help_text=_("留空表示各级响应通用"))
    role = models.CharField(_("岗位/角色"), max_length=60)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    steps = models.JSONField(_("处置步骤"), default=list, blank=True,
                             help_text=_("[{title, detail, time_limit_min, icon}]"))
    contacts = models.JSONField(_("关键联系人"), default=list, blank=True, help_text=_("[{name, title, phone}]"))
    prohibitions = models.TextField(_("禁止事项"), blank=True, help_text=_("每行一条"))
    reminders = models.TextField(_("注意事项"), blank=True, help_text=_("每行一条"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("应急处置卡")
        verbose_name_plural = _("应急处置卡")
        ordering = ["plan", "order", "pk"]

    def __str__(self) -> str:
        return f"{self.plan} · {self.role}"


class PlanRevision(models.Model):
    """A change the plan needs (from a drill finding or a review)."""

    class Status(models.TextChoices):
        OPEN = "open", _("待修订")
        DONE = "done", _("已修订")

    plan = models.ForeignKey(EmergencyPlan, verbose_name=_("预案"), on_delete=models.CASCADE,
                             related_name="revisions")
    description = models.TextField(_("修订内容"))
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(_("提出时间"), auto_now_add=True)
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("预案修订事项")
        verbose_name_plural = _("预案修订事项")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.description[:60]


class DrillKind(models.TextChoices):
    TABLETOP = "tabletop", _("桌面推演")
    FUNCTIONAL = "functional", _("单项(功能)演练")
    FULL_SCALE = "full_scale", _("综合(实战)演练")


class DrillStatus(models.TextChoices):
    PLANNED = "planned", _("计划")
    HELD = "held", _("已举行")
    CANCELLED = "cancelled", _("已取消")


class Drill(models.Model):
    plan = models.ForeignKey(EmergencyPlan, verbose_name=_("预案"), on_delete=models.PROTECT, related_name="drills")
    title = models.CharField(_("演练名称"), max_length=200)
    kind = models.CharField(_("演练形式"), max_length=16, choices=DrillKind.choices)
    planned_date = models.DateField(_("计划日期"))
    held_at = models.DateTimeField(_("举行时间"), null=True, blank=True)
    scenario = models.TextField(_("演练情景"), blank=True)
    participants_count = models.PositiveIntegerField(_("参演人数"), default=0)
    participant_units = models.TextField(_("参演单位"), blank=True)
    organiser = models.ForeignKey(Organization, verbose_name=_("组织单位"), on_delete=models.PROTECT,
                                  related_name="drills")
    status = models.CharField(_("状态"), max_length=12, choices=DrillStatus.choices, default=DrillStatus.PLANNED)
    summary = models.TextField(_("演练总结"), blank=True)
    is_demo = models.BooleanField(_("演示数据"), default=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("应急演练")
        verbose_name_plural = _("应急演练")
        ordering = ["-planned_date", "-pk"]

    def __str__(self) -> str:
        return self.title


class FindingKind(models.TextChoices):
    HAZARD = "hazard", _("隐患")
    PLAN_CHANGE = "plan_change", _("预案修订")


class DrillFinding(models.Model):
    drill = models.ForeignKey(Drill, verbose_name=_("演练"), on_delete=models.CASCADE, related_name="findings")
    description = models.TextField(_("发现问题"))
    kind = models.CharField(_("处理方式"), max_length=12, choices=FindingKind.choices)
    hazard = models.ForeignKey("hazards.Hazard", verbose_name=_("形成隐患"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="drill_findings")
    revision = models.ForeignKey(PlanRevision, verbose_name=_("预案修订事项"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="findings")
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("演练发现问题")
        verbose_name_plural = _("演练发现问题")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.description[:60]
