"""Ingest: validation, dead letters (nothing lost), idempotent storage, late readings, device state, evaluation."""

import json
from datetime import UTC, datetime

import pytest

from citysafe.monitoring import ingest as ingest_mod
from citysafe.monitoring.ingest import StoredReading, ingest, parse_message
from citysafe.monitoring.models import DeadLetter, Device, Reading

pytestmark = pytest.mark.django_db(databases="__all__")

NOW = datetime(2026, 7, 1, 4, 10, tzinfo=UTC)  # 12:10 in Chongqing
TOPIC = "citysafe/v1/devices/RG-001/readings"


@pytest.fixture
def gauge(reference):
    return Device.objects.create(external_id="RG-001", name="雨量计1", kind="rain_gauge")


@pytest.fixture
def gas(reference):
    return Device.objects.create(external_id="GAS-001", name="燃气探测器", kind="gas_detector")


def msg(**fields):
    reading = {"metric": "precipitation_mm", "time": "2026-07-01T12:00:00+08:00", "value": 2.5, "quality": 0}
    reading.update(fields)
    return json.dumps({k: v for k, v in reading.items() if v is not ...}).encode()


def test_single_reading_is_stored_and_device_updated(gauge):
    result = ingest([(TOPIC, msg())], "mqtt", now=NOW)
    assert (result.stored, result.duplicates, result.dead_letters) == (1, 0, 0)
    row = Reading.objects.get()
    assert (row.device_id, row.metric, row.value, row.quality) == (gauge.pk, "precipitation_mm", 2.5, 0)
    assert row.time == datetime(2026, 7, 1, 4, 0, tzinfo=UTC)
    assert result.readings == [StoredReading(gauge.pk, "precipitation_mm", row.time, 2.5)]
    gauge.refresh_from_db()
    assert gauge.last_seen_at == row.time
    assert gauge.last_values == {"precipitation_mm": {"value": 2.5, "time": "2026-07-01T04:00:00Z", "quality": 0}}


def test_same_message_twice_is_one_row_and_a_duplicate(gauge):
    first = ingest([(TOPIC, msg())], "mqtt", now=NOW)
    again = ingest([(TOPIC, msg()), (TOPIC, msg(value=9.0))], "mqtt", now=NOW)
    assert (first.stored, first.duplicates) == (1, 0)
    assert (again.stored, again.duplicates, again.readings) == (0, 2, [])
    assert Reading.objects.count() == 1 and Reading.objects.get().value == 2.5  # first write wins


def test_batch_list_and_late_out_of_order_readings(gauge):
    batch = {"readings": [{"metric": "precipitation_mm", "time": f"2026-07-01T11:{m:02d}:00+08:00", "value": m / 10}
                          for m in (50, 10, 30)]}
    listed = [{"metric": "precipitation_mm", "time": "2026-06-30T23:00:00Z", "value": 1.0}]  # a day late
    result = ingest([(TOPIC, json.dumps(batch).encode()), (TOPIC, json.dumps(listed).encode())], "mqtt", now=NOW)
    assert (result.stored, result.dead_letters) == (4, 0)
    assert [r.time.minute for r in result.readings] == [0, 10, 30, 50]  # sorted by time for the engine
    assert Reading.objects.count() == 4
    gauge.refresh_from_db()
    assert gauge.last_seen_at == datetime(2026, 7, 1, 3, 50, tzinfo=UTC)
    assert gauge.last_values["precipitation_mm"]["value"] == 5.0
    # an older reading arriving later does not move the device's latest state backwards
    ingest([(TOPIC, msg(time="2026-07-01T10:00:00+08:00", value=7.0))], "mqtt", now=NOW)
    gauge.refresh_from_db()
    assert gauge.last_values["precipitation_mm"]["value"] == 5.0
    assert Reading.objects.count() == 5


def test_device_may_be_given_in_the_payload(gauge):
    result = ingest([(None, msg(device="RG-001"))], "http", now=NOW)
    assert result.stored == 1
    bad = ingest([(TOPIC, msg(device="RG-999", time="2026-07-01T12:01:00+08:00"))], "mqtt", now=NOW)
    assert bad.dead_letters == 1
    assert "differs from the topic" in DeadLetter.objects.get().reason


