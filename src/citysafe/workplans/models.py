"""The year's work plan (工作要点): sections, tasks, measurable targets, responsible units, progress, supervision.

A plan is imported from a document by ``services.import_plan``; tasks include the annex rows (KPIs, the 24
domains, the 12 platforms) so that every measurable target hangs off a ``Task`` with its responsible units.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition
from simple_history.models import HistoricalRecords

from citysafe.core.models import Organization
from citysafe.core.uploads import evidence_path


class WorkPlan(models.Model):
    """One imported version of a work-points document.  Re-importing changed content makes a new version."""

    title = models.CharField(_("标题"), max_length=300)
    notice_title = models.CharField(_("印发通知标题"), max_length=300, blank=True)
    doc_number = models.CharField(_("文号"), max_length=100, blank=True)
    issuer = models.CharField(_("发文机关"), max_length=200, blank=True)
    issued_on = models.DateField(_("成文日期"), null=True, blank=True)
    year = models.PositiveSmallIntegerField(_("年度"))
    version = models.PositiveSmallIntegerField(_("版本"), default=1)
    previous = models.ForeignKey("self", verbose_name=_("上一版本"), null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="next_versions")
    is_current = models.BooleanField(_("当前版本"), default=True)
    source_name = models.CharField(_("来源文件"), max_length=255, blank=True)
    source_sha256 = models.CharField(_("内容摘要"), max_length=64, db_index=True)
    imported_at = models.DateTimeField(_("导入时间"), default=timezone.now)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("导入人"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("工作要点")
        verbose_name_plural = _("工作要点")
        ordering = ["-year", "-version"]
        constraints = [models.UniqueConstraint(fields=["title", "year", "version"], name="workplan_version_unique")]

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})" if self.version > 1 else self.title


class Section(models.Model):
    """A top-level part of the plan ("一、聚力提升统筹调度能力…")."""

    plan = models.ForeignKey(WorkPlan, on_delete=models.CASCADE, related_name="sections")
    index = models.PositiveSmallIntegerField(_("序号"))
    number = models.CharField(_("编号"), max_length=10)
    title = models.CharField(_("标题"), max_length=300)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("部分")
        verbose_name_plural = _("部分")
        ordering = ["plan", "index"]
        constraints = [models.UniqueConstraint(fields=["plan", "index"], name="section_index_unique")]

    def __str__(self) -> str:
        return f"{self.number}、{self.title}"


class TaskKind(models.TextChoices):
    TASK = "task", _("重点任务")
    KPI = "kpi", _("核心绩效指标")
    DOMAIN = "domain", _("重点整治领域")
    PLATFORM = "platform", _("重点应用/平台")


class Task(models.Model):
    """A numbered item of the plan: a task of the body, or an annex row (KPI, domain, platform)."""

    plan = models.ForeignKey(WorkPlan, on_delete=models.CASCADE, related_name="tasks")
    section = models.ForeignKey(Section, verbose_name=_("部分"), null=True, blank=True, on_delete=models.CASCADE,
                                related_name="tasks")
    kind = models.CharField(_("类别"), max_length=10, choices=TaskKind.choices, default=TaskKind.TASK)
    index = models.PositiveSmallIntegerField(_("序号"))
    number = models.CharField(_("编号"), max_length=10)
    title = models.CharField(_("名称"), max_length=300)
    text = models.TextField(_("内容"))
    deadlines = models.JSONField(_("时限"), default=list, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("任务")
        verbose_name_plural = _("任务")
        ordering = ["plan", "kind", "index"]
        constraints = [models.UniqueConstraint(fields=["plan", "kind", "index"], name="task_index_unique")]

    def __str__(self) -> str:
        if self.kind == TaskKind.TASK:
            return f"({self.number}){self.title}"
        return f"{self.get_kind_display()} {self.index}. {self.title}"

    @property
    def code(self) -> str:
        """Stable short code within a plan: T7, K3, D12, P1."""
        return {"task": "T", "kpi": "K", "domain": "D", "platform": "P"}[self.kind] + str(self.index)

    @property
    def lead_unit(self):
        unit = min(self.responsible_units.all(), key=lambda u: u.position, default=None)
        return unit.organization if unit else None


class UnitRole(models.TextChoices):
    LEAD = "lead", _("牵头")
    SUPPORT = "support", _("配合")


class ResponsibleUnit(models.Model):
    """An organisation answerable for a task; the first listed leads.  ``via_group`` records an expanded group."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="responsible_units")
    organization = models.ForeignKey(Organization, verbose_name=_("单位"), on_delete=models.PROTECT,
                                     related_name="responsibilities")
    role = models.CharField(_("角色"), max_length=10, choices=UnitRole.choices)
    position = models.PositiveSmallIntegerField(_("顺序"))
    via_group = models.ForeignKey(Organization, verbose_name=_("来自集合"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("责任单位")
        verbose_name_plural = _("责任单位")
        ordering = ["task", "position"]
        constraints = [models.UniqueConstraint(fields=["task", "organization"], name="responsible_unit_unique")]

    def __str__(self) -> str:
        return f"{self.organization} ({self.get_role_display()})"


class Comparator(models.TextChoices):
    GE = ">=", _("不低于")
    LE = "<=", _("不高于")
    EQ = "=", _("等于")
    LT = "<", _("低于")
    GT = ">", _("高于")
    DECREASE_BY_AT_LEAST = "decrease_by_at_least", _("下降至少")
    DECREASE_BY = "decrease_by", _("下降")
    INCREASE_BY_AT_LEAST = "increase_by_at_least", _("增长至少")
    INCREASE_BY = "increase_by", _("增长")
    COMPLETE_COUNT = "complete_count", _("完成数量")


class TargetStatus(models.TextChoices):
    ACHIEVED = "achieved", _("已完成")
    ON_TRACK = "on_track", _("进度正常")
    AT_RISK = "at_risk", _("存在风险")
    OFF_TRACK = "off_track", _("严重滞后")
    OVERDUE = "overdue", _("逾期未完成")
    NO_DATA = "no_data", _("暂无数据")


class Target(models.Model):
    """A measurable target: metric, comparator, value, unit, scope and deadline (null deadline = plan year end).

    ``baseline`` is last year's value, needed by decrease/increase targets.  ``status`` is a cache of
    ``status.evaluate`` refreshed on every progress report and daily.
    """

    task = models.ForeignKey(Task, verbose_name=_("任务"), on_delete=models.CASCADE, related_name="targets")
    index = models.PositiveSmallIntegerField(_("序号"))
    text = models.TextField(_("原文"))
    metric = models.CharField(_("指标"), max_length=200)
    comparator = models.CharField(_("比较方式"), max_length=24, choices=Comparator.choices)
    value = models.FloatField(_("目标值"))
    unit = models.CharField(_("单位"), max_length=20, blank=True)
    scope = models.CharField(_("范围"), max_length=100, blank=True)
    deadline = models.DateField(_("完成时限"), null=True, blank=True)
    baseline = models.FloatField(_("基数(上年值)"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=12, choices=TargetStatus.choices, default=TargetStatus.NO_DATA,
                              db_index=True)
    status_reason = models.CharField(_("状态说明"), max_length=300, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("目标")
        verbose_name_plural = _("目标")
        ordering = ["task__plan", "task__kind", "task__index", "index"]
        constraints = [models.UniqueConstraint(fields=["task", "index"], name="target_index_unique")]

    def __str__(self) -> str:
        return f"{self.code} {self.metric} {self.describe()}"

    @property
    def code(self) -> str:
        return f"{self.task.code}-{self.index}"

    @property
    def effective_deadline(self):
        import datetime as dt

        return self.deadline or dt.date(self.task.plan.year, 12, 31)

    def describe(self) -> str:
        """Short human form such as "≥ 80%" or "下降 ≥ 5%"."""
        amount = f"{self.value:g}{self.unit}"
        symbols = {">=": "≥", "<=": "≤", "=": "=", "<": "<", ">": ">"}
        if self.comparator in symbols:
            return f"{symbols[self.comparator]} {amount}"
        words = {"decrease_by_at_least": _("下降 ≥ %(amount)s"), "decrease_by": _("下降 %(amount)s"),
                 "increase_by_at_least": _("增长 ≥ %(amount)s"), "increase_by": _("增长 %(amount)s"),
                 "complete_count": _("完成 %(amount)s")}
        return str(words.get(self.comparator, "%(amount)s")) % {"amount": amount}


class ProgressReport(models.Model):
    """A unit's report against a target: the value as of a date (cumulative for counts), narrative, evidence."""

    target = models.ForeignKey(Target, verbose_name=_("目标"), on_delete=models.CASCADE, related_name="reports")
    reporting_unit = models.ForeignKey(Organization, verbose_name=_("报送单位"), on_delete=models.PROTECT,
                                       related_name="progress_reports")
    as_of = models.DateField(_("截至日期"))
    value = models.FloatField(_("完成值"), null=True, blank=True)
    narrative = models.TextField(_("进展情况"), blank=True)
    evidence = models.FileField(_("佐证材料"), upload_to=evidence_path, null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("填报人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("填报时间"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("进展报告")
        verbose_name_plural = _("进展报告")
        ordering = ["-as_of", "-created_at"]

    def __str__(self) -> str:
        return f"{self.target.code} {self.reporting_unit} {self.as_of}: {self.value}"


class SupervisionStatus(models.TextChoices):
    PROPOSED = "proposed", _("建议督办")
    OPEN = "open", _("督办中")
    RESPONDED = "responded", _("已反馈")
    CLOSED = "closed", _("已办结")
    DISMISSED = "dismissed", _("不予督办")


class Supervision(models.Model):
    """A supervision item (督办): a tracked follow-up with an owner and a deadline until it is closed.

    Life cycle (closed loop, seed 一(四) "建立重要事项跟踪督办机制…抓实闭环整改"):
    proposed -> open | dismissed; open -> responded (the owner reports what it did) -> closed, or back to open
    when the response is not accepted.  Transitions only through ``services``.
    """

    target = models.ForeignKey(Target, verbose_name=_("目标"), null=True, blank=True, on_delete=models.CASCADE,
                               related_name="supervisions")
    task = models.ForeignKey(Task, verbose_name=_("任务"), null=True, blank=True, on_delete=models.CASCADE,
                             related_name="supervisions")
    title = models.CharField(_("督办事项"), max_length=300)
    description = models.TextField(_("督办要求"), blank=True)
    owner = models.ForeignKey(Organization, verbose_name=_("承办单位"), on_delete=models.PROTECT,
                              related_name="supervisions")
    deadline = models.DateField(_("办理时限"))
    status = FSMField(_("状态"), default=SupervisionStatus.OPEN, choices=SupervisionStatus.choices)
    reason = models.CharField(_("督办原因"), max_length=300, blank=True)
    response = models.TextField(_("办理情况"), blank=True)
    closure_note = models.TextField(_("办结意见"), blank=True)
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("发起人"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    raised_at = models.DateTimeField(_("发起时间"), default=timezone.now)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("督办事项")
        verbose_name_plural = _("督办事项")
        ordering = ["status", "deadline"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_overdue(self) -> bool:
        return self.status in {SupervisionStatus.OPEN, SupervisionStatus.RESPONDED} and \
            self.deadline < timezone.localdate()

    @transition(field=status, source=SupervisionStatus.PROPOSED, target=SupervisionStatus.OPEN)
    def accept_proposal(self):
        """A proposed item is confirmed and starts."""

    @transition(field=status, source=SupervisionStatus.PROPOSED, target=SupervisionStatus.DISMISSED)
    def dismiss(self):
        """A proposed item is judged unnecessary."""

    @transition(field=status, source=SupervisionStatus.OPEN, target=SupervisionStatus.RESPONDED)
    def respond(self):
        """The owner reports what it has done."""

    @transition(field=status, source=SupervisionStatus.RESPONDED, target=SupervisionStatus.OPEN)
    def reject_response(self):
        """The response is not enough; the item goes back to the owner."""

    @transition(field=status, source=[SupervisionStatus.OPEN, SupervisionStatus.RESPONDED],
                target=SupervisionStatus.CLOSED)
    def close(self):
        """The supervising office closes the item."""
