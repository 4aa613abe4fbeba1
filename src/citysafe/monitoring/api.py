"""Monitoring API (mounted at the ``/api/v1`` root): batch ingest of readings over HTTP, devices and readings.

``POST /readings`` answers 202 with ``{"stored", "duplicates", "dead_letters"}``.  The body is read raw (not
through a ninja body schema) so that a body which is not JSON, or not ``{"readings": [...]}``, can be kept in the
dead-letter store before answering 400.  A non-municipal caller may only send readings of devices in its scope
(region subtree, or risk points of its organisations); if any device of the batch is outside it — or unknown, so
that the answer does not reveal which devices exist — the whole batch is refused with 403 and nothing is stored.
"""

import datetime as dt
import json

from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Query, Router, Schema, Status

from citysafe.core.roles import can_write, is_municipal

from .ingest import MAX_READINGS_PER_MESSAGE, DeadLetterSpec, ingest, raw_text, save_dead_letters
from .models import Reading
from .selectors import devices_for

router = Router(tags=["monitoring"])

_READING_SCHEMA = {
    "type": "object",
    "required": ["device", "metric", "time", "value"],
    "properties": {
        "device": {"type": "string", "description": "设备编号 (external_id)"},
        "metric": {"type": "string", "example": "precipitation_mm"},
        "time": {"type": "string", "format": "date-time", "description": "ISO 8601 with offset",
                 "example": "2026-07-01T12:00:00+08:00"},
        "value": {"type": "number"},
        "quality": {"type": "integer", "minimum": 0, "default": 0},
    },
}
_BODY_SCHEMA = {
    "type": "object",
    "required": ["readings"],
    "properties": {"readings": {"type": "array", "maxItems": MAX_READINGS_PER_MESSAGE, "items": _READING_SCHEMA}},
}


class IngestOut(Schema):
    stored: int
    duplicates: int
    dead_letters: int


class ErrorOut(Schema):
    detail: str


class DeviceOut(Schema):
    external_id: str
    name: str
    kind: str
    region: str | None = None
    risk_point_id: int | None = None
    lon: float | None = None
    lat: float | None = None
    is_active: bool
    is_silent: bool
    last_seen_at: dt.datetime | None = None
    last_values: dict

    @staticmethod
    def resolve_region(obj):
        return obj.region.adcode if obj.region_id else None


class ReadingOut(Schema):
    metric: str
    time: dt.datetime
    value: float
    quality: int


def _bad_request(request, reason: str):
    save_dead_letters([DeadLetterSpec("", "", raw_text(request.body), reason[:300])], "http", timezone.now())
    return Status(400, {"detail": reason})


@router.post("/readings", response={202: IngestOut, 400: ErrorOut, 403: ErrorOut},
             openapi_extra={"requestBody": {"required": True,
                                            "content": {"application/json": {"schema": _BODY_SCHEMA}}}},
             summary="批量上报监测数据")
def post_readings(request):
    """Store a batch of readings (at most 10,000).  Invalid readings become dead letters; the rest are stored
    (duplicates are ignored and counted) and evaluated by the warning rules."""
    if not can_write(request.user):
        return Status(403, {"detail": "read-only account"})
    try:
        data = json.loads(request.body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return _bad_request(request, "body is not JSON")
    if not isinstance(data, dict) or not isinstance(data.get("readings"), list):
        return _bad_request(request, 'body must be an object {"readings": [...]}')
    items = data["readings"]
    if not items:
        return _bad_request(request, "no readings")
    if len(items) > MAX_READINGS_PER_MESSAGE:
        return _bad_request(request, f"more than {MAX_READINGS_PER_MESSAGE} readings in one call")
    for index, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("device"), str) or not item["device"]:
            return _bad_request(request, f'readings[{index}] is not an object with a "device" string')
    external_ids = {item["device"] for item in items}
    if not is_municipal(request.user):
        allowed = set(devices_for(request.user).filter(external_id__in=external_ids)
                      .values_list("external_id", flat=True))
        refused = sorted(external_ids - allowed)
        if refused:
            shown = ", ".join(refused[:10]) + (" …" if len(refused) > 10 else "")
            return Status(403, {"detail": f"devices not in your scope: {shown}"})
    result = ingest([(None, request.body)], "http")
    return Status(202, {"stored": result.stored, "duplicates": result.duplicates,
                        "dead_letters": result.dead_letters})


@router.get("/devices", response=list[DeviceOut], summary="监测设备")
def list_devices(request, kind: str | None = None, region: str | None = None, active: bool | None = None,
                 limit: int = Query(200, ge=1, le=1000), offset: int = Query(0, ge=0, le=10**9)):
    qs = devices_for(request.user)
    if kind:
        qs = qs.filter(kind=kind)
    if region:
        qs = qs.filter(region__adcode=region)
    if active is not None:
        qs = qs.filter(is_active=active)
    return qs.order_by("external_id")[offset:offset + limit]


@router.get("/devices/{external_id}/readings", response=list[ReadingOut], summary="设备监测数据")
def device_readings(request, external_id: str, metric: str | None = None, since: dt.datetime | None = None,
                    until: dt.datetime | None = None, limit: int = Query(1000, ge=1, le=10000)):
    """Readings of one device in time order: the latest ``limit`` within [since, until]."""
    device = get_object_or_404(devices_for(request.user), external_id=external_id)
    qs = Reading.objects.filter(device_id=device.pk)
    if metric:
        qs = qs.filter(metric=metric)
    if since:
        qs = qs.filter(time__gte=since if timezone.is_aware(since) else timezone.make_aware(since))
    if until:
        qs = qs.filter(time__lte=until if timezone.is_aware(until) else timezone.make_aware(until))
    rows = list(qs.order_by("-time", "metric").values("metric", "time", "value", "quality")[:limit])
    rows.reverse()
    return rows
