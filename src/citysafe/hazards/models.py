"""Hidden hazards (隐患) with closed-loop rectification, risk points (风险点) with their responsibility chain,
public tip-offs (举报) and the versioned major-hazard determination packs.

Sources: 《安全生产事故隐患排查治理暂行规定》(原国家安监总局令第16号) for grades and the closed loop;
《安全生产领域举报奖励办法》(2018) for tip-off rewards; 应急管理部令第10号 and 安监总管三〔2017〕121号 for
determination (see ``determination``).  Locations are WGS84 longitude/latitude.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition
from simple_history.models import HistoricalRecords

from citysafe.core.models import Organization, Person, Region
from citysafe.core.uploads import hazard_file_path, import_file_path


class Industry(models.Model):
    """A sector (行业领域): the 24 domains of the work plan's annex, with the department that supervises it.

    ``supervising_department`` is the configurable "三管三必须" routing table (管行业必须管安全): a hazard of this
    industry is supervised by that department.  ``gbt4754_codes`` lists GB/T 4754-2017 industry codes (prefixes)
    that map to the sector, so an enterprise's registered industry code can be routed too.
    """

    code = models.CharField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100, unique=True)
    gbt4754_codes = models.CharField(_("国民经济行业代码"), max_length=200, blank=True,
                                     help_text=_("GB/T 4754 代码前缀,逗号分隔"))
    supervising_department = models.ForeignKey(Organization, verbose_name=_("行业监管部门"), null=True, blank=True,
                                               on_delete=models.SET_NULL, related_name="supervised_industries")
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("行业领域")
        verbose_name_plural = _("行业领域")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class HazardSource(models.TextChoices):
    SELF_INSPECTION = "self_inspection", _("企业自查")
    GOVERNMENT_INSPECTION = "government_inspection", _("政府检查")
    TIP_OFF = "tip_off", _("群众举报")
    SENSOR = "sensor", _("监测预警")
    GRID_PATROL = "grid_patrol", _("网格巡查")


class HazardGrade(models.TextChoices):
    GENERAL = "general", _("一般隐患")
    MAJOR = "major", _("重大隐患")


class HazardStatus(models.TextChoices):
    TRIAGE = "triage", _("待分派")
    REPORTED = "reported", _("已登记")
    ASSIGNED = "assigned", _("已交办")
    RECTIFYING = "rectifying", _("整改中")
    SUBMITTED = "submitted", _("待验收")
    ACCEPTED = "accepted", _("已验收销号")


OPEN_STATUSES = [HazardStatus.TRIAGE, HazardStatus.REPORTED, HazardStatus.ASSIGNED, HazardStatus.RECTIFYING,
                 HazardStatus.SUBMITTED]


class DeterminationPack(models.Model):
    """One version of a major-hazard determination standard as a checklist (loaded from a data file)."""

    code = models.CharField(_("代码"), max_length=60)
    version = models.CharField(_("版本"), max_length=40)
    title = models.CharField(_("标准名称"), max_length=200)
    document = models.CharField(_("文号"), max_length=100, blank=True)
    effective_from = models.DateField(_("施行日期"), null=True, blank=True)
    content = models.JSONField(_("条款"))
    is_current = models.BooleanField(_("现行"), default=True)

    class Meta:
        verbose_name = _("重大隐患判定标准")
        verbose_name_plural = _("重大隐患判定标准")
        constraints = [models.UniqueConstraint(fields=["code", "version"], name="pack_code_version_unique")]

    def __str__(self) -> str:
        return f"{self.title} ({self.version})"


class Hazard(models.Model):
    """A hidden hazard found by inspection, report or sensor, tracked until accepted and closed.

    Life cycle (closed loop, 总局令第16号): triage (unroutable) -> reported -> assigned -> rectifying -> submitted ->
    accepted, or back to rectifying when acceptance is refused.  A major hazard is listed for supervision (挂牌督办)
    and only its supervising department may accept it.  Overdue is derived: open past ``deadline``.
    """

    code = models.CharField(_("编号"), max_length=30, unique=True, editable=False)
    title = models.CharField(_("隐患名称"), max_length=200)
    description = models.TextField(_("隐患描述"), blank=True)
    lon = models.FloatField(_("经度"), null=True, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    address = models.CharField(_("地址"), max_length=300, blank=True)
    region = models.ForeignKey(Region, verbose_name=_("所在区县"), null=True, blank=True, on_delete=models.PROTECT,
                               related_name="hazards")
    enterprise = models.ForeignKey(Organization, verbose_name=_("企业/单位"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="hazards")
    site = models.CharField(_("场所"), max_length=200, blank=True)
    industry = models.ForeignKey(Industry, verbose_name=_("行业领域"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="hazards")
    gbt4754_code = models.CharField(_("国民经济行业代码"), max_length=10, blank=True)
    source = models.CharField(_("来源"), max_length=24, choices=HazardSource.choices)
    grade = models.CharField(_("等级"), max_length=10, choices=HazardGrade.choices, default=HazardGrade.GENERAL)
    basis = models.CharField(_("判定依据"), max_length=300, blank=True,
                             help_text=_("标准及条款,如 工贸企业重大事故隐患判定标准 第十一条"))
    determination_pack = models.ForeignKey(DeterminationPack, verbose_name=_("判定标准版本"), null=True,
                                           blank=True, on_delete=models.PROTECT, related_name="hazards")
    determination_items = models.JSONField(_("判定条目"), default=list, blank=True)
    found_at = models.DateTimeField(_("发现时间"), default=timezone.now)
    found_by = models.CharField(_("发现人"), max_length=100, blank=True)
    deadline = models.DateField(_("整改期限"), null=True, blank=True)
    responsible_unit = models.ForeignKey(Organization, verbose_name=_("整改责任单位"), null=True, blank=True,
                                         on_delete=models.PROTECT, related_name="hazards_to_rectify")
    supervising_department = models.ForeignKey(Organization, verbose_name=_("监管部门"), null=True, blank=True,
                                               on_delete=models.PROTECT, related_name="hazards_supervised")
    # Not `protected`: refresh_from_db() must work; services are the only writers of the state anyway.
    status = FSMField(_("状态"), default=HazardStatus.REPORTED, choices=HazardStatus.choices)
    triage_reason = models.CharField(_("待分派原因"), max_length=300, blank=True)
    supervision = models.ForeignKey("workplans.Supervision", verbose_name=_("挂牌督办"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="hazards")
    rectification_measures = models.TextField(_("整改措施"), blank=True)
    closed_at = models.DateTimeField(_("销号时间"), null=True, blank=True)
    is_demo = models.BooleanField(_("演示数据"), default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("登记人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("隐患")
        verbose_name_plural = _("隐患")
        ordering = ["-found_at"]
        indexes = [models.Index(fields=["status", "grade"]), models.Index(fields=["deadline"])]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.deadline is not None and self.deadline < timezone.localdate()

    @transition(field=status, source=HazardStatus.TRIAGE, target=HazardStatus.REPORTED)
    def route(self):
        """A triaged hazard got its region and departments."""

    @transition(field=status, source=HazardStatus.REPORTED, target=HazardStatus.ASSIGNED)
    def assign(self):
        """The supervising side hands the hazard to the responsible unit with a deadline."""

    @transition(field=status, source=HazardStatus.ASSIGNED, target=HazardStatus.RECTIFYING)
    def start_rectification(self):
        """The responsible unit starts rectifying."""

    @transition(field=status, source=HazardStatus.RECTIFYING, target=HazardStatus.SUBMITTED)
    def submit(self):
        """The responsible unit reports the rectification done and asks for acceptance."""

    @transition(field=status, source=HazardStatus.SUBMITTED, target=HazardStatus.ACCEPTED)
    def accept(self):
        """Acceptance (验收) passed: the hazard is closed (销号)."""

    @transition(field=status, source=HazardStatus.SUBMITTED, target=HazardStatus.RECTIFYING)
    def reject(self):
        """Acceptance refused: back to rectification."""


class HazardTransition(models.Model):
    """One step of a hazard's closed loop: who moved it from which state to which, when, and why."""

    hazard = models.ForeignKey(Hazard, on_delete=models.CASCADE, related_name="transitions")
    action = models.CharField(_("操作"), max_length=30)
    from_status = models.CharField(_("原状态"), max_length=12, choices=HazardStatus.choices, blank=True)
    to_status = models.CharField(_("新状态"), max_length=12, choices=HazardStatus.choices)
    comment = models.TextField(_("意见"), blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True,
                           on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("隐患处理记录")
        verbose_name_plural = _("隐患处理记录")
        ordering = ["at", "pk"]


class DeadlineExtension(models.Model):
    """A recorded extension of a rectification deadline (the original deadline is never overwritten silently)."""

    hazard = models.ForeignKey(Hazard, on_delete=models.CASCADE, related_name="extensions")
    old_deadline = models.DateField(_("原期限"), null=True)
    new_deadline = models.DateField(_("新期限"))
    reason = models.TextField(_("延期原因"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("批准人"), null=True, blank=True,
                           on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(_("时间"), default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("整改延期")
        verbose_name_plural = _("整改延期")


class HazardAttachment(models.Model):
    """A photo or document of a hazard (before / after rectification, rectification plan, acceptance record)."""

    class Kind(models.TextChoices):
        PHOTO = "photo", _("照片")
        DOCUMENT = "document", _("文档")

    hazard = models.ForeignKey(Hazard, on_delete=models.CASCADE, related_name="attachments")
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    file = models.FileField(_("文件"), upload_to=hazard_file_path)
    caption = models.CharField(_("说明"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("隐患附件")
        verbose_name_plural = _("隐患附件")


class RiskPointKind(models.TextChoices):
    LANDSLIDE = "landslide", _("滑坡")
    GEOLOGICAL = "geological", _("其他地质灾害隐患点")
    PONDING = "ponding", _("积水内涝点")
    FLASH_FLOOD_GULLY = "flash_flood_gully", _("山洪沟")
    GAS_PIPELINE = "gas_pipeline", _("燃气管道")
    MAJOR_HAZARD_INSTALLATION = "major_hazard_installation", _("重大危险源")
    SCENIC_SPOT = "scenic_spot", _("景区景点")
    CONSTRUCTION_SITE = "construction_site", _("在建工地")
    MINE = "mine", _("矿山")


class RiskPoint(models.Model):
    """A mapped place with a known risk (风险点位清单…动态落图, seed 六(二十)), who is threatened, and who answers."""

    code = models.CharField(_("编号"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=200)
    kind = models.CharField(_("类型"), max_length=30, choices=RiskPointKind.choices)
    industry = models.ForeignKey(Industry, verbose_name=_("行业领域"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="risk_points")
    lon = models.FloatField(_("经度"))
    lat = models.FloatField(_("纬度"))
    region = models.ForeignKey(Region, verbose_name=_("所在区县"), null=True, blank=True, on_delete=models.PROTECT,
                               related_name="risk_points")
    township = models.CharField(_("乡镇(街道)"), max_length=100, blank=True)
    village = models.CharField(_("村(社区)"), max_length=100, blank=True)
    risk_grade = models.CharField(_("风险等级"), max_length=10, blank=True,
                                  choices=[("red", _("重大风险")), ("orange", _("较大风险")), ("yellow", _("一般风险")),
                                           ("blue", _("低风险"))])
    threatened_people = models.PositiveIntegerField(_("威胁人数"), default=0)
    threatened_households = models.PositiveIntegerField(_("威胁户数"), default=0)
    responsible_unit = models.ForeignKey(Organization, verbose_name=_("责任单位"), null=True, blank=True,
                                         on_delete=models.PROTECT, related_name="risk_points")
    is_demo = models.BooleanField(_("演示数据"), default=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("风险点")
        verbose_name_plural = _("风险点")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class ResponsibilityLevel(models.TextChoices):
    DISTRICT = "district", _("区县级")
    TOWNSHIP = "township", _("乡镇级")
    VILLAGE = "village", _("村级")


class ResponsibilityAssignment(models.Model):
    """The assigned responsible person (包保责任人) of a risk point at one level, with a deputy."""

    risk_point = models.ForeignKey(RiskPoint, on_delete=models.CASCADE, related_name="assignments")
    level = models.CharField(_("层级"), max_length=10, choices=ResponsibilityLevel.choices)
    person = models.ForeignKey(Person, verbose_name=_("包保责任人"), on_delete=models.PROTECT, related_name="+")
    deputy = models.ForeignKey(Person, verbose_name=_("AB角(替补)"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("包保责任")
        verbose_name_plural = _("包保责任")
        constraints = [models.UniqueConstraint(fields=["risk_point", "level"], name="assignment_level_unique")]


class TipOffStatus(models.TextChoices):
    RECEIVED = "received", _("已受理")
    TRIAGED = "triaged", _("已转为隐患")
    REJECTED = "rejected", _("不予立案")
    VERIFIED = "verified", _("查证属实")
    REWARDED = "rewarded", _("已奖励")


class TipOff(models.Model):
    """A public tip-off (举报).  The reporter's identity is personal data: visible only with the permission
    ``hazards.view_reporter_identity``, masked elsewhere and in exports.  The follow-up code is stored hashed."""

    code = models.CharField(_("编号"), max_length=30, unique=True, editable=False)
    description = models.TextField(_("举报内容"))
    address = models.CharField(_("地点"), max_length=300, blank=True)
    lon = models.FloatField(_("经度"), null=True, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    region = models.ForeignKey(Region, verbose_name=_("所在区县"), null=True, blank=True, on_delete=models.PROTECT,
                               related_name="tip_offs")
    industry = models.ForeignKey(Industry, verbose_name=_("行业领域"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="tip_offs")
    anonymous = models.BooleanField(_("匿名"), default=False)
    reporter_name = models.CharField(_("举报人姓名"), max_length=50, blank=True)
    reporter_phone = models.CharField(_("举报人电话"), max_length=30, blank=True)
    follow_up_hash = models.CharField(max_length=64, unique=True, editable=False)
    status = FSMField(_("状态"), default=TipOffStatus.RECEIVED, choices=TipOffStatus.choices)
    hazard = models.ForeignKey(Hazard, verbose_name=_("转办隐患"), null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="tip_offs")
    public_reply = models.TextField(_("答复"), blank=True)
    fine_amount = models.DecimalField(_("罚款金额(元)"), max_digits=12, decimal_places=2, null=True, blank=True)
    reward_amount = models.DecimalField(_("奖励金额(元)"), max_digits=12, decimal_places=2, null=True, blank=True)
    reward_basis = models.CharField(_("奖励依据"), max_length=300, blank=True)
    received_at = models.DateTimeField(_("受理时间"), default=timezone.now)
    client_fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    history = HistoricalRecords(excluded_fields=["reporter_name", "reporter_phone", "client_fingerprint"])

    class Meta:
        verbose_name = _("举报")
        verbose_name_plural = _("举报")
        ordering = ["-received_at"]
        permissions = [("view_reporter_identity", _("可查看举报人身份"))]

    def __str__(self) -> str:
        return self.code

    @transition(field=status, source=TipOffStatus.RECEIVED, target=TipOffStatus.TRIAGED)
    def to_hazard(self):
        """Triage turned the tip-off into a hazard."""

    @transition(field=status, source=TipOffStatus.RECEIVED, target=TipOffStatus.REJECTED)
    def reject(self):
        """Not a safety matter, or not enough to act on."""

    @transition(field=status, source=TipOffStatus.TRIAGED, target=TipOffStatus.VERIFIED)
    def verify(self):
        """Investigation confirmed the reported hazard or violation."""

    @transition(field=status, source=TipOffStatus.VERIFIED, target=TipOffStatus.REWARDED)
    def reward(self):
        """The reward was decided and paid."""


class ImportJob(models.Model):
    """A background Excel import (hazard ledger or risk points) with its progress and row errors."""

    class Kind(models.TextChoices):
        HAZARDS = "hazards", _("隐患台账")
        RISK_POINTS = "risk_points", _("风险点")

    class State(models.TextChoices):
        PENDING = "pending", _("排队中")
        RUNNING = "running", _("导入中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("有错误,未导入")

    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    file = models.FileField(_("文件"), upload_to=import_file_path)
    mapping = models.JSONField(_("列对应"), default=dict, blank=True)
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.PENDING)
    total = models.PositiveIntegerField(_("总行数"), default=0)
    done = models.PositiveIntegerField(_("已处理"), default=0)
    saved = models.PositiveIntegerField(_("已保存"), default=0)
    errors = models.JSONField(_("错误"), default=list, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("导入任务")
        verbose_name_plural = _("导入任务")
        ordering = ["-created_at"]
