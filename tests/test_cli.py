"""The ``citysafe`` command: ``extract`` without a database, ``import_plan``, and ``demo --no-serve``."""

import io
import json
import os
import subprocess
import sys
from importlib import resources
from pathlib import Path

from django.core.management import call_command

from citysafe.workplans.models import WorkPlan

SEED = Path(str(resources.files("citysafe.workplans") / "data" / "chongqing-2026-work-points.txt"))


def _env(data_dir: Path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}}
    env.update(CITYSAFE_DATA_DIR=str(data_dir), **extra)
    return env


def _run(args: list[str], data_dir: Path, cwd: Path, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "citysafe.cli", *args], cwd=cwd, env=_env(data_dir),
                          capture_output=True, text=True, encoding="utf-8", timeout=timeout)


def _databases(*roots: Path) -> list[Path]:
    return [p for root in roots if root.exists() for p in root.rglob("*") if p.suffix in {".sqlite3", ".db"}
            or p.name.endswith((".sqlite3-wal", ".sqlite3-shm"))]


def test_extract_prints_json_without_a_database(tmp_path):
    data_dir, cwd = tmp_path / "data", tmp_path / "cwd"
    data_dir.mkdir()
    cwd.mkdir()
    result = _run(["extract", str(SEED), "--format", "json"], data_dir, cwd)
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    assert len(plan["tasks"]) == 21
    assert len(plan["sections"]) == 6
    assert {k: len(v) for k, v in plan["annex"].items()} == {"kpis": 8, "domains": 24, "platforms": 12}
    assert plan["year"] == 2026
    assert _databases(data_dir, cwd) == []


def test_extract_an_empty_file_exits_2(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    result = _run(["extract", str(empty)], tmp_path / "data", tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("citysafe extract: ")
    assert "empty" in result.stderr
    assert _databases(tmp_path) == []


def test_extract_a_missing_file_exits_2(tmp_path):
    result = _run(["extract", str(tmp_path / "nope.txt")], tmp_path / "data", tmp_path)
    assert result.returncode == 2
    assert "nope.txt" in result.stderr


def test_import_plan_command(reference):
    out = io.StringIO()
    call_command("import_plan", str(SEED), stdout=out, stderr=io.StringIO())
    text = out.getvalue()
    assert "imported:" in text
    assert "counts: sections=6, targets=" in text
    for part in ("task=21", "kpi=8", "domain=24", "platform=12"):
        assert part in text
    assert WorkPlan.objects.count() == 1

    out = io.StringIO()
    call_command("import_plan", str(SEED), stdout=out, stderr=io.StringIO())
    assert "unchanged" in out.getvalue()
    assert "task=21" in out.getvalue()
    assert WorkPlan.objects.count() == 1


def test_demo_prepares_data_and_prints_logins(tmp_path):
    data_dir = tmp_path / "demo"
    result = _run(["demo", "--no-serve", "--data-dir", str(data_dir)], data_dir, tmp_path, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "work plan:" in result.stdout
    for username in ("admin", "yuzhong", "wanzhou", "yingji", "viewer"):
        assert f"user: {username}" in result.stdout
    assert result.stdout.count("password: ") == 6  # one user per role
    assert (data_dir / "citysafe.sqlite3").is_file()
