"""Accident and disaster records: what statistics, cross-checks and KPIs are computed from.

* ``AccidentRecord`` — one countable event: a production-safety accident (from an incident or imported), a
  large-scale blackout, an elevator entrapment, a forest fire; ``is_secondary`` marks 次生衍生责任事故.
* ``DisasterEvent`` + ``DisasterReport`` — natural-disaster statistics per event and region in the versions of the
  自然灾害情况统计调查制度 (初报 / 续报 / 核报), with the national indicators (standards-safety.md §2.1).
* ``RegionFigure`` — reference denominators per region and year (forest area, elevators in service, population).
* ``SourceFigure`` + ``Discrepancy`` — cross-checking (比对核查): the same figure from several sources; differences
  beyond the tolerance become discrepancies resolved with a recorded resolution; nothing is overwritten.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from citysafe.core.models import Organization, Region


class RecordSource(models.TextChoices):
    INCIDENT = "incident", _("接报事件")
    IMPORT = "import", _("导入")
    MANUAL = "manual", _("手工录入")


class RecordCategory(models.TextChoices):
    ACCIDENT = "accident", _("生产安全事故")
    BLACKOUT = "blackout", _("大面积停电事件")
    ELEVATOR_ENTRAPMENT = "elevator_entrapment", _("电梯困人")
    FOREST_FIRE = "forest_fire", _("森林火灾")


class AccidentRecord(models.Model):
    """One event counted by the statistics (see the module docstring for the categories)."""

    category = models.CharField(_("类别"), max_length=24, choices=RecordCategory.choices,
                                default=RecordCategory.ACCIDENT)
    source = models.CharField(_("来源"), max_length=10, choices=RecordSource.choices, default=RecordSource.MANUAL)
    incident = models.OneToOneField("incidents.Incident", verbose_name=_("接报事件"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="record")
    title = models.CharField(_("名称"), max_length=200)
    occurred_on = models.DateField(_("发生日期"), db_index=True)
    region = models.ForeignKey(Region, verbose_name=_("区县"), null=True, blank=True, on_delete=models.PROTECT,
                               related_name="accident_records")
    industry = models.ForeignKey("hazards.Industry", verbose_name=_("行业领域"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="accident_records")
    organization = models.ForeignKey(Organization, verbose_name=_("事发单位"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="accident_records")
    grade = models.CharField(_("等级"), max_length=20, blank=True,
                             help_text=_("ordinary/large/major/especially_major (国务院令第493号第三条)"))
    deaths = models.PositiveIntegerField(_("死亡"), default=0)
    missing = models.PositiveIntegerField(_("失踪"), default=0)
    serious_injuries = models.PositiveIntegerField(_("重伤"), default=0)
    injuries = models.PositiveIntegerField(_("受伤(含重伤)"), default=0)
    direct_loss_yuan = models.DecimalField(_("直接经济损失(元)"), max_digits=16, decimal_places=2, default=0)
    is_secondary = models.BooleanField(_("次生衍生责任事故"), default=False)
    burned_forest_ha = models.FloatField(_("受害森林面积(公顷)"), null=True, blank=True)
    note = models.TextField(_("说明"), blank=True)
    is_demo = models.BooleanField(_("演示数据"), default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("事故记录")
        verbose_name_plural = _("事故记录")
        ordering = ["-occurred_on", "pk"]

    def __str__(self) -> str:
        return self.title


class EventStatus(models.TextChoices):
    ACTIVE = "active", _("有效")
    WITHDRAWN = "withdrawn", _("已撤回")


class DisasterEvent(models.Model):
    """One natural-disaster process (一次灾害过程); its figures are in the ``DisasterReport`` versions per region.

    A withdrawn event (``status`` withdrawn, with the reason) stays on file with its history but is excluded from
    the statistics and the KPIs.
    """

    title = models.CharField(_("名称"), max_length=200)
    hazard_type = models.CharField(_("灾种"), max_length=30)
    start_date = models.DateField(_("开始日期"), db_index=True)
    end_date = models.DateField(_("结束日期"), null=True, blank=True)
    is_mass_casualty_responsibility = models.BooleanField(
        _("因灾群死群伤责任事件"), default=False, help_text=_("经调查认定的因灾群死群伤责任事件"))
    note = models.TextField(_("说明"), blank=True)
    is_demo = models.BooleanField(_("演示数据"), default=False)
    status = models.CharField(_("状态"), max_length=10, choices=EventStatus.choices, default=EventStatus.ACTIVE,
                              db_index=True)
    withdraw_reason = models.TextField(_("撤回原因"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("灾害过程")
        verbose_name_plural = _("灾害过程")
        ordering = ["-start_date", "pk"]

    def __str__(self) -> str:
        return self.title


class ReportStage(models.TextChoices):
    INITIAL = "initial", _("初报")
    FOLLOW_UP = "follow_up", _("续报")
    FINAL = "final", _("核报")


class DisasterReport(models.Model):
    """One version of a region's figures for an event (indicators of the 自然灾害情况统计调查制度, §2.1)."""

    event = models.ForeignKey(DisasterEvent, on_delete=models.CASCADE, related_name="reports")
    region = models.ForeignKey(Region, verbose_name=_("区县"), on_delete=models.PROTECT, related_name="+")
    stage = models.CharField(_("报送阶段"), max_length=10, choices=ReportStage.choices)
    reported_at = models.DateTimeField(_("报送时间"), default=timezone.now)
    reporting_unit = models.ForeignKey(Organization, verbose_name=_("报送单位"), null=True, blank=True,
                                       on_delete=models.PROTECT, related_name="+")
    affected_population = models.PositiveIntegerField(_("受灾人口(人次)"), default=0)
    deaths = models.PositiveIntegerField(_("因灾死亡人口"), default=0)
    missing = models.PositiveIntegerField(_("因灾失踪人口"), default=0)
    deaths_at_monitored_points = models.PositiveIntegerField(_("已落实监测措施的灾害点死亡人数"), default=0)
    relocated = models.PositiveIntegerField(_("紧急转移安置人口(人次)"), default=0)
    needing_aid = models.PositiveIntegerField(_("需紧急生活救助人口(人次)"), default=0)
    collapsed_rooms = models.PositiveIntegerField(_("倒塌房屋(间)"), default=0)
    severely_damaged_rooms = models.PositiveIntegerField(_("严重损坏房屋(间)"), default=0)
    generally_damaged_rooms = models.PositiveIntegerField(_("一般损坏房屋(间)"), default=0)
    crop_affected_ha = models.FloatField(_("农作物受灾面积(公顷)"), default=0)
    crop_disaster_ha = models.FloatField(_("农作物成灾面积(公顷)"), default=0)
    crop_failed_ha = models.FloatField(_("农作物绝收面积(公顷)"), default=0)
    direct_loss_10k_yuan = models.DecimalField(_("直接经济损失(万元)"), max_digits=14, decimal_places=2, default=0)
    note = models.TextField(_("说明"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("灾情报告")
        verbose_name_plural = _("灾情报告")
        ordering = ["event", "region", "reported_at", "pk"]


class RegionFigure(models.Model):
    """A reference figure of a region for a year: forest area (ha), elevators in service, population …"""

    region = models.ForeignKey(Region, verbose_name=_("区划"), on_delete=models.CASCADE, related_name="figures")
    year = models.PositiveSmallIntegerField(_("年度"))
    metric = models.CharField(_("指标"), max_length=40)
    value = models.FloatField(_("数值"))
    source = models.CharField(_("来源"), max_length=300, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("区划基础数据")
        verbose_name_plural = _("区划基础数据")
        constraints = [models.UniqueConstraint(fields=["region", "year", "metric"], name="region_figure_unique")]


class FigureSourceKind(models.TextChoices):
    DISTRICT = "district", _("区县报送")
    DEPARTMENT = "department", _("行业部门报送")
    INCIDENT = "incident", _("接报记录")
    HOSPITAL = "hospital", _("医疗机构")
    POLICE = "police", _("公安机关")
    OTHER = "other", _("其他")
    MANUAL = "manual", _("手工更正")


class SourceFigure(models.Model):
    """One source's value of one figure of one subject (e.g. the deaths of accident record 12 by the police)."""

    subject = models.CharField(_("核查对象"), max_length=80, db_index=True,
                               help_text=_("如 accident:12 或 disaster:3:500101"))
    metric = models.CharField(_("指标"), max_length=40)
    source_kind = models.CharField(_("来源类型"), max_length=12, choices=FigureSourceKind.choices)
    source_organization = models.ForeignKey(Organization, verbose_name=_("来源单位"), null=True, blank=True,
                                            on_delete=models.PROTECT, related_name="+")
    value = models.FloatField(_("数值"))
    reported_at = models.DateTimeField(_("报送时间"), default=timezone.now)
    note = models.CharField(_("说明"), max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("来源数据")
        verbose_name_plural = _("来源数据")
        ordering = ["subject", "metric", "reported_at"]


class DiscrepancyStatus(models.TextChoices):
    OPEN = "open", _("待核实")
    RESOLVED = "resolved", _("已核实")


class Discrepancy(models.Model):
    """Sources disagree on a figure beyond the tolerance; resolved with a recorded value and reason."""

    subject = models.CharField(_("核查对象"), max_length=80, db_index=True)
    metric = models.CharField(_("指标"), max_length=40)
    values = models.JSONField(_("各来源数值"), default=list)
    spread = models.FloatField(_("差异"))
    tolerance = models.FloatField(_("容差"))
    status = models.CharField(_("状态"), max_length=10, choices=DiscrepancyStatus.choices,
                              default=DiscrepancyStatus.OPEN, db_index=True)
    resolved_value = models.FloatField(_("核定值"), null=True, blank=True)
    resolution = models.TextField(_("核实说明"), blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    resolved_at = models.DateTimeField(_("核实时间"), null=True, blank=True)
    found_at = models.DateTimeField(_("发现时间"), default=timezone.now)
    region = models.ForeignKey(Region, verbose_name=_("区县"), null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+")
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("数据差异")
        verbose_name_plural = _("数据差异")
        ordering = ["status", "-found_at"]
