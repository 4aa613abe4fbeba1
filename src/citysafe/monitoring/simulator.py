"""A rainstorm over a few districts, for ``citysafe demo`` — demo devices and their readings (marked as demo data).

The storm is scripted, not random weather: over ``duration_s`` of wall time the rain gauges of the chosen districts
report intensifying rain (10-second amounts scaled so the 6- and 3-hour totals climb through the CMA Order 16
rainstorm levels within about 25 minutes), river stations rise past their warning and guaranteed levels, ponding
sensors fill, then everything eases and the warnings clear.  The first call backfills 12 hours of light rain, so a
blue rainstorm level shows at once and the others follow live.  Readings go through MQTT
when a broker is reachable (the same path as real sensors), otherwise straight into ``ingest`` in this process.
"""

import datetime as dt
import json
import logging
import random
import socket
import time

from django.conf import settings
from django.utils import timezone

from citysafe.core.models import Region

from .models import Device

log = logging.getLogger(__name__)

STORM_DISTRICTS = ["500103", "500106", "500108", "500112", "500101"]  # 渝中 沙坪坝 南岸 渝北 万州
STEP_S = 10


def create_demo_devices(rng: random.Random | None = None) -> int:
    """Rain gauges, river stations, ponding sensors and gas detectors in the storm districts (idempotent)."""
    if Device.objects.filter(is_demo=True).exists():
        return 0
    rng = rng or random.Random(7)
    from citysafe.hazards.models import RiskPoint

    made = []
    for adcode in STORM_DISTRICTS:
        region = Region.objects.filter(adcode=adcode).order_by("-valid_from").first()
        if region is None or region.center_lon is None:
            continue
        points = list(RiskPoint.objects.filter(region=region, is_demo=True)[:6])
        for i, (kind, name) in enumerate([("rain_gauge", "雨量站"), ("rain_gauge", "雨量站"),
                                          ("water_level_station", "水位站"), ("ponding_sensor", "积水监测点"),
                                          ("gas_detector", "燃气监测点")]):
            point = points[i] if i < len(points) else None
            lon = point.lon if point else region.center_lon + rng.uniform(-0.02, 0.02)
            lat = point.lat if point else region.center_lat + rng.uniform(-0.02, 0.02)
            params = {"warning_level_m": 180.0, "guaranteed_level_m": 183.5, "historic_max_m": 186.0} \
                if kind == "water_level_station" else {}
            made.append(Device(external_id=f"DEMO-{adcode}-{i + 1}", name=f"{region.name}{name}{i + 1}", kind=kind,
                               region=region, risk_point=point, lon=lon, lat=lat, params=params, is_demo=True,
                               silent_after_s=600))
    Device.objects.bulk_create(made)
    return len(made)


def _storm_factor(elapsed: float, duration: float) -> float:
    """Storm strength 0..1: builds from 0.3 to 1 over the first 40 %, holds, then eases to 0 at the end."""
    x = elapsed / duration
    if x < 0.4:
        return 0.3 + 0.7 * x / 0.4
    if x < 0.6:
        return 1.0
    return max(0.0, 1.0 - (x - 0.6) / 0.4)


def readings_at(device: Device, at: dt.datetime, factor: float, rng: random.Random) -> list[dict]:
    """One 10-second reading of a demo device for a storm of strength ``factor`` (0..1)."""
    stamp = at.astimezone(dt.timezone(dt.timedelta(hours=8))).isoformat(timespec="seconds")
    if device.kind == "rain_gauge":
        # 0.6 mm per 10 s at the peak is 216 mm/h: 3-hour totals pass 50 and 100 mm (orange, red).
        amount = round(max(0.0, factor * 0.6 * rng.uniform(0.7, 1.3)), 2)
        return [{"metric": "precipitation_mm", "time": stamp, "value": amount}]
    if device.kind == "water_level_station":
        return [{"metric": "water_level_m", "time": stamp, "value": round(178.5 + factor * 6.0, 2)}]
    if device.kind == "ponding_sensor":
        return [{"metric": "depth_cm", "time": stamp, "value": round(max(0.0, factor * 45 - 5), 1)}]
    if device.kind == "gas_detector":
        spike = 30.0 if factor > 0.8 and device.external_id.endswith("-5") and rng.random() < 0.5 else 0.0
        return [{"metric": "lel_percent", "time": stamp, "value": round(rng.uniform(0, 3) + spike, 1)}]
    return []


def broker_reachable(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


class Simulator:
    """Drives the storm: ``backfill()`` once, then ``step()`` every STEP_S seconds."""

    def __init__(self, duration_s: float = 1800.0, use_mqtt: bool | None = None, seed: int = 2026):
        self.duration = duration_s
        self.devices = list(Device.objects.filter(is_demo=True, is_active=True))
        self.rng = random.Random(seed)
        self.started = time.monotonic()
        host, port = settings.CITYSAFE_MQTT_HOST, settings.CITYSAFE_MQTT_PORT
        self.use_mqtt = broker_reachable(host, port) if use_mqtt is None else use_mqtt
        self.client = None
        if self.use_mqtt:
            import paho.mqtt.client as mqtt

            self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="citysafe-demo-simulator",
                                      protocol=mqtt.MQTTv5)
            if settings.CITYSAFE_MQTT_USERNAME:
                self.client.username_pw_set(settings.CITYSAFE_MQTT_USERNAME, settings.CITYSAFE_MQTT_PASSWORD)
            self.client.connect(host, port)
            self.client.loop_start()

    def _send(self, by_device: dict[Device, list[dict]]) -> None:
        if self.client is not None:
            for device, readings in by_device.items():
                topic = f"citysafe/v1/devices/{device.external_id}/readings"
                self.client.publish(topic, json.dumps({"readings": readings}), qos=1)
            return
        from .ingest import ingest

        messages = [(f"citysafe/v1/devices/{d.external_id}/readings", json.dumps({"readings": r}).encode())
                    for d, r in by_device.items()]
        ingest(messages, "mqtt")

    def backfill(self, hours: float = 12.0) -> None:
        """The storm's past: light rain every 5 minutes for ``hours`` (about 55 mm in 12 h: a blue rainstorm
        level by CMA Order 16), rivers slowly rising, so the live storm then climbs level by level."""
        now = timezone.now()
        steps = int(hours * 12)
        by_device: dict = {d: [] for d in self.devices}
        for k in range(steps, 0, -1):
            at = now - dt.timedelta(minutes=5 * k)
            for device in self.devices:
                batch = readings_at(device, at, 0.15 * (1 - k / steps), self.rng)
                if device.kind == "rain_gauge":
                    for r in batch:
                        r["value"] = round(55.0 / steps * self.rng.uniform(0.8, 1.2), 2)
                by_device[device].extend(batch)
        self._send(by_device)

    def step(self) -> None:
        factor = _storm_factor(time.monotonic() - self.started, self.duration)
        now = timezone.now()
        self._send({d: readings_at(d, now, factor, self.rng) for d in self.devices})

    def run(self, stop_after_s: float | None = None, after_step=None) -> None:
        """Backfill, then a step every STEP_S seconds; ``after_step()`` (e.g. the demo responders) runs after each."""
        self.backfill()
        deadline = time.monotonic() + (stop_after_s or float("inf"))
        while time.monotonic() < deadline:
            time.sleep(STEP_S)
            try:
                self.step()
                if after_step is not None:
                    after_step()
            except Exception:  # keep the demo alive; the failure is in the log
                log.exception("simulator step failed")