BAD_MESSAGES = [
    (b"not json {", "not JSON"),
    (b"\xff\xfe\x00binary", "not JSON (binary payload)"),
    (b"42", "not a JSON object or list"),
    (b"[]", "no readings"),
    (msg(metric="water_level_m"), "unknown metric 'water_level_m' for a rain_gauge"),
    (msg(metric=...), "missing metric"),
    (msg(time=...), "missing time"),
    (msg(time="yesterday"), "unparseable time"),
    (msg(time="2026-07-01T12:00:00"), "has no UTC offset"),
    (msg(time=1782878400), "time must be an ISO 8601 string"),
    (msg(time="2026-07-01T12:20:00+08:00"), "s in the future"),
    (msg(value=...), "missing value"),
    (msg(value="2.5"), "value is not a number (str)"),
    (msg(value=True), "value is not a number (bool)"),
    (b'{"metric": "precipitation_mm", "time": "2026-07-01T12:00:00+08:00", "value": NaN}', "NaN or infinite"),
    (b'{"metric": "precipitation_mm", "time": "2026-07-01T12:00:00+08:00", "value": Infinity}', "NaN or infinite"),
    (b'{"metric": "precipitation_mm", "time": "2026-07-01T12:00:00+08:00", "value": 1e400}', "NaN or infinite"),
    (msg(value=-0.1), "out of the physical range [0, 500]"),
    (msg(value=500.1), "out of the physical range"),
    (msg(quality=-1), "quality must be an integer"),
]


@pytest.mark.parametrize(("payload", "reason"), BAD_MESSAGES)
def test_each_bad_message_becomes_a_dead_letter_with_reason_and_raw_payload(gauge, payload, reason):
    result = ingest([(TOPIC, payload)], "mqtt", now=NOW)
    assert (result.stored, result.dead_letters) == (0, 1)
    letter = DeadLetter.objects.get()
    assert reason in letter.reason
    assert (letter.source, letter.topic, letter.device_external_id) == ("mqtt", TOPIC, "RG-001")
    if payload.startswith(b"\xff"):
        import base64

        assert letter.payload == "base64:" + base64.b64encode(payload).decode()
    else:
        assert letter.payload == payload.decode()
    assert Reading.objects.count() == 0


def test_unknown_and_inactive_devices_and_bad_topics(gauge):
    Device.objects.create(external_id="RG-OFF", name="停用", kind="rain_gauge", is_active=False)
    result = ingest([("citysafe/v1/devices/RG-404/readings", msg()),
                     ("citysafe/v1/devices/RG-OFF/readings", msg()),
                     ("some/other/topic", msg()),
                     (None, msg())], "mqtt", now=NOW)
    assert (result.stored, result.dead_letters) == (0, 4)
    reasons = sorted(DeadLetter.objects.values_list("reason", flat=True))
    assert reasons == sorted(["unknown device 'RG-404'", "inactive device 'RG-OFF'",
                              "topic does not match citysafe/v1/devices/<external_id>/readings",
                              'no device (give it in the topic or as "device" in the payload)'])


def test_one_bad_reading_in_a_batch_dead_letters_only_that_reading(gauge):
    batch = {"readings": [{"metric": "precipitation_mm", "time": "2026-07-01T11:00:00+08:00", "value": 1.0},
                          {"metric": "precipitation_mm", "time": "2026-07-01T11:05:00+08:00", "value": 999},
                          {"metric": "precipitation_mm", "time": "2026-07-01T11:10:00+08:00", "value": 2.0}]}
    result = ingest([(TOPIC, json.dumps(batch).encode())], "mqtt", now=NOW)
    assert (result.stored, result.dead_letters) == (2, 1)
    letter = DeadLetter.objects.get()
    assert letter.reason.startswith("readings[1]: precipitation_mm 999 mm out of the physical range")
    assert json.loads(letter.payload)["value"] == 999


def test_max_future_is_a_setting(gauge, settings):
    settings.CITYSAFE_MAX_FUTURE_S = 3600
    assert ingest([(TOPIC, msg(time="2026-07-01T12:50:00+08:00"))], "mqtt", now=NOW).stored == 1


def test_parse_message_writes_nothing(gauge, gas):
    readings, dead = parse_message("citysafe/v1/devices/GAS-001/readings",
                                   b'[{"metric": "lel_percent", "time": "2026-07-01T04:00:00Z", "value": 12},'
                                   b' {"metric": "lel_percent", "time": "2026-07-01T04:00:00Z", "value": 101}]',
                                   "mqtt", now=NOW)
    assert [(r.device_id, r.metric, r.value) for r in readings] == [(gas.pk, "lel_percent", 12.0)]
    assert [d.reason for d in dead] == ["readings[1]: lel_percent 101 %LEL out of the physical range [0, 100]"]
    assert Reading.objects.count() == 0 and DeadLetter.objects.count() == 0


