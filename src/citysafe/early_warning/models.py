"""Rules, graded early warnings (IV blue … I red) and CAP 1.2 messages.

Levels follow CMA Order 16 Art. 3 and the national overall emergency plan: IV blue < III yellow < II orange <
I red (standards-warnings.md §0).  One *active* warning exists per (source, hazard type) — a database constraint,
so concurrent ingest workers can never create a duplicate; a steady condition updates it instead of re-notifying.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from citysafe.core.models import Organization, Region
from citysafe.core.uploads import execution_photo_path


class Level(models.TextChoices):
    BLUE = "blue", _("蓝色(IV级)")
    YELLOW = "yellow", _("黄色(III级)")
    ORANGE = "orange", _("橙色(II级)")
    RED = "red", _("红色(I级)")


LEVEL_ORDER = {"none": 0, "blue": 1, "yellow": 2, "orange": 3, "red": 4}


class HazardType(models.TextChoices):
    RAINSTORM = "rainstorm", _("暴雨")
    FLOOD = "flood", _("洪水")
    FLASH_FLOOD = "flash_flood", _("山洪")
    LANDSLIDE = "landslide", _("地质灾害")
    GAS_LEAK = "gas_leak", _("燃气泄漏")
    TOXIC_GAS = "toxic_gas", _("有毒气体")
    WATERLOGGING = "waterlogging", _("城市内涝")
    HIGH_TEMPERATURE = "high_temperature", _("高温")
    GALE = "gale", _("大风")
    EARTHQUAKE = "earthquake", _("地震")
    FOREST_FIRE = "forest_fire", _("森林火险")
    ELEVATOR = "elevator", _("电梯困人")
    OTHER = "other", _("其他")


class RuleType(models.TextChoices):
    THRESHOLD = "threshold", _("阈值")
    WINDOW_SUM = "window_sum", _("时段累计")
    WINDOW_MEAN = "window_mean", _("时段平均")
    WINDOW_MAX = "window_max", _("时段最大")
    RATE_OF_CHANGE = "rate_of_change", _("变化速率")
    ANTECEDENT_RAINFALL = "antecedent_rainfall", _("有效前期降雨量")
    INVERSE_VELOCITY = "inverse_velocity", _("反速度法(Fukuzono)")
    TANGENTIAL_ANGLE = "tangential_angle", _("改进切线角(许强)")
    COMPOSITE = "composite", _("组合")


class Rule(models.Model):
    """A warning rule: what it watches, how it computes, the per-level parameters and where they come from.

    ``params`` holds the rule-type parameters (e.g. ``{"windows_h": {"blue": 12, ...}, "levels": {"blue": 50, ...}}``);
    ``hysteresis`` how far below a level's bound a reading must fall to step down; ``min_duration_s`` how long a
    condition must hold before a warning is raised ("above X for N minutes").  ``source`` cites the standard.
    """

    code = models.CharField(_("代码"), max_length=60, unique=True)
    name = models.CharField(_("名称"), max_length=200)
    hazard_type = models.CharField(_("灾种"), max_length=20, choices=HazardType.choices)
    rule_type = models.CharField(_("规则类型"), max_length=24, choices=RuleType.choices)
    device_kind = models.CharField(_("设备类型"), max_length=30, blank=True)
    metric = models.CharField(_("指标"), max_length=40, blank=True)
    risk_point_kind = models.CharField(_("风险点类型"), max_length=30, blank=True)
    region = models.ForeignKey(Region, verbose_name=_("适用区划"), null=True, blank=True, on_delete=models.PROTECT,
                               related_name="rules")
    params = models.JSONField(_("参数"), default=dict)
    hysteresis = models.FloatField(_("回差"), default=0.0)
    min_duration_s = models.PositiveIntegerField(_("最短持续(秒)"), default=0)
    source = models.CharField(_("依据"), max_length=300)
    is_active = models.BooleanField(_("启用"), default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("预警规则")
        verbose_name_plural = _("预警规则")
        ordering = ["hazard_type", "code"]

    def __str__(self) -> str:
        return self.name


class RuleState(models.Model):
    """The engine's state of one rule on one device, kept in the database so any ingest worker can continue it."""

    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="states")
    device_id = models.BigIntegerField()
    level = models.CharField(max_length=10, default="none")
    state = models.JSONField(default=dict)
    last_time = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["rule", "device_id"], name="rule_state_unique")]


class WarningStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PENDING = "pending", _("待审批")
    ACTIVE = "active", _("生效")
    CLEARED = "cleared", _("已解除")
    CANCELLED = "cancelled", _("已撤销")
    EXPIRED = "expired", _("已过期")


