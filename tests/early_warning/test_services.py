"""From stored readings to warnings: raise, upgrade, steady, downgrade, clear; one active warning per source."""

import datetime as dt
import json
import threading

import pytest
from django.db import IntegrityError, connections, transaction

from citysafe.core.models import Region
from citysafe.early_warning import services
from citysafe.early_warning.models import EarlyWarning, Rule, WarningStatus
from citysafe.monitoring.ingest import ingest
from citysafe.monitoring.models import Device

pytestmark = pytest.mark.django_db(databases="__all__")
BEIJING = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def rules(reference):
    services.load_default_rules()
    services.reset_rule_cache()
    return Rule.objects.count()


def _device(kind, external_id, **params):
    return Device.objects.create(external_id=external_id, name=f"测试{kind}", kind=kind, params=params,
                                 region=Region.objects.get(adcode="500103"), lon=106.57, lat=29.555)


def _send(device, metric, points):
    """points: [(datetime, value)]; one MQTT-style message per call."""
    readings = [{"metric": metric, "time": t.isoformat(), "value": v} for t, v in points]
    return ingest([(f"citysafe/v1/devices/{device.external_id}/readings", json.dumps({"readings": readings}).encode())],
                  "mqtt")


def _active(device, hazard):
    return EarlyWarning.objects.filter(source_key=f"device:{device.pk}", hazard_type=hazard,
                                       status=WarningStatus.ACTIVE)


def test_default_rules_are_loaded_with_sources(rules):
    assert rules >= 10
    rain = Rule.objects.get(code="rainstorm_cma16")
    assert "16" in rain.source and rain.hazard_type == "rainstorm"


def test_rain_raises_orange_then_clears(rules):
    gauge = _device("rain_gauge", "RG-1")
    start = dt.datetime.now(BEIJING).replace(microsecond=0) - dt.timedelta(hours=20)
    # 50 mm within 3 hours (10 mm every 30 min): CMA Order 16 orange rainstorm level
    _send(gauge, "precipitation_mm", [(start + dt.timedelta(minutes=30 * i), 10.0) for i in range(1, 6)])
    warning = _active(gauge, "rainstorm").get()
    assert warning.level == "orange" and warning.rule.code == "rainstorm_cma16"
    assert [e.kind for e in warning.events.all()] == ["raised"]
    # a steady condition does not re-notify
    _send(gauge, "precipitation_mm", [(start + dt.timedelta(minutes=151), 0.0)])
    assert warning.events.count() == 1
    # 13 dry hours later every window is below 50 mm: the warning clears
    _send(gauge, "precipitation_mm", [(start + dt.timedelta(hours=16), 0.0)])
    warning.refresh_from_db()
    assert warning.status == WarningStatus.CLEARED and warning.ended_at is not None
    assert [e.kind for e in warning.events.all()][-1] == "cleared"


def test_gas_first_level_then_upgrade_and_clear(rules):
    detector = _device("gas_detector", "GAS-1")
    now = dt.datetime.now(BEIJING).replace(microsecond=0) - dt.timedelta(minutes=10)
    _send(detector, "lel_percent", [(now, 25.0)])  # GB/T 50493-2019 first-level alarm set point
    first = _active(detector, "gas_leak").get()
    _send(detector, "lel_percent", [(now + dt.timedelta(minutes=1), 55.0)])  # second level
    first.refresh_from_db()
    assert [e.kind for e in first.events.all()] == ["raised", "upgraded"]
    assert first.level == "red"
    _send(detector, "lel_percent", [(now + dt.timedelta(minutes=2), 1.0)])
    assert not _active(detector, "gas_leak").exists()


def test_out_of_order_batch_gives_the_same_warning(rules):
    gauge = _device("rain_gauge", "RG-2")
    start = dt.datetime.now(BEIJING).replace(microsecond=0) - dt.timedelta(hours=5)
    points = [(start + dt.timedelta(minutes=30 * i), 10.0) for i in range(1, 6)]
    _send(gauge, "precipitation_mm", list(reversed(points)))
    assert _active(gauge, "rainstorm").get().level == "orange"


def test_database_allows_one_active_warning_per_source_and_hazard(reference):
    EarlyWarning.objects.create(source_key="device:1", hazard_type="gas_leak", level="blue", headline="a")
    with pytest.raises(IntegrityError), transaction.atomic():
        EarlyWarning.objects.create(source_key="device:1", hazard_type="gas_leak", level="red", headline="b")
    EarlyWarning.objects.create(source_key="device:1", hazard_type="gas_leak", level="red", headline="c",
                                status=WarningStatus.CLEARED)  # ended ones do not count


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_concurrent_workers_never_duplicate_a_warning(reference):
    services.load_default_rules()
    services.reset_rule_cache()
    detector = _device("gas_detector", "GAS-RACE")
    base = dt.datetime.now(BEIJING).replace(microsecond=0) - dt.timedelta(minutes=30)
    errors = []

    def worker(offset):
        try:
            _send(detector, "lel_percent", [(base + dt.timedelta(seconds=offset + 2 * i), 30.0) for i in range(5)])
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            for conn in connections.all():
                conn.close()

    threads = [threading.Thread(target=worker, args=(k,)) for k in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    assert EarlyWarning.objects.filter(source_key=f"device:{detector.pk}", hazard_type="gas_leak").count() == 1


def test_warning_changes_are_exported_as_valid_cap(rules, django_capture_on_commit_callbacks):
    from citysafe.early_warning.cap import validate
    from citysafe.early_warning.models import CapMessage

    detector = _device("gas_detector", "GAS-CAP")
    now = dt.datetime.now(BEIJING).replace(microsecond=0) - dt.timedelta(minutes=10)
    with django_capture_on_commit_callbacks(execute=True):
        _send(detector, "lel_percent", [(now, 30.0)])
    with django_capture_on_commit_callbacks(execute=True):
        _send(detector, "lel_percent", [(now + dt.timedelta(minutes=1), 60.0)])
    with django_capture_on_commit_callbacks(execute=True):
        _send(detector, "lel_percent", [(now + dt.timedelta(minutes=2), 0.0)])
    messages = list(CapMessage.objects.filter(direction="out").order_by("sent", "pk"))
    assert [m.msg_type for m in messages] == ["Alert", "Update", "Cancel"]
    assert all(validate(m.xml) == [] for m in messages)
    assert messages[0].identifier in messages[2].references
