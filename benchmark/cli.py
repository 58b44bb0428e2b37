"""``python -m benchmark``: run scenarios on ours and/or upstream and print one result line per run.

Example: ``python -m benchmark --scenario 17x100 --impl both --workers 1 --concurrency 100``.
See benchmark/README.md for what each figure means.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from benchmark import services
from benchmark.implementations import BENCH_DIR, IMPLEMENTATIONS, SETTINGS_MODES, Implementation
from benchmark.scenarios import DEFAULT_ORDER, PREPARE, SCENARIOS, Scenario
from benchmark.services import max_connections, raise_max_connections
from benchmark.workers import WorkerPool, combine


def result_line(
    scenario: str, impl: str, settings: str, workers: int, concurrency: int, figures: Dict[str, Any]
) -> str:
    """The machine-readable line (``key=value`` separated by spaces, ``na`` when not measured)."""
    nodes = figures["nodes"] or 1

    def per_node(value: Optional[float]) -> str:
        if value is None:
            return "na"
        # prepare runs issue a handful of statements for thousands of nodes: keep significant digits
        return f"{value / nodes:.2f}" if value >= nodes else f"{value / nodes:.3g}"

    rss = figures.get("peak_rss_mb")
    line = (
        f"scenario={scenario} impl={impl} settings={settings} workers={workers} concurrency={concurrency} "
        f"wall_s={figures['wall_s']:.2f} nodes_per_s={figures['nodes'] / figures['wall_s']:.1f} "
        f"db_queries_per_node={per_node(figures.get('db_queries'))} "
        f"db_commits_per_node={per_node(figures.get('db_commits'))} "
        f"broker_msgs_per_node={per_node(figures.get('broker_msgs'))} "
        f"peak_rss_mb={'na' if not rss else f'{rss:.0f}'} "
        f"worker_cpu_s={figures.get('worker_cpu_s') or 0:.1f} "
        f"worker_db_connects={figures.get('worker_db_connects', 'na')}"
    )
    if "load_1m" in figures:
        line += f" load_1m={figures['load_1m'][0]:.2f}->{figures['load_1m'][1]:.2f}"
    if "latency_p50_s" in figures:
        line += f" latency_p50_s={figures['latency_p50_s']:.2f} latency_p99_s={figures['latency_p99_s']:.2f}"
    if figures.get("peak_rss_mb_per_worker"):
        # ready -> peak of each worker: how much the run made it grow
        pairs = zip(figures["ready_rss_mb_per_worker"], figures["peak_rss_mb_per_worker"], strict=True)
        line += " rss_mb_per_worker=" + ",".join(f"{ready:.0f}->{peak:.0f}" for ready, peak in pairs)
    return line


def run_driver(implementation: Implementation, scenario: Scenario, timeout: float) -> Dict[str, Any]:
    command = [
        str(implementation.python),
        str(BENCH_DIR / "driver.py"),
        scenario.name,
        "--timeout",
        str(timeout),
    ]
    completed = subprocess.run(
        command, cwd=implementation.project_dir, env=implementation.env(), stdout=subprocess.PIPE, text=True
    )
    if completed.returncode != 0:
        raise RuntimeError(f"{implementation.name} driver failed ({completed.returncode}) on {scenario.name}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def run_once(implementation: Implementation, scenario: Scenario, args: argparse.Namespace) -> Dict[str, Any]:
    """Reset, start workers (not for prepare), drive the scenario, stop workers; the merged figures."""
    implementation.reset()
    pool = WorkerPool(implementation, args.workers, args.concurrency, Path(args.run_dir))
    if scenario.kind != PREPARE:
        pool.start()
    idle = services.background(args.background) if args.background > 0 else None
    load_before = os.getloadavg()[0]
    servers_before, busy_before, started = (
        services.server_cpu_seconds(),
        services.machine_busy_seconds(),
        time.perf_counter(),
    )
    try:
        figures = run_driver(implementation, scenario, args.timeout)
        # the driver's timed span plus its set-up (building the trees): other clients of a shared server too
        servers_after = services.server_cpu_seconds()
        figures["server_cpu_s"] = {name: servers_after[name] - servers_before[name] for name in servers_after}
        figures["machine_busy_cores"] = (services.machine_busy_seconds() - busy_before) / (
            time.perf_counter() - started
        )
        figures["load_1m"] = [load_before, os.getloadavg()[0]]
        if idle:
            figures["background"] = idle
    finally:
        worker_stats = combine(pool.stop())
        if scenario.kind == PREPARE:
            implementation.reset()
    figures["worker_published"] = worker_stats["published"]
    figures["worker_consumed"] = worker_stats["consumed"]
    figures["broker_msgs"] = figures["driver_published"] + worker_stats["published"]
    figures["peak_rss_mb"] = worker_stats["peak_rss_mb"]
    figures["peak_rss_mb_per_worker"] = worker_stats["peak_rss_mb_per_worker"]
    figures["ready_rss_mb_per_worker"] = worker_stats["ready_rss_mb_per_worker"]
    figures["worker_cpu_s"] = worker_stats["cpu_s"]
    figures["worker_db_connects"] = worker_stats["connects"]
    figures["db_queries"] = figures["driver_statements"] + worker_stats["statements"]
    figures["db_commits"] = figures["driver_commits"] + worker_stats["commits"]
    # the COMMITs alone, next to the server's Com_commit delta (server_com_commit) for cross-checking
    figures["db_commit_statements"] = figures["driver_commit_statements"] + worker_stats["commit_statements"]
    figures["worker_errors"] = pool.error_count() if scenario.kind != PREPARE else 0
    if figures["worker_errors"]:
        print(
            f"warning: {figures['worker_errors']} traceback(s) in the worker logs of {args.run_dir}",
            file=sys.stderr,
        )
    return figures


def check_connections(args: argparse.Namespace) -> None:
    """Each gevent greenlet holds its own DB connection: make room before MariaDB refuses them mid-run.

    Other clients share the server, so we keep a margin of 200 above our own worst case. PostgreSQL's
    ``max_connections`` only changes with a server restart: there we say when upstream (a connection per
    busy greenlet; ours takes them from a pool of ``BAMBOO_DB_POOL_SIZE``) may run out of them.
    """
    if services.on_postgres():
        limit = max_connections()
        if args.impl != "ours" and args.workers * args.concurrency + 5 > limit:
            print(
                f"note: PostgreSQL max_connections={limit}: upstream's {args.workers}x{args.concurrency} "
                "greenlets may be refused connections",
                file=sys.stderr,
            )
        return
    needed = args.workers * args.concurrency + 200
    if needed > max_connections():
        raise_max_connections(needed)
        print(f"note: raised MariaDB max_connections to {needed}", file=sys.stderr)


def parse_args(argv: Optional[List[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmark", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scenario", default="17x100", help=f"comma-separated names from {', '.join(SCENARIOS)}, or 'all'"
    )
    parser.add_argument("--impl", choices=("ours", "upstream", "both"), default="ours")
    parser.add_argument(
        "--settings",
        choices=(*SETTINGS_MODES, "both"),
        default="playground",
        help="project settings: playground (tuned, default), upstream-style (as upstream documents a "
        "project: Django's MySQL backend on mysqlclient, no delivery settings) or both",
    )
    parser.add_argument("--workers", type=int, default=1, help="worker processes")
    parser.add_argument("--concurrency", type=int, default=100, help="gevent -c of each worker process")
    parser.add_argument("--repeat", type=int, default=1, help="runs per scenario and implementation")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds before a run is abandoned")
    parser.add_argument("--run-dir", default=None, help="where worker logs/counters go (default: a temp dir)")
    parser.add_argument("--json", action="store_true", help="also print the raw figures as JSON")
    parser.add_argument(
        "--background",
        type=float,
        default=0.0,
        help="seconds to sample the machine's busy cores and the servers' idle CPU before each run (--json)",
    )
    parser.add_argument(
        "--driver-tls",
        choices=("off", "preferred"),
        default="off",
        help="PyMySQL's TLS attempt on both sides: off (ssl_disabled, default) or the driver's default",
    )
    parser.add_argument(
        "--db",
        choices=("mariadb", "postgres"),
        default="mariadb",
        help="database server of both implementations: MariaDB (PyMySQL) or PostgreSQL (psycopg 3)",
    )
    parser.add_argument("--smoke", action="store_true", help="tiny in-memory run (no servers), for tox")
    args = parser.parse_args(argv)
    args.scenarios = list(DEFAULT_ORDER) if args.scenario == "all" else args.scenario.split(",")
    unknown = [name for name in args.scenarios if name not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario(s) {unknown}; choose from {', '.join(SCENARIOS)} or all")
    return args


def implementations(args: argparse.Namespace) -> List[str]:
    return ["upstream", "ours"] if args.impl == "both" else [args.impl]


def settings_modes(args: argparse.Namespace) -> List[str]:
    return list(SETTINGS_MODES) if args.settings == "both" else [args.settings]


Prepared = Dict[Tuple[str, str], Implementation]


def run_scenario(scenario: Scenario, prepared: Prepared, args: argparse.Namespace) -> None:
    """One scenario: per settings mode, every selected implementation (``--repeat`` times), then the
    ratio. The two runs a ratio compares follow each other."""
    for settings in settings_modes(args):
        run_settings(scenario, settings, prepared, args)


def run_settings(scenario: Scenario, settings: str, prepared: Prepared, args: argparse.Namespace) -> None:
    workers, concurrency = (0, 0) if scenario.kind == PREPARE else (args.workers, args.concurrency)
    walls: Dict[str, List[float]] = {}
    for impl_name in implementations(args):
        key = (impl_name, settings)
        if key not in prepared:
            prepared[key] = IMPLEMENTATIONS[impl_name](settings)
            prepared[key].setup()
        for _ in range(args.repeat):
            figures = run_once(prepared[key], scenario, args)
            print(result_line(scenario.name, impl_name, settings, workers, concurrency, figures), flush=True)
            if args.json:
                record = {"scenario": scenario.name, "impl": impl_name, "settings": settings, **figures}
                print(json.dumps(record), flush=True)
            walls.setdefault(impl_name, []).append(figures["wall_s"])
    print_ratio(scenario.name, settings, walls)


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    os.environ["BAMBOO_BENCH_DRIVER_TLS"] = args.driver_tls  # read by services.db_url
    os.environ["BAMBOO_BENCH_DB"] = args.db  # read by services
    if args.smoke:
        from benchmark.smoke import run_smoke

        print(run_smoke())
        return
    args.run_dir = args.run_dir or tempfile.mkdtemp(prefix="bamboo-bench-")
    Path(args.run_dir).mkdir(parents=True, exist_ok=True)
    check_connections(args)
    prepared: Prepared = {}
    for scenario_name in args.scenarios:
        run_scenario(SCENARIOS[scenario_name], prepared, args)


def ratio_line(scenario_name: str, settings: str, walls: Dict[str, List[float]]) -> Optional[str]:
    """``upstream wall / ours wall`` (means over repeats): above 1 means ours is faster."""
    if "ours" not in walls or "upstream" not in walls:
        return None
    ours = sum(walls["ours"]) / len(walls["ours"])
    upstream = sum(walls["upstream"]) / len(walls["upstream"])
    return (
        f"scenario={scenario_name} settings={settings} ratio_upstream_over_ours={upstream / ours:.2f} "
        f"upstream_wall_s={upstream:.2f} ours_wall_s={ours:.2f}"
    )


def print_ratio(scenario_name: str, settings: str, walls: Dict[str, List[float]]) -> None:
    line = ratio_line(scenario_name, settings, walls)
    if line:
        print(line, flush=True)
