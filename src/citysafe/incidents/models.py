"""Incidents (事故/灾害事件) as reported (接报): what happened where, the casualties and the grade they imply.

Grades: production-safety accidents by State Council Order 493 Art. 3 (``grading.py``); natural disasters by the
relief plan.  First report, follow-ups (续报) and the final report form the incident's timeline.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from citysafe.core.models import Organization, Region


class IncidentKind(models.TextChoices):
    ACCIDENT = "accident", _("生产安全事故")
    NATURAL_DISASTER = "natural_disaster", _("自然灾害")
    OTHER = "other", _("其他突发事件")


# 灾种 of 《自然灾害情况统计调查制度》 (standards-safety.md §2.1), stored in ``Incident.disaster_type``.
DISASTER_TYPES = [
    ("flood", _("洪涝")), ("drought", _("干旱")), ("typhoon", _("台风")), ("wind_hail", _("风雹")),
    ("low_temperature", _("低温冷冻")), ("snow", _("雪灾")), ("sandstorm", _("沙尘暴")), ("earthquake", _("地震")),
    ("collapse", _("崩塌")), ("landslide", _("滑坡")), ("debris_flow", _("泥石流")), ("storm_surge", _("风暴潮")),
    ("tsunami", _("海啸")), ("forest_grassland_fire", _("森林草原火灾")), ("biological", _("重大生物灾害")),
]


class Incident(models.Model):
    """One incident; casualty and loss figures are those of the latest report by time (each report is kept
    separately; ``services.add_report`` only accepts reports not earlier than the latest one on file)."""

    kind = models.CharField(_("类别"), max_length=20, choices=IncidentKind.choices)
    title = models.CharField(_("标题"), max_length=200)
    industry = models.ForeignKey("hazards.Industry", verbose_name=_("行业领域"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="incidents")
    disaster_type = models.CharField(_("灾种"), max_length=30, blank=True)
    occurred_at = models.DateTimeField(_("发生时间"))
    reported_at = models.DateTimeField(_("接报时间"), default=timezone.now)
    region = models.ForeignKey(Region, verbose_name=_("所在区县"), null=True, blank=True, on_delete=models.PROTECT,
                               related_name="incidents")
    place = models.CharField(_("地点"), max_length=300, blank=True)
    lon = models.FloatField(_("经度"), null=True, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    description = models.TextField(_("简要经过"), blank=True)
    organization = models.ForeignKey(Organization, verbose_name=_("事发单位"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="incidents")
    deaths = models.PositiveIntegerField(_("死亡"), default=0)
    missing = models.PositiveIntegerField(_("失踪"), default=0)
    serious_injuries = models.PositiveIntegerField(_("重伤(含急性工业中毒)"), default=0)
    direct_loss_yuan = models.DecimalField(_("直接经济损失(元)"), max_digits=16, decimal_places=2, default=0)
    trapped = models.PositiveIntegerField(_("被困"), default=0)
    evacuated = models.PositiveIntegerField(_("紧急疏散"), default=0)
    relocated = models.PositiveIntegerField(_("紧急转移安置和需紧急生活救助(人次)"), default=0)
    houses_collapsed_damaged = models.PositiveIntegerField(_("倒塌和严重损坏房屋(间)"), default=0)
    grade = models.CharField(_("等级"), max_length=20, blank=True)
    reporter_name = models.CharField(_("报告人"), max_length=50, blank=True)
    reporter_phone = models.CharField(_("报告人电话"), max_length=30, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    is_demo = models.BooleanField(_("演示数据"), default=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("事故事件")
        verbose_name_plural = _("事故事件")
        ordering = ["-occurred_at"]

    def __str__(self) -> str:
        return self.title

    @property
    def grade_label(self) -> str:
        from .grading import GRADE_LABELS

        return str(GRADE_LABELS.get(self.grade, ""))

    @property
    def is_large_risk_event(self) -> bool:
        """较大涉险事故 (总局令第21号 第二十六条) by the automatable criteria."""
        from .grading import is_large_risk_event

        return self.kind == IncidentKind.ACCIDENT and is_large_risk_event(
            trapped_or_missing=self.trapped + self.missing, evacuated=self.evacuated)


class ReportKind(models.TextChoices):
    FIRST = "first", _("首报")
    FOLLOW_UP = "follow_up", _("续报")
    FINAL = "final", _("终报")
    # 补报 after the final report: casualty changes within the 493 Art. 13 window (30 days, 7 for road/fire).
    SUPPLEMENTARY = "supplementary", _("补报")


class ReportLevel(models.TextChoices):
    """The government level a report was submitted to (493 Art. 9-11)."""

    COUNTY = "county", _("县级")
    CITY = "city", _("设区的市级")
    PROVINCE = "province", _("省级")
    STATE = "state", _("国务院")


class IncidentReport(models.Model):
    """One report of the timeline, with the figures as reported then and the grade they implied."""

    incident = models.ForeignKey(Incident, verbose_name=_("事故事件"), on_delete=models.CASCADE,
                                 related_name="reports")
    kind = models.CharField(_("报告类型"), max_length=20, choices=ReportKind.choices)
    level = models.CharField(_("报送层级"), max_length=20, choices=ReportLevel.choices, default=ReportLevel.COUNTY)
    reported_at = models.DateTimeField(_("报告时间"), default=timezone.now)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("录入人"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    reporter_name = models.CharField(_("报告人"), max_length=50, blank=True)
    deaths = models.PositiveIntegerField(_("死亡"), default=0)
    missing = models.PositiveIntegerField(_("失踪"), default=0)
    serious_injuries = models.PositiveIntegerField(_("重伤(含急性工业中毒)"), default=0)
    direct_loss_yuan = models.DecimalField(_("直接经济损失(元)"), max_digits=16, decimal_places=2, default=0)
    trapped = models.PositiveIntegerField(_("被困"), default=0)
    evacuated = models.PositiveIntegerField(_("紧急疏散"), default=0)
    relocated = models.PositiveIntegerField(_("紧急转移安置和需紧急生活救助(人次)"), default=0)
    houses_collapsed_damaged = models.PositiveIntegerField(_("倒塌和严重损坏房屋(间)"), default=0)
    note = models.TextField(_("情况说明"), blank=True)
    grade_before = models.CharField(_("原等级"), max_length=20, blank=True)
    grade_after = models.CharField(_("新等级"), max_length=20, blank=True)
    jurisdiction_raised = models.BooleanField(_("调查主体上移"), default=False)
    in_supplement_window = models.BooleanField(_("在补报期内"), default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("事故事件报告")
        verbose_name_plural = _("事故事件报告")
        ordering = ["reported_at", "pk"]

    def __str__(self) -> str:
        return f"{self.incident} {self.get_kind_display()} {self.reported_at:%Y-%m-%d %H:%M}"

    @property
    def grade_changed(self) -> bool:
        return self.kind != ReportKind.FIRST and self.grade_before != self.grade_after
