"""Evaluation models.  ``KpiLink`` ties a work-plan target (an annex-一 KPI row) to a computed KPI code.

The link is what lets ``kpi_services.refresh_kpi_targets`` record computed values against the target so its status
updates without manual reports.  Links are created by ``kpi_services.link_plan_kpis`` (matching the target's metric
text) and editable in admin.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .kpis import KPI_CHOICES


class KpiLink(models.Model):
    """A target whose value is computed from the records by the KPI ``kpi_code`` (see ``kpis.KPIS``)."""

    target = models.OneToOneField("workplans.Target", verbose_name=_("目标"), on_delete=models.CASCADE,
                                  related_name="kpi_link")
    kpi_code = models.CharField(_("指标代码"), max_length=40, choices=KPI_CHOICES)
    is_active = models.BooleanField(_("自动计算"), default=True)
    last_value = models.FloatField(_("最近计算值"), null=True, blank=True)
    last_computed_on = models.DateField(_("最近计算日期"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("指标关联")
        verbose_name_plural = _("指标关联")
        ordering = ["target"]

    def __str__(self) -> str:
        return f"{self.target.code} → {self.get_kpi_code_display()}"


# --- scorecards (述职与考核): editable component weights ------------------------------------------------------------

class PeriodType(models.TextChoices):
    QUARTER = "quarter", _("季度")
    YEAR = "year", _("年度")


class ScoreWeights(models.Model):
    """Weights (integer percent, summing to 100) of the five scorecard components for one period type.

    One row per period type, edited in place by municipal administrators through ``scorecards.update_weights``;
    ``history`` keeps every earlier version.  Defaults 40/15/15/15/15 and the 10-day reporting grace are project
    defaults, configurable (the seed, 一(四), asks for quarterly duty reports and a yearly evaluation but fixes no
    weights).
    """

    period_type = models.CharField(_("考核周期"), max_length=10, choices=PeriodType.choices, unique=True)
    targets_met = models.PositiveSmallIntegerField(_("目标完成权重"), default=40)
    reports_on_time = models.PositiveSmallIntegerField(_("按时报送进展权重"), default=15)
    supervision_on_time = models.PositiveSmallIntegerField(_("督办按期办结权重"), default=15)
    hazards_rectified = models.PositiveSmallIntegerField(_("隐患按期整改权重"), default=15)
    warnings_acknowledged = models.PositiveSmallIntegerField(_("预警叫应权重"), default=15)
    report_grace_days = models.PositiveSmallIntegerField(_("进展报送宽限天数"), default=10)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("考核权重")
        verbose_name_plural = _("考核权重")
        ordering = ["period_type"]

    def __str__(self) -> str:
        return f"{self.get_period_type_display()} {self.as_dict()}"

    def as_dict(self) -> dict[str, int]:
        from .scorecards import COMPONENTS

        return {key: getattr(self, key) for key in COMPONENTS}
