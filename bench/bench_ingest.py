"""End-to-end ingest benchmark on this machine: MQTT publish -> subscriber -> stored -> evaluated.

    python bench/bench_ingest.py [--devices 200] [--rate 2000] [--seconds 10] [--batch-size 500] [--flush-ms 200]

SQLite by default, in a fresh temporary data directory.  PostgreSQL with DATABASE_URL pointing at a database made
for the benchmark (never the test suite's ``test``/``test_test``); its readings are truncated first.  Loopback
broker only (CITYSAFE_MQTT_HOST/PORT, default 127.0.0.1:1883).  Prints the figures; docs/benchmarks.md has the
method and the results.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse


def pct(values, q):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=200)
    parser.add_argument("--rate", type=float, default=2000, help="target readings per second (all devices)")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--flush-ms", type=int, default=200)
    parser.add_argument("--drain-timeout", type=float, default=120)
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", "")
    if url:
        name = urlparse(url).path.lstrip("/")
        if name in {"test", "test_test", ""}:
            print(f"refusing to run against database {name!r}: create a bench database", file=sys.stderr)
            return 2
        if urlparse(url).hostname not in {"127.0.0.1", "localhost", "::1"}:
            print("loopback only", file=sys.stderr)
            return 2
    os.environ.setdefault("CITYSAFE_DATA_DIR", tempfile.mkdtemp(prefix="citysafe-bench-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "citysafe.settings")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    import django

    django.setup()
    import paho.mqtt.client as mqtt
    from django.core.management import call_command
    from django.db import connections
    from paho.mqtt.enums import CallbackAPIVersion

    from citysafe.monitoring import ingest as ingest_mod
    from citysafe.monitoring.models import Device, Reading
    from citysafe.monitoring.mqtt import Subscriber, SubscriberConfig, forget_session
    from citysafe.monitoring.routers import readings_alias

    for db in connections:
        call_command("migrate", database=db, verbosity=0)
    alias = readings_alias()
    vendor = connections[alias].vendor
    Reading.objects.all().delete()
    existing = set(Device.objects.filter(external_id__startswith="BENCH-").values_list("external_id", flat=True))
    Device.objects.bulk_create([Device(external_id=f"BENCH-{i:05d}", name=f"bench {i}", kind="rain_gauge")
                                for i in range(args.devices) if f"BENCH-{i:05d}" not in existing])

    stored_lat: list[float] = []
    eval_lat: list[float] = []
    lock = threading.Lock()
    totals = {"stored": 0, "dead": 0, "dup": 0, "outcomes": 0, "eval_error": None, "first": None, "last": None}

    def sink(messages):
        result = ingest_mod.ingest(messages, "mqtt", evaluate=False)
        t_stored = time.time()
        sent = [json.loads(p)["sent_at"] for _, p in messages]
        outcomes = []
        try:
            outcomes = ingest_mod._evaluate(result.readings)
        except Exception as exc:  # noqa: BLE001 - the engine may not be installed yet
            totals["eval_error"] = f"{type(exc).__name__}: {exc}"
        t_eval = time.time()
        with lock:
            stored_lat.extend(t_stored - s for s in sent)
            if totals["eval_error"] is None:
                eval_lat.extend(t_eval - s for s in sent)
            totals["stored"] += result.stored
            totals["dead"] += result.dead_letters
            totals["dup"] += result.duplicates
            totals["outcomes"] += len(outcomes or [])
            totals["last"] = t_eval
        return result

    tag = uuid.uuid4().hex[:8]
    host = os.environ.get("CITYSAFE_MQTT_HOST", "127.0.0.1")
    port = int(os.environ.get("CITYSAFE_MQTT_PORT", "1883"))
    if host not in {"127.0.0.1", "localhost", "::1"}:
        print("loopback only", file=sys.stderr)
        return 2
    cfg = SubscriberConfig(host=host, port=port, client_id=f"bench-sub-{tag}", shared_group=f"bench{tag}", batch_size=args.batch_size,
                           flush_ms=args.flush_ms, log_every_s=3600)
    sub = Subscriber(cfg, sink=sink).start()
    if not sub.wait_subscribed(10):
        print("subscriber did not subscribe (broker down?)", file=sys.stderr)
        return 1

    pub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-pub-{tag}", protocol=mqtt.MQTTv5)
    pub.max_inflight_messages_set(1000)
    pub.max_queued_messages_set(0)
    pub.connect(cfg.host, cfg.port, keepalive=30)
    pub.loop_start()
    interval = 1.0 / args.rate
    total = int(args.rate * args.seconds)
    start = time.time()
    totals["first"] = start
    infos = []
    for n in range(total):
        due = start + n * interval
        delay = due - time.time()
        if delay > 0:
            time.sleep(delay)
        now = time.time()
        device = f"BENCH-{n % args.devices:05d}"
        payload = json.dumps({"metric": "precipitation_mm", "value": 0.5, "sent_at": now,
                              "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now))
                              + f".{int(now * 1e6) % 1000000:06d}+00:00"})
        infos.append(pub.publish(f"citysafe/v1/devices/{device}/readings", payload, qos=1))
    publish_s = time.time() - start
    for info in infos:
        info.wait_for_publish(timeout=60)
    deadline = time.time() + args.drain_timeout
    while totals["stored"] + totals["dead"] + totals["dup"] < total and time.time() < deadline:
        time.sleep(0.05)
    sub.stop()
    pub.disconnect()
    pub.loop_stop()
    forget_session(cfg.client_id, cfg.host, cfg.port)
    rows = Reading.objects.count()

    elapsed = (totals["last"] or time.time()) - start
    db = "PostgreSQL " + connections[alias].settings_dict["NAME"] if vendor == "postgresql" else "SQLite (WAL)"
    print(f"database: {db}")
    print(f"devices {args.devices}, target {args.rate:.0f} readings/s for {args.seconds:.0f} s "
          f"(published {total} in {publish_s:.1f} s = {total / publish_s:.0f}/s), batch {args.batch_size}, "
          f"flush {args.flush_ms} ms")
    print(f"stored {totals['stored']} (rows {rows}), dead letters {totals['dead']}, duplicates {totals['dup']}, "
          f"batches {sub.stats.batches}")
    print(f"sustained: {totals['stored'] / elapsed:.0f} readings/s (first publish -> last stored+evaluated)")
    print(f"latency publish -> stored:    p50 {pct(stored_lat, 50) * 1000:.0f} ms, "
          f"p99 {pct(stored_lat, 99) * 1000:.0f} ms, max {max(stored_lat, default=0) * 1000:.0f} ms")
    if totals["eval_error"]:
        print(f"evaluation: unavailable ({totals['eval_error'][:120]})")
    else:
        print(f"latency publish -> evaluated: p50 {pct(eval_lat, 50) * 1000:.0f} ms, "
              f"p99 {pct(eval_lat, 99) * 1000:.0f} ms; warning outcomes {totals['outcomes']}")
    if stored_lat:
        print(f"mean publish -> stored {statistics.fmean(stored_lat) * 1000:.0f} ms")
    return 0 if totals["stored"] == total else 1


if __name__ == "__main__":
    sys.exit(main())
