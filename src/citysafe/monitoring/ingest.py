"""Validate, store and evaluate sensor readings (MQTT, HTTP batch, CSV).

One entry point, :func:`ingest`, is shared by the MQTT worker (``citysafe ingest``), the HTTP batch endpoint
(``POST /api/v1/readings``) and tests.  Messages are parsed by :func:`parse_message` into valid readings and dead
letters; nothing is dropped silently: every reading that cannot be accepted becomes a ``DeadLetter`` with the raw
payload and the reason (docs/ingest.md lists the reasons).

Storage is idempotent: the primary key (device_id, metric, time) makes a re-delivered reading a no-op, counted as a
duplicate.  Late and out-of-order readings are stored like any other.  After the readings are committed, the newly
stored ones (never the duplicates) are passed, sorted by time, to ``citysafe.early_warning.services.evaluate_readings``.
"""

from __future__ import annotations

import base64
import json
import logging
import math
import re
import threading
from collections.abc import Iterable
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone

from .models import DeadLetter, Device, Reading
from .routers import readings_alias

log = logging.getLogger(__name__)

TOPIC_PREFIX = "citysafe/v1/devices/"
TOPIC_RE = re.compile(r"^citysafe/v1/devices/(?P<device>[^/+#]{1,64})/readings$")
# A reading may be at most this far ahead of the receiving clock (device clocks drift; a reading from the future
# would poison windowed rules).  Override with the setting CITYSAFE_MAX_FUTURE_S.
DEFAULT_MAX_FUTURE_S = 300
MAX_READINGS_PER_MESSAGE = 10_000
# Readings stamped before this are a device whose clock was never set (1970/2000 epochs), not late data.
OLDEST_ACCEPTED = datetime(2010, 1, 1, tzinfo=UTC)
_KEY_CHUNK = 900  # composite keys per lookup query (3 parameters each; well under SQLite's variable limit)
_REASON_MAX = 300  # DeadLetter.reason max_length


@dataclass(frozen=True)
class ParsedReading:
    """A valid reading, ready to store (``time`` aware, UTC)."""

    device_id: int
    device_external_id: str
    metric: str
    time: datetime
    value: float
    quality: int = 0

    @property
    def key(self) -> tuple[int, str, datetime]:
        return (self.device_id, self.metric, self.time)


@dataclass(frozen=True)
class DeadLetterSpec:
    """A message or reading that was refused: raw payload (text, or ``base64:`` for binary) and the reason."""

    topic: str
    device_external_id: str
    payload: str
    reason: str


@dataclass(frozen=True)
class StoredReading:
    """A reading newly stored by :func:`ingest`, as handed to the rule engine (``time`` aware, UTC)."""

    device_id: int
    metric: str
    time: datetime
    value: float


@dataclass
class IngestResult:
    stored: int = 0
    duplicates: int = 0
    dead_letters: int = 0
    readings: list[StoredReading] = field(default_factory=list)
    evaluation: list = field(default_factory=list)  # whatever evaluate_readings returned (e.g. warnings touched)
    evaluation_error: str | None = None  # set when evaluate_readings raised (logged; the readings stay stored)


# --- parsing ------------------------------------------------------------------------------------------------------

def raw_text(payload: bytes | str) -> str:
    """The payload as stored in a dead letter: UTF-8 text when it is text, else ``base64:<...>``."""
    if isinstance(payload, str):
        text = payload
    else:
        try:
            text = bytes(payload).decode("utf-8")
        except UnicodeDecodeError:
            return "base64:" + base64.b64encode(bytes(payload)).decode("ascii")
    if "\x00" in text:  # PostgreSQL text cannot hold NUL
        return "base64:" + base64.b64encode(text.encode("utf-8")).decode("ascii")
    return text


def device_from_topic(topic: str | None) -> str | None:
    """``citysafe/v1/devices/<external_id>/readings`` -> external_id (None for any other topic)."""
    if not topic:
        return None
    match = TOPIC_RE.match(topic)
    return match.group("device") if match else None


def _max_future() -> timedelta:
    return timedelta(seconds=float(getattr(settings, "CITYSAFE_MAX_FUTURE_S", DEFAULT_MAX_FUTURE_S)))


