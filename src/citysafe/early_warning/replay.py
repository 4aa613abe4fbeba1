"""``citysafe replay READINGS.csv [--devices DEVICES.csv] [--format jsonl|cap] [--out DIR]``

Runs the default rule profiles over a CSV of readings with no database, broker or Django: a dry run of the rules
for tuning, demos and regression checks.

READINGS: header ``device,kind,metric,time,value``; ``time`` is ISO 8601 with a UTC offset; ``kind`` picks the
profile.  DEVICES (optional): header ``device,kind,params``; ``params`` is a JSON object (e.g. a water-level
station's ``{"warning_level_m": 180, "guaranteed_level_m": 183.5, "historic_max_m": 186}``).

``--format jsonl`` (default) prints one JSON object per level change (or writes ``changes.jsonl`` into ``--out``);
``--format cap`` writes one CAP 1.2 XML file per level change into ``--out`` (via
``citysafe.early_warning.cap.change_to_cap``).  A bad row stops the run with an error naming the file and line and
exit status 2, before anything is written.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import re
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np

from citysafe.early_warning.engine import DeviceSpec, Engine, ReadingBatch
from citysafe.early_warning.profiles import default_profiles

SHANGHAI = timezone(timedelta(hours=8))
# Device kinds of citysafe.monitoring.models.DeviceKind (copied: this module must not import Django).
KNOWN_KINDS = ("rain_gauge", "water_level_station", "gnss", "crack_meter", "gas_detector", "toxic_gas_detector",
               "ponding_sensor", "elevator_event", "video_ai_event", "weather_station")


class ReplayError(Exception):
    """A bad input file or row; the message names the file and line, and the command exits 2."""


def _open_csv(path: str, header: list[str]):
    try:
        fh = open(path, newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise ReplayError(f"{path}: {exc.strerror or exc}") from None
    reader = csv.reader(fh)
    try:
        first = next(reader)
    except StopIteration:
        fh.close()
        raise ReplayError(f"{path}: empty file (expected header {','.join(header)})") from None
    cols = [c.strip().lower() for c in first]
    if cols[:len(header)] != header:
        fh.close()
        raise ReplayError(f"{path}:1: header must be {','.join(header)} (got {','.join(first)})")
    return fh, reader


EARLIEST_S = 946684800.0  # 2000-01-01T00:00:00Z: readings before it are clock errors, not data
LATEST_S = 4102444800.0  # 2100-01-01T00:00:00Z


def _parse_time(text: str) -> int:
    s = text.strip()
    if s.endswith(("Z", "z")):
        s = s[:-1] + "+00:00"
    dt = datetime.fromisoformat(s)
    if dt.tzinfo is None:
        raise ValueError("time has no UTC offset")
    try:
        stamp = dt.timestamp()
    except (OverflowError, OSError):
        raise ValueError("time out of range") from None
    if not EARLIEST_S <= stamp <= LATEST_S:
        raise ValueError("time outside 2000–2100")
    return int(stamp) if dt.microsecond == 0 else int(math.floor(stamp))


def read_devices(path: str) -> dict[str, tuple[str, dict]]:
    fh, reader = _open_csv(path, ["device", "kind", "params"])
    out: dict[str, tuple[str, dict]] = {}
    with fh:
        for row in reader:
            line = reader.line_num
            if not any(c.strip() for c in row):
                continue
            if len(row) < 3:
                raise ReplayError(f"{path}:{line}: expected 3 columns device,kind,params")
            device, kind, params_text = row[0].strip(), row[1].strip(), ",".join(row[2:]).strip()
            if not device:
                raise ReplayError(f"{path}:{line}: empty device")
            if kind not in KNOWN_KINDS:
                raise ReplayError(f"{path}:{line}: unknown kind {kind!r}")
            try:
                params = json.loads(params_text) if params_text else {}
            except json.JSONDecodeError as exc:
                raise ReplayError(f"{path}:{line}: params is not valid JSON ({exc.msg})") from None
            if not isinstance(params, dict):
                raise ReplayError(f"{path}:{line}: params must be a JSON object")
            if device in out:
                raise ReplayError(f"{path}:{line}: device {device!r} listed twice")
            out[device] = (kind, params)
    return out


def read_readings(path: str, known: dict[str, tuple[str, dict]]):
    fh, reader = _open_csv(path, ["device", "kind", "metric", "time", "value"])
    ids: dict[str, int] = {}
    kinds: dict[str, str] = {}
    dev, met, tim, val = [], [], [], []
    with fh:
        for row in reader:
            line = reader.line_num
            if not any(c.strip() for c in row):
                continue
            if len(row) != 5:
                raise ReplayError(f"{path}:{line}: expected 5 columns device,kind,metric,time,value, got {len(row)}")
            device, kind, metric, time_text, value_text = (c.strip() for c in row)
            if not device:
                raise ReplayError(f"{path}:{line}: empty device")
            if kind not in KNOWN_KINDS:
                raise ReplayError(f"{path}:{line}: unknown kind {kind!r} (one of {', '.join(KNOWN_KINDS)})")
            if device in known and known[device][0] != kind:
                raise ReplayError(f"{path}:{line}: device {device!r} is {known[device][0]} in the devices file, "
                                  f"not {kind}")
            if kinds.setdefault(device, kind) != kind:
                raise ReplayError(f"{path}:{line}: device {device!r} was {kinds[device]} on an earlier line")
            if not re.fullmatch(r"[A-Za-z0-9_]+", metric):
                raise ReplayError(f"{path}:{line}: bad metric {metric!r}")
            try:
                t = _parse_time(time_text)
            except ValueError as exc:
                raise ReplayError(f"{path}:{line}: bad time {time_text!r} ({exc}; use ISO 8601 with an offset, "
                                  "e.g. 2026-07-01T08:00:00+08:00)") from None
            try:
                v = float(value_text)
            except ValueError:
                raise ReplayError(f"{path}:{line}: bad value {value_text!r}") from None
            if not math.isfinite(v):
                raise ReplayError(f"{path}:{line}: value must be a finite number")
            dev.append(ids.setdefault(device, len(ids) + 1))
            met.append(metric)
            tim.append(t)
            val.append(v)
    batch = ReadingBatch.from_arrays(np.asarray(dev, dtype=np.int64), np.asarray(met, dtype=object),
                                     np.asarray(tim, dtype=np.int64), np.asarray(val, dtype=np.float64))
    devices = {i: DeviceSpec(i, name, kinds[name], dict(known.get(name, (None, {}))[1])) for name, i in ids.items()}
    return batch, devices


def iso8601_shanghai(time_s: int) -> str:
    return datetime.fromtimestamp(time_s, SHANGHAI).isoformat()


def run(readings_path: str, devices_path: str | None = None, overrides: dict | None = None) -> list[dict]:
    """Evaluate the default profiles over the files; returns the level changes as jsonl records."""
    known = read_devices(devices_path) if devices_path else {}
    batch, devices = read_readings(readings_path, known)
    engine = Engine(default_profiles(overrides))
    changes, _state = engine.evaluate(batch, devices, {})
    out = []
    order = {code: i for i, code in enumerate(engine.order)}
    changes.sort(key=lambda ch: (ch.time_s, devices[ch.device_id].external_id, order[ch.rule_code]))
    for ch in changes:
        d = devices[ch.device_id]
        out.append({"time": iso8601_shanghai(ch.time_s), "device": d.external_id, "kind": d.kind,
                    "hazard": ch.hazard_type, "level": ch.level, "previous_level": ch.previous_level,
                    "rule": ch.rule_code, "value": ch.value if math.isfinite(ch.value) else None})
    return out


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)[:60] or "x"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="citysafe replay",
                                     description="Run the default warning rules over a CSV of readings "
                                                 "(no database, no broker).")
    parser.add_argument("readings", help="CSV: device,kind,metric,time,value")
    parser.add_argument("--devices", help="CSV: device,kind,params (params = JSON object)")
    parser.add_argument("--format", choices=["jsonl", "cap"], default="jsonl")
    parser.add_argument("--out", help="directory for the output (required for --format cap)")
    args = parser.parse_args(argv)
    prog = "citysafe replay"
    if args.format == "cap" and not args.out:
        print(f"{prog}: --format cap needs --out DIR", file=sys.stderr)
        return 2
    try:
        records = run(args.readings, args.devices)
    except ReplayError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 2
    except UnicodeDecodeError:
        print(f"{prog}: {args.readings}: not a UTF-8 text CSV file", file=sys.stderr)
        return 2
    except (OSError, ValueError, OverflowError) as exc:  # unreadable file, times out of range, …
        print(f"{prog}: {exc}", file=sys.stderr)
        return 2
    if args.format == "jsonl":
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
        if args.out:
            os.makedirs(args.out, exist_ok=True)
            Path(args.out, "changes.jsonl").write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
        return 0
    try:
        from citysafe.early_warning.cap import CapError, change_to_cap
    except ImportError as exc:
        print(f"{prog}: CAP output is not available ({exc})", file=sys.stderr)
        return 1
    try:
        docs = cap_documents(records, change_to_cap)
    except (CapError, ReplayError) as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 2
    os.makedirs(args.out, exist_ok=True)
    for name, xml in docs:
        Path(args.out, name).write_text(xml, encoding="utf-8")
    print(f"{prog}: wrote {len(docs)} CAP message(s) to {args.out}", file=sys.stderr)
    return 0


def cap_documents(records: list[dict], change_to_cap, issuer_code: str | None = None) -> list[tuple[str, str]]:
    """(file name, XML) per change, all built before anything is written.

    The GB/T 35965.1 identifier is issuer_time_N with N = 0..9 per issuer and second, so N counts the changes of
    the same second (more than 10 in one second is an error).  Changes of one (device, rule) form a chain: the
    Alert that raised it is referenced by the Updates and the Cancel that follow (the Cancel ends the chain).
    """
    from citysafe.early_warning.cap import DEFAULT_ISSUER_CODE, change_msg_type, make_identifier, parse_time

    issuer = issuer_code or DEFAULT_ISSUER_CODE
    per_second: dict[str, int] = {}
    chains: dict[tuple[str, str], list[tuple[str, str, str]]] = {}
    docs = []
    for i, rec in enumerate(records):
        seq = per_second.get(rec["time"], 0)
        if seq > 9:
            raise ReplayError(f"more than 10 level changes at {rec['time']}: GB/T 35965.1 identifiers allow "
                              "sequence numbers 0-9 per issuer and second")
        per_second[rec["time"]] = seq + 1
        chain_key = (rec["device"], rec["rule"])
        msg_type = change_msg_type(rec["level"], rec["previous_level"])
        refs = [] if msg_type == "Alert" else list(chains.get(chain_key, []))
        xml = change_to_cap(dict(rec), sequence=seq, issuer_code=issuer, references=refs)
        ident = make_identifier(issuer, parse_time(rec["time"]), seq)
        if msg_type == "Alert":
            chains[chain_key] = [(issuer, ident, rec["time"])]
        elif msg_type == "Cancel":
            chains.pop(chain_key, None)
        else:
            chains.setdefault(chain_key, []).append((issuer, ident, rec["time"]))
        name = f"{i:05d}_{_safe(rec['device'])}_{_safe(rec['rule'])}_{rec['level']}.xml"
        docs.append((name, xml))
    return docs


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
