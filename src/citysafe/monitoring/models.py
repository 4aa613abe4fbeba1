"""Devices and their readings (seed 六(二十): 加密部署视频监控、气体探测、振动传感等监测设备).

Readings are designed for millions of rows a day: no foreign key (on SQLite they live in their own database file,
alias ``readings``; on PostgreSQL in a table range-partitioned by month), a composite primary key
(device, metric, time) that makes duplicates impossible and re-delivery idempotent, and values as plain floats.
Invalid messages are never dropped silently: they go to ``DeadLetter`` with the raw payload and the reason.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from citysafe.core.models import Region


class DeviceKind(models.TextChoices):
    RAIN_GAUGE = "rain_gauge", _("雨量计")
    WATER_LEVEL_STATION = "water_level_station", _("水位站")
    GNSS = "gnss", _("GNSS位移监测")
    CRACK_METER = "crack_meter", _("裂缝计")
    GAS_DETECTOR = "gas_detector", _("可燃气体探测器")
    TOXIC_GAS_DETECTOR = "toxic_gas_detector", _("有毒气体探测器")
    PONDING_SENSOR = "ponding_sensor", _("积水监测")
    ELEVATOR_EVENT = "elevator_event", _("电梯物联")
    VIDEO_AI_EVENT = "video_ai_event", _("视频智能识别")
    WEATHER_STATION = "weather_station", _("气象站")


# Metrics each kind reports, with units and the physically possible range; readings outside it are dead letters.
# Ranges are sanity limits of the instruments, not warning thresholds.
KIND_METRICS: dict[str, dict[str, tuple[str, float, float]]] = {
    "rain_gauge": {"precipitation_mm": ("mm", 0.0, 500.0)},  # amount since the previous reading
    "water_level_station": {"water_level_m": ("m", -50.0, 9000.0)},  # elevation above datum
    "gnss": {"displacement_mm": ("mm", -100000.0, 100000.0)},  # cumulative
    "crack_meter": {"crack_width_mm": ("mm", -1000.0, 10000.0)},
    "gas_detector": {"lel_percent": ("%LEL", 0.0, 100.0)},
    "toxic_gas_detector": {"h2s_mg_m3": ("mg/m³", 0.0, 10000.0), "co_mg_m3": ("mg/m³", 0.0, 10000.0),
                           "o2_percent": ("%vol", 0.0, 100.0)},
    "ponding_sensor": {"depth_cm": ("cm", 0.0, 1000.0)},
    "elevator_event": {"entrapment": ("count", 0.0, 1000.0), "fault": ("count", 0.0, 1000.0)},
    "video_ai_event": {"event_score": ("score", 0.0, 1.0)},
    "weather_station": {"precipitation_mm": ("mm", 0.0, 500.0), "temperature_c": ("°C", -60.0, 60.0),
                        "wind_speed_m_s": ("m/s", 0.0, 100.0), "humidity_percent": ("%", 0.0, 100.0)},
}


METRIC_LABELS = {
    "precipitation_mm": _("降雨量"), "water_level_m": _("水位"), "displacement_mm": _("累计位移"),
    "crack_width_mm": _("裂缝宽度"), "lel_percent": _("可燃气体浓度"), "h2s_mg_m3": _("硫化氢浓度"),
    "co_mg_m3": _("一氧化碳浓度"), "o2_percent": _("氧气浓度"), "depth_cm": _("积水深度"), "entrapment": _("困人"),
    "fault": _("故障"), "event_score": _("识别置信度"), "temperature_c": _("气温"), "wind_speed_m_s": _("风速"),
    "humidity_percent": _("相对湿度"),
}


class Device(models.Model):
    """A monitoring device, known to the platform by its ``external_id`` (the id in MQTT topics and payloads)."""

    external_id = models.CharField(_("设备编号"), max_length=64, unique=True)
    name = models.CharField(_("名称"), max_length=200)
    kind = models.CharField(_("类型"), max_length=30, choices=DeviceKind.choices)
    risk_point = models.ForeignKey("hazards.RiskPoint", verbose_name=_("监测风险点"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="devices")
    region = models.ForeignKey(Region, verbose_name=_("所在区县"), null=True, blank=True, on_delete=models.PROTECT,
                               related_name="devices")
    lon = models.FloatField(_("经度"), null=True, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    params = models.JSONField(_("设备参数"), default=dict, blank=True,
                              help_text=_("如水位站的警戒水位 warning_level_m、保证水位 guaranteed_level_m"))
    silent_after_s = models.PositiveIntegerField(_("静默告警阈值(秒)"), default=3600)
    last_seen_at = models.DateTimeField(_("最近上报"), null=True, blank=True)
    last_values = models.JSONField(_("最近读数"), default=dict, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    is_demo = models.BooleanField(_("演示数据"), default=False)
    history = HistoricalRecords(excluded_fields=["last_seen_at", "last_values"])

    class Meta:
        verbose_name = _("监测设备")
        verbose_name_plural = _("监测设备")
        ordering = ["external_id"]

    def __str__(self) -> str:
        return f"{self.external_id} {self.name}"

    @property
    def metrics(self) -> dict[str, tuple[str, float, float]]:
        return KIND_METRICS.get(self.kind, {})

    @property
    def is_silent(self) -> bool:
        if self.last_seen_at is None:
            return True
        return (timezone.now() - self.last_seen_at).total_seconds() > self.silent_after_s


class Reading(models.Model):
    """One value of one metric of one device at one time (UTC).  ``quality`` 0 = good (device-reported flags
    above 0 are kept as sent)."""

    pk = models.CompositePrimaryKey("device_id", "metric", "time")
    device_id = models.BigIntegerField(_("设备"))
    metric = models.CharField(_("指标"), max_length=40)
    time = models.DateTimeField(_("时间"))
    value = models.FloatField(_("数值"))
    quality = models.SmallIntegerField(_("质量"), default=0)
    received_at = models.DateTimeField(_("接收时间"), default=timezone.now)

    class Meta:
        verbose_name = _("监测数据")
        verbose_name_plural = _("监测数据")
        indexes = [models.Index(fields=["time"], name="reading_time_idx")]

    def __str__(self) -> str:
        return f"{self.device_id} {self.metric} {self.time:%Y-%m-%d %H:%M:%S} {self.value}"


class DeadLetter(models.Model):
    """A message that could not be accepted, kept with its raw payload and the reason (nothing is lost)."""

    received_at = models.DateTimeField(_("接收时间"), default=timezone.now, db_index=True)
    source = models.CharField(_("来源"), max_length=10, choices=[("mqtt", "MQTT"), ("http", "HTTP"), ("csv", "CSV")])
    topic = models.CharField(_("主题"), max_length=300, blank=True)
    device_external_id = models.CharField(_("设备编号"), max_length=64, blank=True)
    payload = models.TextField(_("原始报文"))
    reason = models.CharField(_("原因"), max_length=300)

    class Meta:
        verbose_name = _("无效报文")
        verbose_name_plural = _("无效报文")
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.received_at:%Y-%m-%d %H:%M:%S} {self.reason}"
