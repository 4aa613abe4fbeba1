"""The ``citysafe`` command.

``citysafe extract FILE`` parses a document with no database or settings at all.  ``demo``, ``serve`` and ``worker``
run the processes; every other word is a Django management command (``citysafe import-plan FILE`` is
``import_plan``; ``citysafe migrate``, ``citysafe createsuperuser`` … work as with ``manage.py``).
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path


def _django(data_dir: str | None = None) -> None:
    if data_dir:
        os.environ["CITYSAFE_DATA_DIR"] = str(Path(data_dir).resolve())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "citysafe.settings")
    import django

    django.setup()


def cmd_extract(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="citysafe extract", description="Parse a work-points document into JSON "
                                     "(no database is touched).")
    parser.add_argument("file")
    parser.add_argument("--year", type=int, default=None)
    parser.add_argument("--format", choices=["json"], default="json")
    parser.add_argument("--flood-season-deadline", default=os.environ.get("CITYSAFE_FLOOD_SEASON_DEADLINE", "05-31"),
                        help="month-day that 主汛期前 resolves to (default 05-31)")
    args = parser.parse_args(argv)
    from citysafe.workplans.extract import ExtractionError, ExtractOptions, extract_file

    try:
        plan = extract_file(args.file, ExtractOptions(year=args.year,
                                                      flood_season_deadline=args.flood_season_deadline))
    except (ExtractionError, OSError) as exc:
        print(f"citysafe extract: {exc}", file=sys.stderr)
        return 2
    json.dump(plan.to_dict(), sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return 0


def _children_until_interrupted(procs: list[subprocess.Popen]) -> int:
    stop = {"flag": False}

    def handler(signum, frame):
        stop["flag"] = True

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)
    try:
        while not stop["flag"]:
            for proc in procs:
                if proc.poll() is not None:
                    print(f"citysafe: process {proc.args[2:4]} exited with {proc.returncode}", file=sys.stderr)
                    stop["flag"] = True
            time.sleep(0.5)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
    return 0


def _server_cmd(host: str, port: int, workers: int) -> list[str]:
    return [sys.executable, "-m", "gunicorn", "citysafe.wsgi:application", "--bind", f"{host}:{port}",
            "--workers", str(workers), "--threads", "4", "--worker-class", "gthread", "--timeout", "120",
            "--access-logfile", "-"]


def cmd_serve(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="citysafe serve", description="Run the web server (gunicorn).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "citysafe.settings")
    os.execv(sys.executable, _server_cmd(args.host, args.port, args.workers))


def cmd_worker(argv: list[str]) -> int:
    _django()
    from django.core.management import call_command

    call_command("run_huey", *argv)
    return 0


def cmd_demo(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="citysafe demo", description="Set up a demo city on SQLite (reference data, "
                                     "the Chongqing 2026 work plan, demo users and progress) and serve it.")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--data-dir", default=os.environ.get("CITYSAFE_DATA_DIR", "./var"))
    parser.add_argument("--no-serve", action="store_true", help="prepare the data and exit")
    parser.add_argument("--no-simulator", action="store_true", help="do not run the rainstorm simulator")
    args = parser.parse_args(argv)
    _django(args.data_dir)
    from citysafe.demo import prepare_demo

    logins = prepare_demo(stdout=sys.stdout)
    print("\n" + "=" * 72)
    print(f"citysafe demo: http://{args.host}:{args.port}/   (data in {os.environ['CITYSAFE_DATA_DIR']})")
    for login in logins:
        print(f"  {login['role']:<24} user: {login['username']:<14} password: {login['password']}")
    print("=" * 72, flush=True)
    if args.no_serve:
        return 0
    env = dict(os.environ)
    procs = [subprocess.Popen(_server_cmd(args.host, args.port, 2), env=env),
             subprocess.Popen([sys.executable, "-m", "citysafe.cli", "worker"], env=env)]
    from django.conf import settings

    from citysafe.monitoring.simulator import broker_reachable

    mqtt = broker_reachable(settings.CITYSAFE_MQTT_HOST, settings.CITYSAFE_MQTT_PORT)
    if mqtt and not args.no_simulator:
        procs.append(subprocess.Popen([sys.executable, "-m", "citysafe.cli", "ingest", "--client-id",
                                       "citysafe-demo-ingest"], env=env))
    if not args.no_simulator:
        print(f"rainstorm simulator: {'through MQTT' if mqtt else 'in-process (no MQTT broker reachable)'}",
              flush=True)
        procs.append(subprocess.Popen([sys.executable, "-m", "citysafe.cli", "simulate"], env=env))
    return _children_until_interrupted(procs)


def cmd_replay(argv: list[str]) -> int:
    """Readings through the engine with the default profiles: no database, no broker, no settings."""
    from citysafe.early_warning.replay import main as replay_main

    return replay_main(argv)


COMMANDS = {"extract": cmd_extract, "serve": cmd_serve, "worker": cmd_worker, "demo": cmd_demo, "replay": cmd_replay}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in COMMANDS:
        return COMMANDS[argv[0]](argv[1:]) or 0
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "citysafe.settings")
    from django.core.management import execute_from_command_line

    if argv:
        argv[0] = argv[0].replace("-", "_")
    execute_from_command_line(["citysafe", *argv])
    return 0


if __name__ == "__main__":
    sys.exit(main())
