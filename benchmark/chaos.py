"""``python -m benchmark.chaos``: faults injected into real runs, one result line per scenario.

Example: ``python -m benchmark.chaos --scenario kill-one-3s --impl ours --settings both``.
Starts a private MariaDB and RabbitMQ (``benchmark/chaos_services.py``), so that restarting them hurts
no other user of the machine. See benchmark/README.md ("Chaos suite") for what each figure means.
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import List, Optional

from benchmark import upstream_project
from benchmark.chaos_measure import PROBE_TABLES
from benchmark.chaos_run import Run, RunOptions, result_line
from benchmark.chaos_scenarios import DEFAULT_ORDER, SCENARIOS
from benchmark.chaos_services import PrivateServices, connect
from benchmark.chaos_targets import REPO_ROOT, SETTINGS_MODES, ChaosTarget, make_target


def parse_args(argv: Optional[List[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmark.chaos", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scenario", default="all", help=f"comma-separated names or 'all': {', '.join(SCENARIOS)}"
    )
    parser.add_argument("--impl", choices=("ours", "upstream", "both"), default="ours")
    parser.add_argument("--settings", choices=(*SETTINGS_MODES, "both"), default="both")
    parser.add_argument("--copies", type=int, default=50, help="pipelines started together")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=100, help="gevent -c of each worker")
    parser.add_argument("--deadline", type=float, default=180.0, help="seconds after the start; then lost")
    parser.add_argument("--run-dir", default=None, help="worker logs and lost.json (default: a temp dir)")
    parser.add_argument("--db-port", type=int, default=3307, help="port of the suite's own MariaDB")
    parser.add_argument("--amqp-port", type=int, default=5673, help="port of the suite's own RabbitMQ node")
    parser.add_argument(
        "--upstream-python",
        default=None,
        help="interpreter of an existing upstream 4.0.6 virtualenv (default: install .bench-upstream-venv)",
    )
    parser.add_argument("--json", action="store_true", help="also print the raw figures as JSON")
    parser.add_argument("--list", action="store_true", help="list the scenarios and exit")
    args = parser.parse_args(argv)
    args.scenarios = list(DEFAULT_ORDER) if args.scenario == "all" else args.scenario.split(",")
    unknown = [name for name in args.scenarios if name not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario(s) {unknown}; choose from {', '.join(SCENARIOS)} or all")
    return args


def python_of(impl: str, args: argparse.Namespace) -> Path:
    if impl == "ours":
        venv_python = REPO_ROOT / ".venv" / "bin" / "python"
        return venv_python if venv_python.exists() else Path(sys.executable)
    if args.upstream_python:
        return Path(args.upstream_python)
    return upstream_project.ensure_venv()


def prepare(target: ChaosTarget, services: PrivateServices, run_dir: Path) -> None:
    """Database, migrations, probe tables and vhost of one target (once per invocation)."""
    connection = connect(services.db_port)
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE IF NOT EXISTS `{target.database}` CHARACTER SET utf8mb4")
    finally:
        connection.close()
    run_dir.mkdir(parents=True, exist_ok=True)
    with open(run_dir / "migrate.log", "ab") as log:
        subprocess.run(
            [str(target.python), "-m", "django", "migrate", "--noinput", "-v", "0"],
            cwd=target.cwd,
            env=target.env(),
            check=True,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    create_probe_tables(target, services)
    services.rabbitmq.ensure_vhost(target.vhost)


def create_probe_tables(target: ChaosTarget, services: PrivateServices) -> None:
    connection = connect(services.db_port, target.database)
    try:
        with connection.cursor() as cursor:
            for ddl in PROBE_TABLES:
                cursor.execute(ddl)
    finally:
        connection.close()


def targets(args: argparse.Namespace, services: PrivateServices) -> List[ChaosTarget]:
    impls = ["ours", "upstream"] if args.impl == "both" else [args.impl]
    modes = list(SETTINGS_MODES) if args.settings == "both" else [args.settings]
    return [
        make_target(impl, mode, python_of(impl, args), services.mariadb.url, services.rabbitmq.url)
        for impl in impls
        for mode in modes
    ]


def run_all(args: argparse.Namespace, services: PrivateServices, run_dir: Path) -> None:
    options = RunOptions(args.copies, args.workers, args.concurrency, args.deadline)
    for target in targets(args, services):
        prepare(target, services, run_dir / target.label)
        for name in args.scenarios:
            scenario = SCENARIOS[name]
            run = Run(target, scenario, services, options, run_dir / target.label / name)
            try:
                figures = run.execute()
            except Exception as err:  # noqa: BLE001 - one broken run must not hide the others' figures
                context = f"impl={target.impl} settings={target.settings}"
                print(f"scenario={name} {context} error={err!r}", flush=True)
                continue
            print(result_line(target, name, figures), flush=True)
            if figures.get("lost_detail"):
                summary = {key: value for key, value in figures["lost_detail"].items() if key != "processes"}
                print(f"  lost: {json.dumps(summary)}", file=sys.stderr, flush=True)
            if args.json:
                print(
                    json.dumps(
                        {"scenario": name, "impl": target.impl, "settings": target.settings, **figures},
                        default=str,
                    )
                )


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    if args.list:
        for scenario in SCENARIOS.values():
            print(f"{scenario.name:22} {scenario.description}")
        return
    run_dir = Path(args.run_dir or tempfile.mkdtemp(prefix="bamboo-chaos-"))
    run_dir.mkdir(parents=True, exist_ok=True)
    print(f"chaos: run directory {run_dir} (load average {load_average()})", file=sys.stderr, flush=True)
    services = PrivateServices(run_dir / "services", args.db_port, args.amqp_port)
    started = time.monotonic()
    services.start()
    try:
        run_all(args, services, run_dir)
    finally:
        services.stop()
        print(
            f"chaos: done in {time.monotonic() - started:.0f}s (load average {load_average()})",
            file=sys.stderr,
            flush=True,
        )


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "na"


if __name__ == "__main__":
    main()