class EarlyWarning(models.Model):
    """A graded warning about one hazard from one source (a device's rule, a CAP message, a person)."""

    source_key = models.CharField(_("来源"), max_length=120, help_text=_("如 device:12、cap:<identifier>、manual:5"))
    hazard_type = models.CharField(_("灾种"), max_length=20, choices=HazardType.choices)
    level = models.CharField(_("级别"), max_length=10, choices=Level.choices)
    status = models.CharField(_("状态"), max_length=10, choices=WarningStatus.choices, default=WarningStatus.ACTIVE)
    headline = models.CharField(_("标题"), max_length=300)
    description = models.TextField(_("内容"), blank=True)
    instruction = models.TextField(_("防御指南"), blank=True)
    region = models.ForeignKey(Region, verbose_name=_("区县"), null=True, blank=True, on_delete=models.PROTECT,
                               related_name="warnings")
    area_desc = models.CharField(_("影响范围"), max_length=300, blank=True)
    polygon = models.JSONField(_("范围多边形(GeoJSON)"), null=True, blank=True)
    device_id = models.BigIntegerField(_("设备"), null=True, blank=True)
    risk_point = models.ForeignKey("hazards.RiskPoint", verbose_name=_("风险点"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="warnings")
    rule = models.ForeignKey(Rule, verbose_name=_("规则"), null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="warnings")
    value = models.FloatField(_("触发值"), null=True, blank=True)
    issuer = models.ForeignKey(Organization, verbose_name=_("发布单位"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="warnings")
    sender_name = models.CharField(_("发布者"), max_length=200, blank=True)
    is_public = models.BooleanField(_("公开发布"), default=False)
    onset = models.DateTimeField(_("开始时间"), default=timezone.now)
    expires = models.DateTimeField(_("失效时间"), null=True, blank=True)
    raised_at = models.DateTimeField(_("发出时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    cap_identifier = models.CharField(_("CAP 标识"), max_length=80, blank=True, db_index=True)
    call_round = models.PositiveIntegerField(_("叫应轮次"), default=0, help_text=_("每次(重新)制定叫应计划加一"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    # manual warnings: draft -> pending (submitted) -> active (approved and issued); see early_warning/manual.py
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("提交人"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("审批签发人"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    approved_at = models.DateTimeField(_("签发时间"), null=True, blank=True)
    review_note = models.CharField(_("审批意见"), max_length=300, blank=True)
    # sector-and-weather (行业+气象): a targeted warning points at the meteorological warning it was derived from
    parent = models.ForeignKey("self", verbose_name=_("来源预警"), null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="children")
    # noise control: an inhibiting higher-level warning of the same group, or a silence, mutes the calls
    suppressed_by = models.ForeignKey("self", verbose_name=_("被抑制于"), null=True, blank=True,
                                      on_delete=models.SET_NULL, related_name="suppressed")
    silenced_by = models.ForeignKey("Silence", verbose_name=_("静默规则"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="silenced_warnings")
    # the loop closes with feedback once the required response actions are reported
    closed_at = models.DateTimeField(_("闭环时间"), null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("闭环人"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    feedback = models.TextField(_("反馈"), blank=True)
    history = HistoricalRecords()

    @property
    def group_key(self) -> tuple:
        """Noise-control group: (region, hazard type)."""
        return (self.region_id, self.hazard_type)

    class Meta:
        verbose_name = _("预警")
        verbose_name_plural = _("预警")
        ordering = ["-updated_at"]
        constraints = [
            models.UniqueConstraint(fields=["source_key", "hazard_type"], condition=Q(status="active"),
                                    name="one_active_warning_per_source_and_hazard"),
        ]

    def __str__(self) -> str:
        return f"{self.get_hazard_type_display()} {self.get_level_display()} {self.headline}"


EVENT_LABELS = {"raised": _("发出"), "upgraded": _("升级"), "downgraded": _("降级"), "updated": _("更新"),
                "cleared": _("解除"), "cancelled": _("撤销"), "expired": _("过期"),
                "drafted": _("起草"), "submitted": _("提交审批"), "approved": _("审批签发"), "rejected": _("退回修改"),
                "suppressed": _("被高级别预警抑制"), "unsuppressed": _("解除抑制"), "silenced": _("静默"),
                "unsilenced": _("静默结束"), "derived": _("行业+气象派发"), "closed": _("闭环反馈")}


class WarningEvent(models.Model):
    """One step of a warning's life: raised, upgraded, downgraded, updated, cleared, cancelled, expired."""

    warning = models.ForeignKey(EarlyWarning, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("事件"), max_length=12)
    level = models.CharField(_("级别"), max_length=10, blank=True)
    previous_level = models.CharField(_("原级别"), max_length=10, blank=True)
    value = models.FloatField(_("数值"), null=True, blank=True)
    at = models.DateTimeField(_("时间"), default=timezone.now)
    note = models.CharField(_("说明"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("预警事件")
        verbose_name_plural = _("预警事件")
        ordering = ["at", "pk"]

    @property
    def kind_label(self) -> str:
        return str(EVENT_LABELS.get(self.kind, self.kind))

    @property
    def level_label(self) -> str:
        return str(dict(Level.choices).get(self.level, self.level))

    @property
    def previous_level_label(self) -> str:
        return str(dict(Level.choices).get(self.previous_level, self.previous_level))


class CapMessage(models.Model):
    """A CAP 1.2 message sent or received.  Invalid incoming messages are kept with the reason for inspection."""

    class Direction(models.TextChoices):
        OUT = "out", _("发出")
        IN = "in", _("接收")

    direction = models.CharField(_("方向"), max_length=3, choices=Direction.choices)
    identifier = models.CharField(_("标识"), max_length=120, db_index=True, blank=True)
    sender = models.CharField(_("发送方"), max_length=200, blank=True)
    sent = models.DateTimeField(_("发送时间"), null=True, blank=True)
    msg_type = models.CharField(_("类型"), max_length=10, blank=True)
    references = models.TextField(_("引用"), blank=True)
    xml = models.TextField(_("报文"))
    is_valid = models.BooleanField(_("有效"), default=True)
    errors = models.TextField(_("错误"), blank=True)
    warning = models.ForeignKey(EarlyWarning, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="cap_messages")
    received_at = models.DateTimeField(_("记录时间"), default=timezone.now)

    class Meta:
        verbose_name = _("CAP 报文")
        verbose_name_plural = _("CAP 报文")
        ordering = ["-received_at"]


# --- call-and-acknowledge (叫应), see early_warning/calls.py -------------------------------------------------------

class CallTarget(models.TextChoices):
    VILLAGE = "village", _("村级包保责任人")
    TOWNSHIP = "township", _("乡镇级包保责任人")
    DISTRICT = "district", _("区县级包保责任人")
    DUTY = "duty", _("区县政府值班人员")


CALL_CHANNELS = ("in_app", "email", "webhook", "mqtt")


class CallPlan(models.Model):
    """A 叫应 plan for one warning level (and optionally one hazard type; blank = any hazard).

    ``tiers`` is a list of ``{"targets": "village"|"township"|"district"|"duty", "channels": [...],
    "ack_deadline_s": int, "retries": int, "retry_interval_s": int}``, called one after the other: a tier is
    reached when someone in the tier before it (and that person's deputy) stays silent past the deadline.
    """

    name = models.CharField(_("名称"), max_length=100)
    level = models.CharField(_("级别"), max_length=10, choices=Level.choices)
    hazard_type = models.CharField(_("灾种"), max_length=20, choices=HazardType.choices, blank=True,
                                   help_text=_("留空表示适用所有灾种"))
    tiers = models.JSONField(_("叫应梯次"), default=list)
    is_active = models.BooleanField(_("启用"), default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("叫应方案")
        verbose_name_plural = _("叫应方案")
        ordering = ["level", "hazard_type"]
        constraints = [models.UniqueConstraint(fields=["level", "hazard_type"], name="call_plan_level_hazard_unique")]

    def __str__(self) -> str:
        return self.name


class CallStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENT = "sent", _("已发送")
    ACKNOWLEDGED = "acknowledged", _("已确认")
    CANCELLED = "cancelled", _("已取消")
    ESCALATED = "escalated", _("已升级")
    FAILED = "failed", _("发送失败")


class CallAttempt(models.Model):
    """One send of one warning to one person over one channel; the durable state of the call timers.

    All attempts of a person in a tier (every channel × 1 + retries) are created when the tier reaches the person,
    with their ``due_at``; ``escalate_at`` is the acknowledgement deadline of that person in that tier.  A worker
    sends a due attempt only after claiming it (``claim`` set by a compare-and-swap UPDATE).
    """

    warning = models.ForeignKey(EarlyWarning, on_delete=models.CASCADE, related_name="call_attempts")
    person = models.ForeignKey("core.Person", verbose_name=_("人员"), on_delete=models.CASCADE, related_name="+")
    call_round = models.PositiveIntegerField(_("叫应轮次"), default=1)
    level = models.CharField(_("级别"), max_length=10, blank=True)
    tier = models.PositiveSmallIntegerField(_("梯次"), default=0)
    informational = models.BooleanField(_("仅通知(订阅)"), default=False,
                                        help_text=_("订阅者的通知: 不设确认时限, 不升级"))
    target = models.CharField(_("对象"), max_length=10, blank=True)
    deputy = models.ForeignKey("core.Person", verbose_name=_("AB角"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    escalated_from = models.ForeignKey("core.Person", verbose_name=_("替补自"), null=True, blank=True,
                                       on_delete=models.SET_NULL, related_name="+")
    channel = models.CharField(_("渠道"), max_length=10)
    attempt_no = models.PositiveSmallIntegerField(_("第几次"), default=1)
    due_at = models.DateTimeField(_("计划时间"), db_index=True)
    escalate_at = models.DateTimeField(_("确认时限"))
    status = models.CharField(_("状态"), max_length=12, choices=CallStatus.choices, default=CallStatus.PENDING,
                              db_index=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    result = models.CharField(_("结果"), max_length=300, blank=True)
    claim = models.CharField(max_length=40, null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("叫应记录")
        verbose_name_plural = _("叫应记录")
        ordering = ["due_at", "pk"]
        constraints = [models.UniqueConstraint(
            fields=["warning", "call_round", "tier", "person", "channel", "attempt_no"], name="call_attempt_unique")]


class Acknowledgement(models.Model):
    """A person confirmed receipt of a warning (per person: one person's ack never silences another).

    One per person and 叫应 round: an upgrade re-plans (a new round) and must be acknowledged again."""

    warning = models.ForeignKey(EarlyWarning, on_delete=models.CASCADE, related_name="acknowledgements")
    person = models.ForeignKey("core.Person", verbose_name=_("人员"), on_delete=models.CASCADE, related_name="+")
    call_round = models.PositiveIntegerField(_("叫应轮次"), default=1)
    level = models.CharField(_("级别"), max_length=10, blank=True)
    at = models.DateTimeField(_("确认时间"), default=timezone.now)
    channel = models.CharField(_("渠道"), max_length=10, blank=True)

    class Meta:
        verbose_name = _("叫应确认")
        verbose_name_plural = _("叫应确认")
        ordering = ["at"]
        constraints = [models.UniqueConstraint(fields=["warning", "person", "call_round"], name="ack_unique")]


# --- subscriptions, noise control ----------------------------------------------------------------------------------

class Subscription(models.Model):
    """A person asks to be told about warnings of a region (and its sub-regions) and hazard type from a level up.

    Subscribers are informed (``CallAttempt.informational``), never escalated."""

    person = models.ForeignKey("core.Person", verbose_name=_("人员"), on_delete=models.CASCADE,
                               related_name="warning_subscriptions")
    region = models.ForeignKey(Region, verbose_name=_("区划"), null=True, blank=True, on_delete=models.CASCADE,
                               related_name="+", help_text=_("留空表示全市"))
    hazard_type = models.CharField(_("灾种"), max_length=20, choices=HazardType.choices, blank=True,
                                   help_text=_("留空表示所有灾种"))
    min_level = models.CharField(_("最低级别"), max_length=10, choices=Level.choices, default=Level.BLUE)
    channels = models.JSONField(_("渠道"), default=list, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("预警订阅")
        verbose_name_plural = _("预警订阅")


class Silence(models.Model):
    """A silence (静默): mutes the calls of matching warnings until ``ends_at``, with author and reason.

    Matches region (and sub-regions; blank = city), hazard type (blank = any) and levels up to ``max_level``.
    An optional daily window (``window_start``..``window_end``, may cross midnight, on ``weekdays`` 1=Mon..7=Sun) is
    read in Asia/Shanghai whatever the server's time zone.  The warning itself is still raised and listed."""

    region = models.ForeignKey(Region, verbose_name=_("区划"), null=True, blank=True, on_delete=models.CASCADE,
                               related_name="+", help_text=_("留空表示全市"))
    hazard_type = models.CharField(_("灾种"), max_length=20, choices=HazardType.choices, blank=True)
    max_level = models.CharField(_("最高静默级别"), max_length=10, choices=Level.choices, default=Level.BLUE)
    reason = models.CharField(_("原因"), max_length=300)
    starts_at = models.DateTimeField(_("开始时间"), default=timezone.now)
    ends_at = models.DateTimeField(_("到期时间"))
    window_start = models.TimeField(_("每日开始(北京时间)"), null=True, blank=True)
    window_end = models.TimeField(_("每日结束(北京时间)"), null=True, blank=True)
    weekdays = models.CharField(_("星期(1-7)"), max_length=7, blank=True, help_text=_("如 12345 表示工作日; 留空表示每天"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("创建人"), null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("静默规则")
        verbose_name_plural = _("静默规则")
        ordering = ["-created_at"]


# --- response -> execution -> feedback ------------------------------------------------------------------------------

class ActionKind(models.TextChoices):
    EVACUATE = "evacuate", _("人员转移")
    SHUTDOWN = "shutdown", _("停工停业/关闭景区(熔断)")
    PATROL = "patrol", _("巡查值守")
    ON_DUTY = "on_duty", _("到岗值班")
    CLOSE_ROAD = "close_road", _("交通管制")
    OTHER = "other", _("其他")


class ActionOwner(models.TextChoices):
    VILLAGE = "village", _("村级包保责任人")
    TOWNSHIP = "township", _("乡镇级包保责任人")
    DISTRICT = "district", _("区县级包保责任人")
    UNIT = "unit", _("风险点责任单位")
    DUTY = "duty", _("区县政府值班人员")


class ResponseActionTemplate(models.Model):
    """The emergency plan's response actions for a warning level (and hazard type; blank = any): an editable table."""

    level = models.CharField(_("级别"), max_length=10, choices=Level.choices)
    hazard_type = models.CharField(_("灾种"), max_length=20, choices=HazardType.choices, blank=True)
    kind = models.CharField(_("措施类型"), max_length=12, choices=ActionKind.choices)
    title = models.CharField(_("措施"), max_length=200)
    owner_target = models.CharField(_("责任人"), max_length=10, choices=ActionOwner.choices)
    deadline_minutes = models.PositiveIntegerField(_("完成时限(分钟)"))
    required = models.BooleanField(_("必须反馈"), default=True)
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)
    source = models.CharField(_("依据"), max_length=300, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("响应措施模板")
        verbose_name_plural = _("响应措施模板")
        ordering = ["level", "hazard_type", "order", "pk"]


class ActionStatus(models.TextChoices):
    OPEN = "open", _("待执行")
    REPORTED = "reported", _("已反馈")
    CANCELLED = "cancelled", _("已取消")


class ResponseAction(models.Model):
    """One response action of one warning: owner, deadline, and the execution reports against it."""

    warning = models.ForeignKey(EarlyWarning, on_delete=models.CASCADE, related_name="actions")
    template = models.ForeignKey(ResponseActionTemplate, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    call_round = models.PositiveIntegerField(_("叫应轮次"), default=1)
    level = models.CharField(_("级别"), max_length=10, choices=Level.choices)
    kind = models.CharField(_("措施类型"), max_length=12, choices=ActionKind.choices)
    title = models.CharField(_("措施"), max_length=200)
    owner = models.ForeignKey("core.Person", verbose_name=_("责任人"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    owner_organization = models.ForeignKey(Organization, verbose_name=_("责任单位"), null=True, blank=True,
                                           on_delete=models.SET_NULL, related_name="+")
    deadline = models.DateTimeField(_("完成时限"))
    required = models.BooleanField(_("必须反馈"), default=True)
    status = models.CharField(_("状态"), max_length=10, choices=ActionStatus.choices, default=ActionStatus.OPEN)
    reported_at = models.DateTimeField(_("反馈时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("响应措施")
        verbose_name_plural = _("响应措施")
        ordering = ["deadline", "pk"]

    @property
    def on_time(self) -> bool | None:
        if self.reported_at is None:
            return None
        return self.reported_at <= self.deadline


class ExecutionReport(models.Model):
    """What was done for an action: evacuated people, a note, photos, when and by whom."""

    action = models.ForeignKey(ResponseAction, on_delete=models.CASCADE, related_name="reports")
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("填报人"), null=True,
                                    on_delete=models.SET_NULL, related_name="+")
    person = models.ForeignKey("core.Person", verbose_name=_("执行人"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    executed_at = models.DateTimeField(_("执行时间"), default=timezone.now)
    evacuated = models.PositiveIntegerField(_("转移人数"), null=True, blank=True)
    note = models.TextField(_("情况说明"), blank=True)
    created_at = models.DateTimeField(_("填报时间"), default=timezone.now)

    class Meta:
        verbose_name = _("执行反馈")
        verbose_name_plural = _("执行反馈")
        ordering = ["created_at", "pk"]


class ExecutionPhoto(models.Model):
    """A photo of an execution report, stored under a random name and served through a scoped view."""

    report = models.ForeignKey(ExecutionReport, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(_("照片"), upload_to=execution_photo_path)
    original_name = models.CharField(_("原文件名"), max_length=200, blank=True)
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("现场照片")
        verbose_name_plural = _("现场照片")