def _parse_time(raw) -> datetime:
    if not isinstance(raw, str) or not raw.strip():
        raise ValueError("missing time" if raw in (None, "") else "time must be an ISO 8601 string")
    try:
        parsed = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise ValueError(f"unparseable time {raw[:40]!r}") from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise ValueError(f"time {raw[:40]!r} has no UTC offset")
    try:
        parsed = parsed.astimezone(UTC)
    except OverflowError:  # e.g. 9999-12-31T23:59:59-23:59 or 0001-01-01T00:00:00+01:00
        raise ValueError(f"time {raw[:40]!r} is out of range") from None
    if parsed < OLDEST_ACCEPTED:
        raise ValueError(f"time {raw[:40]!r} is before {OLDEST_ACCEPTED:%Y-%m-%d} (device clock not set?)")
    return parsed


def _parse_value(raw) -> float:
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        raise ValueError("missing value" if raw is None else f"value is not a number ({type(raw).__name__})")
    try:
        value = float(raw)
    except OverflowError:
        raise ValueError("value is not finite") from None
    if not math.isfinite(value):
        raise ValueError(f"value is {value!r} (NaN or infinite)")
    return value


@dataclass
class _Candidate:
    """One reading object found in a message, before device lookup."""

    topic: str
    external_id: str | None
    label: str  # "" for a single reading, "readings[3]" in a batch
    item: object
    raw: str  # what goes into a dead letter for this reading


def _split(topic: str | None, payload: bytes | str) -> tuple[list[_Candidate], list[DeadLetterSpec]]:
    """Decode one message into reading candidates; message-level problems become dead letters."""
    topic = topic or ""
    topic_device = device_from_topic(topic)
    raw = raw_text(payload)

    def dead(reason: str, device: str | None = None) -> tuple[list, list[DeadLetterSpec]]:
        return [], [DeadLetterSpec(topic, (device or topic_device or "")[:64], raw, reason[:_REASON_MAX])]

    if topic and topic_device is None:
        return dead("topic does not match citysafe/v1/devices/<external_id>/readings")
    try:
        data = json.loads(payload)
    except (ValueError, TypeError):
        return dead("not JSON (binary payload)" if raw.startswith("base64:") else "not JSON")
    except RecursionError:  # absurdly deep nesting: refuse it like any other malformed message
        return dead("JSON nested too deeply")
    if isinstance(data, dict) and "readings" in data:
        items, batch_device = data["readings"], data.get("device")
        if not isinstance(items, list):
            return dead("'readings' is not a list")
    elif isinstance(data, list):
        items, batch_device = data, None
    elif isinstance(data, dict):
        items, batch_device = [data], None
    else:
        return dead(f"not a JSON object or list ({type(data).__name__})")
    if not items:
        return dead("no readings in message")
    if len(items) > MAX_READINGS_PER_MESSAGE:
        return dead(f"more than {MAX_READINGS_PER_MESSAGE} readings in one message")
    single = isinstance(data, dict) and "readings" not in data
    candidates, dead_letters = [], []
    for index, item in enumerate(items):
        label = "" if single else f"readings[{index}]"
        item_raw = raw if single else raw_text(json.dumps(item, ensure_ascii=False, default=str))
        device = None
        if isinstance(item, dict):
            device = item.get("device", batch_device)
        elif batch_device is not None:
            device = batch_device
        if device is not None and not isinstance(device, str):
            device = str(device)
        if topic_device and device and device != topic_device:
            reason = f"device {device!r} in the payload differs from the topic's {topic_device!r}"
            dead_letters.append(DeadLetterSpec(topic, topic_device, item_raw, _label(label, reason)))
            continue
        candidates.append(_Candidate(topic, topic_device or device, label, item, item_raw))
    return candidates, dead_letters


def _label(label: str, reason: str) -> str:
    return (f"{label}: {reason}" if label else reason)[:_REASON_MAX]


