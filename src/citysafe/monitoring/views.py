"""Device pages: the registry with health, and one device's readings on a chart with its thresholds."""

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from citysafe.core.roles import is_municipal

from . import selectors
from .models import METRIC_LABELS, DeadLetter

LEVEL_LABELS = {"blue": "蓝", "yellow": "黄", "orange": "橙", "red": "红"}


@login_required
def device_list(request):
    devices = list(selectors.devices_for(request.user).order_by("kind", "external_id")[:1000])
    silent = sum(d.is_silent for d in devices if d.is_active)
    for device in devices:  # "指标=值" for the table, values only
        device.latest = [(metric, item.get("value") if isinstance(item, dict) else item)
                         for metric, item in (device.last_values or {}).items()]
    dead = DeadLetter.objects.all()
    if not is_municipal(request.user):  # only the rejected messages of the user's own devices
        dead = dead.filter(device_external_id__in=[d.external_id for d in devices])
    return render(request, "monitoring/device_list.html", {"devices": devices, "silent": silent,
                                                           "dead_letters": dead.count()})


def thresholds_for(device, metric: str) -> list[dict]:
    """Horizontal lines for the chart: per-level bounds of threshold rules on this metric, and the station
    levels in the device parameters (警戒/保证/历史最高水位)."""
    from citysafe.early_warning.models import Rule

    lines = []
    for rule in Rule.objects.filter(is_active=True, device_kind=device.kind, metric=metric, rule_type="threshold"):
        levels = (rule.params or {}).get("levels") or {}
        for level, value in levels.items():
            if isinstance(value, (int, float)):
                lines.append({"level": level, "value": value, "label": f"{LEVEL_LABELS.get(level, level)} {value}"})
    names = {"warning_level_m": ("yellow", "警戒"), "guaranteed_level_m": ("orange", "保证"),
             "historic_max_m": ("red", "历史最高")}
    for key, (level, label) in names.items():
        value = (device.params or {}).get(key)
        if isinstance(value, (int, float)):
            lines.append({"level": level, "value": value, "label": f"{label} {value}"})
    return lines


@login_required
def device_detail(request, pk):
    device = get_object_or_404(selectors.devices_for(request.user), pk=pk)
    since = timezone.now() - dt.timedelta(days=int(request.GET.get("days", "7") or 7) if
                                          str(request.GET.get("days", "7")).isdigit() else 7)
    charts = []
    for metric, (unit, _low, _high) in device.metrics.items():
        rows = selectors.readings_of(device, metric, since=since)
        charts.append({"id": f"chart-{metric}", "label": str(METRIC_LABELS.get(metric, metric)), "data": {
            "metric": metric, "unit": unit, "points": [[r["time"].isoformat(), r["value"]] for r in rows],
            "thresholds": thresholds_for(device, metric)}, "count": len(rows)})
    from citysafe.early_warning.selectors import warnings_for

    warnings = warnings_for(request.user).filter(device_id=device.pk)[:20]
    return render(request, "monitoring/device_detail.html", {"device": device, "charts": charts,
                                                             "warnings": warnings})
