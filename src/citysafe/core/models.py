"""Shared reference data: administrative regions, organisations, people, user scope and API tokens.

Every business model of every app hangs off these: a record belongs to an ``Organization`` and/or a ``Region``, and
``citysafe.core.scoping`` decides from a user's ``UserProfile`` which of them the user may see.
"""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class RegionLevel(models.TextChoices):
    """Levels of the administrative hierarchy (GB/T 2260 for province..county; 统计用区划代码 below)."""

    PROVINCE = "province", _("省级")
    DISTRICT = "district", _("区县")
    ZONE = "zone", _("功能区")
    TOWNSHIP = "township", _("乡镇(街道)")
    VILLAGE = "village", _("村(社区)")


class Region(models.Model):
    """An administrative division keyed by its GB/T 2260 code.

    Codes change (e.g. 江北区 500105 and 渝北区 500112 were abolished on 2025-11-07 when 两江新区 500157 was created,
    渝府发〔2025〕15号), so a region carries ``valid_from``/``valid_to`` and the same code may appear twice with
    disjoint validity.  ``path`` is the materialised chain of ancestor codes ("500000/500103/") so a subtree is one
    ``startswith`` query.  ``boundary`` is GeoJSON geometry in WGS84 (lon, lat).
    """

    adcode = models.CharField(_("区划代码"), max_length=12, db_index=True)
    name = models.CharField(_("名称"), max_length=100)
    name_en = models.CharField(_("英文名"), max_length=100, blank=True)
    level = models.CharField(_("层级"), max_length=16, choices=RegionLevel.choices)
    kind = models.CharField(_("类型"), max_length=20, blank=True, help_text=_("区、县、自治县、功能区等"))
    parent = models.ForeignKey("self", verbose_name=_("上级"), null=True, blank=True, on_delete=models.PROTECT,
                               related_name="children")
    path = models.CharField(_("路径"), max_length=200, db_index=True, editable=False)
    population = models.PositiveIntegerField(_("常住人口"), null=True, blank=True)
    center_lon = models.FloatField(_("中心经度"), null=True, blank=True)
    center_lat = models.FloatField(_("中心纬度"), null=True, blank=True)
    boundary = models.JSONField(_("边界(GeoJSON, WGS84)"), null=True, blank=True)
    valid_from = models.DateField(_("生效日期"), null=True, blank=True)
    valid_to = models.DateField(_("失效日期"), null=True, blank=True)
    history = HistoricalRecords(excluded_fields=["boundary"])

    class Meta:
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")
        ordering = ["adcode"]
        constraints = [
            models.UniqueConstraint(fields=["adcode", "valid_from"], name="region_adcode_valid_from_unique",
                                    nulls_distinct=False),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.path = (self.parent.path if self.parent_id else "") + f"{self.adcode}/"
        super().save(*args, **kwargs)

    def is_valid_on(self, day) -> bool:
        """True when the code was in force on ``day`` (valid_from inclusive, valid_to exclusive)."""
        return (self.valid_from is None or self.valid_from <= day) and (self.valid_to is None or day < self.valid_to)


class OrganizationKind(models.TextChoices):
    GOVERNMENT = "government", _("政府")
    DEPARTMENT = "department", _("部门")
    COMMITTEE = "committee", _("议事协调机构")
    ENTERPRISE = "enterprise", _("企业")
    TEAM = "team", _("队伍")
    GROUP = "group", _("单位集合")
    OTHER = "other", _("其他")


class Organization(models.Model):
    """Any body that holds duties: a municipal department, a district government, a committee, an enterprise.

    A *group* organisation ("各区县政府", "市安委会各成员单位") stands for a collective named in a document; its
    ``members`` are the organisations it expands to.  Functional zones without a GB/T 2260 code (重庆高新区,
    万盛经开区) are organisations whose ``region`` is a ``zone`` region.
    """

    name = models.CharField(_("名称"), max_length=200, unique=True)
    short_name = models.CharField(_("简称"), max_length=100, blank=True)
    kind = models.CharField(_("类型"), max_length=16, choices=OrganizationKind.choices, default=OrganizationKind.OTHER)
    region = models.ForeignKey(Region, verbose_name=_("所在区划"), null=True, blank=True, on_delete=models.PROTECT,
                               related_name="organizations")
    parent = models.ForeignKey("self", verbose_name=_("上级单位"), null=True, blank=True, on_delete=models.PROTECT,
                               related_name="children")
    members = models.ManyToManyField("self", verbose_name=_("成员单位"), blank=True, symmetrical=False,
                                     related_name="member_of")
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
    created_by_import = models.BooleanField(_("导入时新建"), default=False,
                                            help_text=_("导入文件时自动创建,待核实"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("单位")
        verbose_name_plural = _("单位")
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_group(self) -> bool:
        return self.kind == OrganizationKind.GROUP


class OrganizationAlias(models.Model):
    """Another name of an organisation ("市应急局" for "市应急管理局"); names are unique across aliases."""

    organization = models.ForeignKey(Organization, verbose_name=_("单位"), on_delete=models.CASCADE,
                                     related_name="aliases")
    name = models.CharField(_("别名"), max_length=200, unique=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("单位别名")
        verbose_name_plural = _("单位别名")

    def __str__(self) -> str:
        return self.name


class Person(models.Model):
    """A named person (duty officer, responsible person).  Phone and ID numbers are personal data: shown masked."""

    name = models.CharField(_("姓名"), max_length=50)
    organization = models.ForeignKey(Organization, verbose_name=_("单位"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="people")
    title = models.CharField(_("职务"), max_length=100, blank=True)
    phone = models.CharField(_("电话"), max_length=30, blank=True)
    email = models.EmailField(_("邮箱"), blank=True)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name=_("登录账号"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="person")
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("人员")
        verbose_name_plural = _("人员")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class UserProfile(models.Model):
    """A user's scope: the organisation they act for and the region subtree they may see.

    Roles are Django groups (see ``citysafe.core.roles``); the profile only says *where*.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    organization = models.ForeignKey(Organization, verbose_name=_("所属单位"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="user_profiles")
    region = models.ForeignKey(Region, verbose_name=_("管辖区划"), null=True, blank=True, on_delete=models.PROTECT,
                               related_name="user_profiles")
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("用户范围")
        verbose_name_plural = _("用户范围")

    def __str__(self) -> str:
        return f"{self.user} @ {self.organization or self.region or '-'}"


def _hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiTokenManager(models.Manager):
    def issue(self, user, name: str, days: int | None = None) -> tuple["ApiToken", str]:
        """Create a token for ``user`` and return (token, raw secret); only the SHA-256 of the secret is stored."""
        raw = "cs_" + secrets.token_urlsafe(32)
        expires = timezone.now() + timezone.timedelta(days=days) if days else None
        token = self.create(user=user, name=name, key_hash=_hash_token(raw), prefix=raw[:10], expires_at=expires)
        return token, raw

    def authenticate(self, raw: str):
        """Return the active token's user for a raw secret, or None; records last use."""
        token = self.select_related("user").filter(key_hash=_hash_token(raw), revoked=False).first()
        if token is None or not token.user.is_active:
            return None
        if token.expires_at and token.expires_at <= timezone.now():
            return None
        self.filter(pk=token.pk).update(last_used_at=timezone.now())
        return token.user


class ApiToken(models.Model):
    """A machine credential for ``/api/v1`` (``Authorization: Bearer <secret>``), acting as its user."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("用途"), max_length=100)
    prefix = models.CharField(_("前缀"), max_length=12, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    expires_at = models.DateTimeField(_("过期时间"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    revoked = models.BooleanField(_("已吊销"), default=False)
    history = HistoricalRecords(excluded_fields=["last_used_at"])

    objects = ApiTokenManager()

    class Meta:
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