def _validate(candidate: _Candidate, devices: dict[str, Device], now: datetime) -> ParsedReading | DeadLetterSpec:
    ext = candidate.external_id

    def dead(reason: str) -> DeadLetterSpec:
        return DeadLetterSpec(candidate.topic, (ext or "")[:64], candidate.raw, _label(candidate.label, reason))

    item = candidate.item
    if not isinstance(item, dict):
        return dead(f"reading is not a JSON object ({type(item).__name__})")
    if not ext:
        return dead("no device (give it in the topic or as \"device\" in the payload)")
    device = devices.get(ext)
    if device is None:
        return dead(f"unknown device {ext[:64]!r}")
    if not device.is_active:
        return dead(f"inactive device {ext!r}")
    metric = item.get("metric")
    if not isinstance(metric, str) or not metric:
        return dead("missing metric")
    spec = device.metrics.get(metric)
    if spec is None:
        return dead(f"unknown metric {metric[:40]!r} for a {device.kind}")
    try:
        when = _parse_time(item.get("time"))
    except ValueError as exc:
        return dead(str(exc))
    if when > now + _max_future():
        return dead(f"time {when.isoformat()} is more than {int(_max_future().total_seconds())} s in the future")
    try:
        value = _parse_value(item.get("value"))
    except ValueError as exc:
        return dead(str(exc))
    unit, low, high = spec
    if not low <= value <= high:
        return dead(f"{metric} {value:g} {unit} out of the physical range [{low:g}, {high:g}]")
    quality = item.get("quality", 0)
    if quality is None:
        quality = 0
    if isinstance(quality, bool) or not isinstance(quality, int) or not 0 <= quality <= 32767:
        return dead("quality must be an integer 0..32767")
    return ParsedReading(device.pk, ext, metric, when, value, quality)


def _load_devices(external_ids: Iterable[str]) -> dict[str, Device]:
    ids = {e for e in external_ids if e}
    if not ids:
        return {}
    qs = Device.objects.filter(external_id__in=ids).only("id", "external_id", "kind", "is_active", "last_seen_at",
                                                         "last_values")
    return {d.external_id: d for d in qs}


def parse_message(topic: str | None, payload: bytes, source: str, *, devices: dict[str, Device] | None = None,
                  now: datetime | None = None) -> tuple[list[ParsedReading], list[DeadLetterSpec]]:
    """Parse one MQTT message or HTTP body into valid readings and dead letters (nothing is written).

    ``source`` ("mqtt", "http", "csv") is accepted for symmetry with :func:`ingest`; validation does not depend on it.
    ``devices`` (external_id -> Device) may be passed to avoid a query per message.
    """
    now = now or timezone.now()
    candidates, dead_letters = _safe_split(topic, payload)
    if devices is None:
        devices = _load_devices(c.external_id for c in candidates)
    readings = []
    for candidate in candidates:
        result = _safe_validate(candidate, devices, now)
        (readings if isinstance(result, ParsedReading) else dead_letters).append(result)
    return readings, dead_letters


def _safe_split(topic, payload):
    """``_split`` that never raises: a poison message (any unexpected error) becomes a dead letter, so one bad
    message can never stall an ingest worker that would otherwise retry it forever."""
    try:
        return _split(topic, payload)
    except Exception as exc:  # noqa: BLE001 - see docstring
        return [], [DeadLetterSpec(topic or "", (device_from_topic(topic) or "")[:64], raw_text(payload),
                                   f"unreadable message ({type(exc).__name__})")]


def _safe_validate(candidate, devices, now):
    try:
        return _validate(candidate, devices, now)
    except Exception as exc:  # noqa: BLE001 - same reason as _safe_split
        return DeadLetterSpec(candidate.topic, (candidate.external_id or "")[:64], candidate.raw,
                              f"{candidate.label + ': ' if candidate.label else ''}unreadable reading "
                              f"({type(exc).__name__})")


# --- PostgreSQL partitions ------------------------------------------------------------------------------------------

_partitions_lock = threading.Lock()
_partitions_done: set[tuple[str, str]] = set()  # (alias, "YYYY-MM") already ensured by this process


