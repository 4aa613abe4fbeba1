"""``citysafe replay``: CSV in, level changes out, no database (pure tests)."""

import json
from pathlib import Path

import pytest

from citysafe.early_warning import replay

FIX = Path(__file__).parent / "fixtures"
READINGS = str(FIX / "replay_readings.csv")
DEVICES = str(FIX / "replay_devices.csv")


def run_jsonl(capsys, *argv):
    code = replay.main(list(argv))
    out, err = capsys.readouterr()
    return code, [json.loads(line) for line in out.splitlines()], err


def test_jsonl_changes(capsys):
    code, lines, _ = run_jsonl(capsys, READINGS, "--devices", DEVICES)
    assert code == 0
    got = [(r["device"], r["time"], r["previous_level"], r["level"]) for r in lines]
    assert got == [
        ("RG-001", "2026-07-01T02:30:00+08:00", "none", "orange"),  # 50 mm in 3 h
        ("RG-001", "2026-07-01T03:30:00+08:00", "orange", "yellow"),  # 00:30 leaves the 3 h window; 6 h = 50
        ("RG-001", "2026-07-01T06:30:00+08:00", "yellow", "blue"),  # 00:30 leaves the 6 h window; 12 h = 50
        ("GD-007", "2026-07-01T09:00:00+08:00", "none", "orange"),  # 25 %LEL: first-level alarm (01:00Z)
        ("GD-007", "2026-07-01T11:00:00+08:00", "orange", "red"),  # 50 %LEL: second-level alarm
        ("WL-Jialing", "2026-07-01T11:00:00+08:00", "none", "blue"),  # 179.75 m, approaching (margin 0.30)
        ("GD-007", "2026-07-01T12:00:00+08:00", "red", "none"),
        ("WL-Jialing", "2026-07-01T12:00:00+08:00", "blue", "yellow"),  # 180.00 warning level
        ("RG-001", "2026-07-01T12:30:00+08:00", "blue", "none"),  # 12 h window drops below 50
        ("WL-Jialing", "2026-07-01T13:00:00+08:00", "yellow", "orange"),  # 183.50 guaranteed level
        ("WL-Jialing", "2026-07-01T14:00:00+08:00", "orange", "red"),  # 186.00 historic maximum
        ("PS-12", "2026-07-01T20:01:00+08:00", "none", "blue"),  # 15.1 cm (15.0 is not waterlogged)
        ("PS-12", "2026-07-01T20:02:00+08:00", "blue", "yellow"),
        ("PS-12", "2026-07-01T20:03:00+08:00", "yellow", "none"),
    ]
    first = lines[0]
    assert set(first) == {"time", "device", "kind", "hazard", "level", "previous_level", "rule", "value"}
    rain = next(r for r in lines if r["device"] == "RG-001")
    assert rain == {"time": "2026-07-01T02:30:00+08:00", "device": "RG-001", "kind": "rain_gauge",
                    "hazard": "rainstorm", "level": "orange", "previous_level": "none", "rule": "rainstorm_cma16",
                    "value": 50.0}


def test_jsonl_is_in_time_order_and_complete(capsys):
    _, lines, _ = run_jsonl(capsys, READINGS, "--devices", DEVICES)
    times = [r["time"] for r in lines]
    assert times == sorted(times, key=replay._parse_time)
    by_device = {}
    for r in lines:
        by_device.setdefault(r["device"], []).append(r["level"])
    assert by_device == {"RG-001": ["orange", "yellow", "blue", "none"], "GD-007": ["orange", "red", "none"],
                         "WL-Jialing": ["blue", "yellow", "orange", "red"], "PS-12": ["blue", "yellow", "none"]}


def test_shuffled_file_gives_the_same_output(capsys):
    _, a, _ = run_jsonl(capsys, READINGS, "--devices", DEVICES)
    _, b, _ = run_jsonl(capsys, str(FIX / "replay_readings_shuffled.csv"), "--devices", DEVICES)
    assert a == b