def test_evaluation_gets_only_new_readings_sorted_by_time(gauge, monkeypatch):
    calls = []
    monkeypatch.setattr(ingest_mod, "_evaluate", lambda stored: calls.append(stored) or ["warning"])
    ingest([(TOPIC, msg(time="2026-07-01T11:30:00+08:00"))], "mqtt", now=NOW)
    result = ingest([(TOPIC, msg(time="2026-07-01T11:40:00+08:00")), (TOPIC, msg(time="2026-07-01T11:30:00+08:00")),
                     (TOPIC, msg(time="2026-07-01T11:35:00+08:00"))], "mqtt", now=NOW)
    assert [r.time.minute for r in calls[1]] == [35, 40]  # 11:30 was a duplicate
    assert result.evaluation == ["warning"]
    assert ingest([(TOPIC, msg(time="2026-07-01T11:30:00+08:00"))], "mqtt", now=NOW).stored == 0
    assert len(calls) == 2  # nothing new, nothing to evaluate


def test_an_evaluation_error_is_logged_and_the_readings_stay_stored(gauge, monkeypatch, caplog):
    def boom(stored):
        raise RuntimeError("engine down")

    monkeypatch.setattr(ingest_mod, "_evaluate", boom)
    result = ingest([(TOPIC, msg())], "mqtt", now=NOW)
    assert result.stored == 1 and result.evaluation_error == "RuntimeError: engine down"
    assert Reading.objects.count() == 1
    assert "rule evaluation of 1 readings failed" in caplog.text


def test_evaluation_is_skipped_when_the_engine_is_missing(gauge, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == "citysafe.early_warning.services":
            raise ImportError("not yet")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    assert ingest([(TOPIC, msg())], "mqtt", now=NOW).evaluation == []


def test_partitions_helper_is_a_no_op_off_postgresql(gauge):
    from django.db import connections

    from citysafe.monitoring.routers import readings_alias

    created = ingest_mod.ensure_partitions(months_ahead=2)
    if connections[readings_alias()].vendor == "postgresql":
        assert created >= 0
        with connections[readings_alias()].cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_inherits WHERE inhparent = 'monitoring_reading'::regclass")
            assert cursor.fetchone()[0] >= 4  # DEFAULT + current month ±
    else:
        assert created == 0


@pytest.mark.postgres
def test_postgresql_partitions_route_rows_by_month(gauge):
    from django.db import connections

    from citysafe.monitoring.routers import readings_alias

    conn = connections[readings_alias()]
    if conn.vendor != "postgresql":
        pytest.skip("PostgreSQL only (set DATABASE_URL)")
    old = {"metric": "precipitation_mm", "time": "2020-01-01T00:00:00Z", "value": 1.0}
    ingest([(TOPIC, msg(time=NOW.isoformat())), (TOPIC, json.dumps(old).encode())], "mqtt", now=NOW)
    with conn.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text, time FROM monitoring_reading ORDER BY time")
        where = cursor.fetchall()
    assert where[0][0] == "monitoring_reading_default"
    assert where[1][0] in {"monitoring_reading_p202607", "monitoring_reading_default"}


@pytest.mark.parametrize("_case, payload, reason", [
    ("time overflowing UTC", b'{"metric": "precipitation_mm", "time": "9999-12-31T23:59:59-23:59", "value": 0.1}',
     "out of range"),
    ("year one", b'{"metric": "precipitation_mm", "time": "0001-01-01T00:00:00+01:00", "value": 0.1}', "out of range"),
    ("clock never set", b'{"metric": "precipitation_mm", "time": "1970-01-01T00:00:00+00:00", "value": 0.1}',
     "before 2010"),
    ("deep nesting", b"[" * 100000 + b"]" * 100000, "nested too deeply"),
])
def test_poison_messages_become_dead_letters(_case, payload, reason):
    from citysafe.core.models import Region
    from citysafe.monitoring.ingest import ingest
    from citysafe.monitoring.models import DeadLetter, Device

    Device.objects.create(external_id="POISON-1", name="p", kind="rain_gauge", region=Region.objects.first())
    result = ingest([("citysafe/v1/devices/POISON-1/readings", payload)], "mqtt")
    assert result.stored == 0 and result.dead_letters == 1
    assert reason in DeadLetter.objects.get().reason