def ensure_partitions(months_ahead: int = 2, months_back: int = 1, using: str | None = None) -> int:
    """Create the monthly partitions of ``monitoring_reading`` (UTC months) from ``months_back`` before the current
    month to ``months_ahead`` after it; return how many were created.  PostgreSQL only (0 elsewhere).

    Calls the SQL function ``citysafe_ensure_reading_partitions`` installed by migration 0002, which also moves
    rows of a new month out of the DEFAULT partition.  Safe to call concurrently (advisory lock) and repeatedly.
    """
    alias = using or readings_alias()
    connection = connections[alias]
    if connection.vendor != "postgresql":
        return 0
    with transaction.atomic(using=alias), connection.cursor() as cursor:
        cursor.execute("SELECT citysafe_ensure_reading_partitions(%s, %s)", [months_back, months_ahead])
        return cursor.fetchone()[0]


def ensure_partitions_once(alias: str, now: datetime | None = None) -> None:
    """:func:`ensure_partitions` at most once per process per month (cheap enough to call on every ingest)."""
    if connections[alias].vendor != "postgresql":
        return
    month = (now or timezone.now()).strftime("%Y-%m")
    if (alias, month) in _partitions_done:
        return
    with _partitions_lock:
        if (alias, month) in _partitions_done:
            return
        try:
            ensure_partitions(using=alias)
        except Exception:  # noqa: BLE001 - a missing partition only sends rows to DEFAULT; never block ingest
            log.exception("could not ensure reading partitions; rows go to the DEFAULT partition")
            return
        _partitions_done.add((alias, month))


# --- storing ------------------------------------------------------------------------------------------------------

def _existing_keys(alias: str, keys: list[tuple[int, str, datetime]]) -> set[tuple[int, str, datetime]]:
    found: set = set()
    for start in range(0, len(keys), _KEY_CHUNK):
        chunk = keys[start:start + _KEY_CHUNK]
        found.update(Reading.objects.using(alias).filter(pk__in=chunk).values_list("device_id", "metric", "time"))
    return found


def _insert_postgresql(alias: str, rows: list[ParsedReading], received_at: datetime) -> set[tuple]:
    """INSERT … ON CONFLICT DO NOTHING RETURNING: exactly the rows this call stored, even with concurrent workers."""
    table = connections[alias].ops.quote_name(Reading._meta.db_table)
    sql = (f"INSERT INTO {table} (device_id, metric, time, value, quality, received_at) "
           "SELECT * FROM unnest(%s::bigint[], %s::varchar[], %s::timestamptz[], %s::double precision[], "
           "%s::smallint[], %s::timestamptz[]) ON CONFLICT DO NOTHING RETURNING device_id, metric, time")
    params = ([r.device_id for r in rows], [r.metric for r in rows], [r.time for r in rows],
              [r.value for r in rows], [r.quality for r in rows], [received_at] * len(rows))
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params)
        return {(d, m, t.astimezone(UTC)) for d, m, t in cursor.fetchall()}


def _store(alias: str, rows: list[ParsedReading], received_at: datetime) -> set[tuple]:
    """Store ``rows`` (unique keys) in one transaction; return the keys actually inserted."""
    if not rows:
        return set()
    if connections[alias].vendor == "postgresql":
        with transaction.atomic(using=alias):
            return _insert_postgresql(alias, rows, received_at)
    # SQLite (and others): look up which keys exist, then insert with ignore_conflicts, in one transaction.  On
    # SQLite the transaction is IMMEDIATE (settings), so it holds the write lock from BEGIN and no other writer can
    # insert between the lookup and the insert: the count is exact.
    with transaction.atomic(using=alias):
        existing = _existing_keys(alias, [r.key for r in rows])
        new = [r for r in rows if r.key not in existing]
        Reading.objects.using(alias).bulk_create(
            [Reading(device_id=r.device_id, metric=r.metric, time=r.time, value=r.value, quality=r.quality,
                     received_at=received_at) for r in new],
            batch_size=500, ignore_conflicts=True)
        return {r.key for r in new}