def test_without_devices_file_stations_raise_nothing(capsys):
    code, lines, _ = run_jsonl(capsys, READINGS)
    assert code == 0 and not [r for r in lines if r["device"] == "WL-Jialing"]


def test_jsonl_into_out_dir(tmp_path, capsys):
    assert replay.main([READINGS, "--devices", DEVICES, "--out", str(tmp_path)]) == 0
    assert len((tmp_path / "changes.jsonl").read_text().splitlines()) == 14


@pytest.mark.parametrize("line, message", [
    ("RG-1,rain_gauge,precipitation_mm,2026-07-01T00:30:00,10", "no UTC offset"),
    ("RG-1,rain_gauge,precipitation_mm,yesterday,10", "bad time"),
    ("RG-1,rain_gauge,precipitation_mm,2026-07-01T00:30:00+08:00,ten", "bad value"),
    ("RG-1,rain_gauge,precipitation_mm,2026-07-01T00:30:00+08:00,nan", "finite"),
    ("RG-1,rain_bucket,precipitation_mm,2026-07-01T00:30:00+08:00,1", "unknown kind"),
    ("RG-1,rain_gauge,precipitation_mm,2026-07-01T00:30:00+08:00", "expected 5 columns"),
    (",rain_gauge,precipitation_mm,2026-07-01T00:30:00+08:00,1", "empty device"),
    ("RG-001,gas_detector,lel_percent,2026-07-01T00:30:00+08:00,1", "was rain_gauge"),
])
def test_bad_rows_exit_2_naming_the_line(tmp_path, capsys, line, message):
    good = "RG-001,rain_gauge,precipitation_mm,2026-07-01T00:00:00+08:00,100\n"
    path = tmp_path / "r.csv"
    path.write_text("device,kind,metric,time,value\n" + good + line + "\n")
    out_dir = tmp_path / "out"
    code = replay.main([str(path), "--out", str(out_dir)])
    out, err = capsys.readouterr()
    assert code == 2
    assert "r.csv:3:" in err and message in err
    assert out == "" and not out_dir.exists()  # nothing half-done


def test_bad_header_and_bad_devices_file(tmp_path, capsys):
    path = tmp_path / "r.csv"
    path.write_text("dev,time,value\n")
    assert replay.main([str(path)]) == 2
    assert "header must be device,kind,metric,time,value" in capsys.readouterr().err
    dev = tmp_path / "d.csv"
    dev.write_text('device,kind,params\nWL-1,water_level_station,"{not json"\n')
    assert replay.main([READINGS, "--devices", str(dev)]) == 2
    assert "d.csv:2: params is not valid JSON" in capsys.readouterr().err
    dev.write_text('device,kind,params\nWL-Jialing,gnss,{}\n')
    assert replay.main([READINGS, "--devices", str(dev)]) == 2
    assert "is gnss in the devices file" in capsys.readouterr().err
    assert replay.main([str(tmp_path / "missing.csv")]) == 2


def test_cap_needs_out(capsys):
    assert replay.main([READINGS, "--format", "cap"]) == 2


def _has_change_to_cap():
    try:
        from citysafe.early_warning.cap import change_to_cap  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.mark.skipif(not _has_change_to_cap(), reason="citysafe.early_warning.cap.change_to_cap not there yet")
def test_cap_writes_one_valid_message_per_change(tmp_path, capsys):
    from citysafe.early_warning import cap

    assert replay.main([READINGS, "--devices", DEVICES, "--format", "cap", "--out", str(tmp_path)]) == 0
    files = sorted(tmp_path.glob("*.xml"))
    assert len(files) == 14
    kinds = []
    for f in files:
        xml = f.read_text(encoding="utf-8")
        assert cap.validate(xml) == [], f.name
        parsed = cap.parse(xml)
        kinds.append(parsed.msg_type)
        assert len(parsed.identifier) == 31
    assert kinds.count("Alert") == 4 and kinds.count("Cancel") == 3
    first = cap.parse(files[0].read_text(encoding="utf-8"))
    assert first.identifier == "50000000000000_20260701020000_0" or first.identifier.endswith("_0")
