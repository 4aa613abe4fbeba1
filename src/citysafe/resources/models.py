"""Emergency resources (应急资源) on the map, depot stock and dispatches (调度) to incidents.

One ``Resource`` table holds every kind (rescue team, depot, equipment, shelter, helipad, medical point) because they
share what matters for command — where, whose, available or not — and the map shows one layer per kind.  Kind-specific
fields are blank for other kinds.  A depot's stock is ``StockItem`` rows; a ``Dispatch`` sends a team and/or stock to
an ``incidents.Incident`` through request -> dispatched -> arrived -> returned (``dispatch.py``).
"""

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from citysafe.core.models import Organization, Region

# Stock expiring within this many days is flagged (project default; no regulation sets a warning horizon).
EXPIRY_WARNING_DAYS = 30
# Sane upper bounds, the same in the form, the API and the import (project defaults).  Counts (headcount, quantity,
# capacity, occupancy) are people or pieces of one resource; stock quantities must also fit PostgreSQL's 32-bit
# ``integer`` columns (max 2,147,483,647), so they stop at 10^9.
MAX_COUNT = 1_000_000
MAX_STOCK = 1_000_000_000
# Free-text fields without a database limit (equipment, notes).
MAX_TEXT = 2000


class ResourceKind(models.TextChoices):
    TEAM = "team", _("救援队伍")
    DEPOT = "depot", _("物资储备库")
    EQUIPMENT = "equipment", _("救援装备")
    SHELTER = "shelter", _("应急避难场所")
    HELIPAD = "helipad", _("直升机起降点")
    MEDICAL = "medical", _("医疗救护点")


class ResourceStatus(models.TextChoices):
    AVAILABLE = "available", _("可用")
    DISPATCHED = "dispatched", _("已调派")
    UNAVAILABLE = "unavailable", _("不可用")


class Resource(models.Model):
    """One resource at a WGS84 point (lon, lat in degrees), owned by an organisation (the scoping key)."""

    kind = models.CharField(_("类型"), max_length=20, choices=ResourceKind.choices, db_index=True)
    name = models.CharField(_("名称"), max_length=200)
    code = models.CharField(_("编号"), max_length=50, blank=True)
    region = models.ForeignKey(Region, verbose_name=_("所在区县"), null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+")
    organization = models.ForeignKey(Organization, verbose_name=_("所属单位"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="emergency_resources")
    lon = models.FloatField(_("经度"))
    lat = models.FloatField(_("纬度"))
    address = models.CharField(_("地址"), max_length=300, blank=True)
    status = models.CharField(_("状态"), max_length=20, choices=ResourceStatus.choices,
                              default=ResourceStatus.AVAILABLE, db_index=True)
    specialty = models.CharField(_("专业类别"), max_length=100, blank=True,
                                 help_text=_("队伍类型(如消防、矿山、危化)或装备类别"))
    headcount = models.PositiveIntegerField(_("人数"), null=True, blank=True)
    equipment = models.TextField(_("主要装备"), blank=True)
    quantity = models.PositiveIntegerField(_("数量"), null=True, blank=True)
    capacity = models.PositiveIntegerField(_("容量(人/床位)"), null=True, blank=True)
    occupancy = models.PositiveIntegerField(_("已安置(人)"), null=True, blank=True)
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    notes = models.TextField(_("备注"), blank=True)
    is_demo = models.BooleanField(_("演示数据"), default=False)
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("应急资源")
        verbose_name_plural = _("应急资源")
        ordering = ["kind", "name"]
        constraints = [models.CheckConstraint(condition=models.Q(lat__gte=-90, lat__lte=90, lon__gte=-180,
                                                                 lon__lte=180), name="resource_lon_lat_range")]

    def __str__(self) -> str:
        return self.name

    @property
    def masked_phone(self) -> str:
        from citysafe.core.privacy import mask_phone

        return mask_phone(self.contact_phone)


class StockItem(models.Model):
    """A stocked item in a depot.  ``quantity`` never goes negative (database check + conditional updates)."""

    depot = models.ForeignKey(Resource, verbose_name=_("储备库"), on_delete=models.CASCADE, related_name="stock",
                              limit_choices_to={"kind": ResourceKind.DEPOT})
    item = models.CharField(_("物资名称"), max_length=100)
    quantity = models.PositiveIntegerField(_("数量"), default=0)
    unit = models.CharField(_("单位"), max_length=20, blank=True)
    expires_on = models.DateField(_("有效期至"), null=True, blank=True)
    minimum = models.PositiveIntegerField(_("最低储备量"), default=0)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("储备物资")
        verbose_name_plural = _("储备物资")
        ordering = ["depot", "item"]
        constraints = [models.CheckConstraint(condition=models.Q(quantity__gte=0), name="stock_quantity_not_negative"),
                       models.UniqueConstraint(fields=["depot", "item"], name="stock_item_unique_per_depot")]

    def __str__(self) -> str:
        return f"{self.item} ({self.quantity}{self.unit})"

    @property
    def below_minimum(self) -> bool:
        return self.quantity < self.minimum

    def expiring(self, today: dt.date | None = None) -> bool:
        """Expired or expiring within ``EXPIRY_WARNING_DAYS`` (project default)."""
        today = today or timezone.localdate()
        return self.expires_on is not None and self.expires_on <= today + dt.timedelta(days=EXPIRY_WARNING_DAYS)

    @property
    def is_expiring(self) -> bool:
        return self.expiring()


class DispatchStatus(models.TextChoices):
    REQUESTED = "requested", _("已请求")
    DISPATCHED = "dispatched", _("已出发")
    ARRIVED = "arrived", _("已到达")
    RETURNED = "returned", _("已返回")
    CANCELLED = "cancelled", _("已取消")


class Dispatch(models.Model):
    """Sending a team and/or stock to an incident.  Each state has its own timestamp (the timeline)."""

    incident = models.ForeignKey("incidents.Incident", verbose_name=_("事故事件"), on_delete=models.PROTECT,
                                 related_name="dispatches")
    team = models.ForeignKey(Resource, verbose_name=_("调派资源"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="dispatches")
    status = models.CharField(_("状态"), max_length=20, choices=DispatchStatus.choices,
                              default=DispatchStatus.REQUESTED, db_index=True)
    note = models.TextField(_("说明"), blank=True)
    requested_at = models.DateTimeField(_("请求时间"), default=timezone.now)
    dispatched_at = models.DateTimeField(_("出发时间"), null=True, blank=True)
    arrived_at = models.DateTimeField(_("到达时间"), null=True, blank=True)
    returned_at = models.DateTimeField(_("返回时间"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("资源调度")
        verbose_name_plural = _("资源调度")
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"{self.incident} / {self.team or _('物资')}"


class DispatchItem(models.Model):
    """Quantity drawn from one stock line; ``returned`` of it came back unused."""

    dispatch = models.ForeignKey(Dispatch, verbose_name=_("调度"), on_delete=models.CASCADE, related_name="items")
    stock = models.ForeignKey(StockItem, verbose_name=_("物资"), on_delete=models.PROTECT, related_name="draws")
    quantity = models.PositiveIntegerField(_("调用数量"))
    returned = models.PositiveIntegerField(_("归还数量"), default=0)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("调度物资")
        verbose_name_plural = _("调度物资")
        constraints = [models.CheckConstraint(condition=models.Q(returned__lte=models.F("quantity")),
                                              name="dispatch_item_returned_le_quantity")]