def _update_devices(devices: dict[str, Device], readings: list[ParsedReading]) -> None:
    """Advance ``last_seen_at`` and ``last_values`` (never backwards for late readings); one bulk update."""
    by_id = {d.pk: d for d in devices.values()}
    changed: dict[int, Device] = {}
    for r in readings:
        device = by_id[r.device_id]
        values = device.last_values if isinstance(device.last_values, dict) else {}
        previous = values.get(r.metric)
        prev_time = None
        if isinstance(previous, dict) and previous.get("time"):
            try:
                prev_time = datetime.fromisoformat(previous["time"])
            except (TypeError, ValueError):
                prev_time = None
        if prev_time is None or r.time >= prev_time:
            values[r.metric] = {"value": r.value, "time": r.time.isoformat().replace("+00:00", "Z"),
                                "quality": r.quality}
            device.last_values = values
            changed[device.pk] = device
        if device.last_seen_at is None or r.time > device.last_seen_at:
            device.last_seen_at = r.time
            changed[device.pk] = device
    if changed:
        Device.objects.bulk_update(list(changed.values()), ["last_seen_at", "last_values"], batch_size=500)


def save_dead_letters(specs: list[DeadLetterSpec], source: str, received_at: datetime) -> None:
    if specs:
        DeadLetter.objects.bulk_create([
            DeadLetter(received_at=received_at, source=source, topic=s.topic[:300], device_external_id=s.device_external_id,
                       payload=s.payload, reason=s.reason[:_REASON_MAX]) for s in specs], batch_size=500)


def _evaluate(stored: list[StoredReading]) -> list:
    """Hand newly stored readings to the rule engine.  Skipped while the engine is not installed.

    An error in evaluation is logged and not raised: the readings are committed, and raising would only make the
    MQTT worker re-deliver them, where they would be duplicates and not evaluated again anyway.
    """
    if not stored:
        return []
    try:
        from citysafe.early_warning.services import evaluate_readings
    except ImportError:
        return []
    return evaluate_readings(stored) or []


def ingest(messages: list[tuple[str | None, bytes]], source: str, *, now: datetime | None = None,
           evaluate: bool = True) -> IngestResult:
    """Validate and store ``messages`` ((topic or None, payload) pairs), dead-letter the rest, then evaluate rules.

    Readings are written in one transaction on the readings database; a reading already stored (same device,
    metric, time) is a duplicate and is not stored again nor evaluated again.
    """
    now = now or timezone.now()
    alias = readings_alias()
    ensure_partitions_once(alias, now)
    split = [_safe_split(topic, payload) for topic, payload in messages]
    devices = _load_devices(c.external_id for cands, _ in split for c in cands)
    valid: list[ParsedReading] = []
    dead: list[DeadLetterSpec] = []
    for candidates, dead_letters in split:
        dead.extend(dead_letters)
        for candidate in candidates:
            result = _safe_validate(candidate, devices, now)
            (valid if isinstance(result, ParsedReading) else dead).append(result)

    unique: dict[tuple, ParsedReading] = {}
    for r in valid:
        unique.setdefault(r.key, r)  # the first of in-call duplicates wins
    rows = list(unique.values())
    received_at = timezone.now()
    # One database (PostgreSQL): readings, dead letters and device state commit together.  Two SQLite files:
    # readings first, then the main database (a crash in between leaves last_values one batch behind, no loss).
    with transaction.atomic(using=alias) if alias == DEFAULT_DB_ALIAS else nullcontext():
        inserted = _store(alias, rows, received_at)
        with transaction.atomic():
            save_dead_letters(dead, source, received_at)
            if valid:
                _update_devices(devices, valid)
    stored = sorted((StoredReading(r.device_id, r.metric, r.time, r.value) for r in rows if r.key in inserted),
                    key=lambda s: (s.time, s.device_id, s.metric))
    result = IngestResult(stored=len(stored), duplicates=len(valid) - len(stored), dead_letters=len(dead),
                          readings=stored)
    if evaluate and stored:
        try:
            result.evaluation = _evaluate(stored)
        except Exception as exc:  # noqa: BLE001 - see _evaluate
            log.exception("rule evaluation of %d readings failed", len(stored))
            result.evaluation_error = f"{type(exc).__name__}: {exc}"
    return result
