"""Node timeout / timer event deadlines: scanner throughput and deadline → action delay, per backend.

``python -m benchmark.deadlines [--nodes 10000] [--backend redis|database|both] [--spread 150]
[--interval 1] [--workers N --concurrency C] [--redis redis://127.0.0.1:6379/15]``

Runs on the playground project. Without ``--workers``: a fresh SQLite file (or ``BAMBOO_DB``) and the
embedded worker (``memory://`` broker, 8 threads), the embedded default a project starts with. With
``--workers N``: MariaDB (database ``bamboo_bench_dl``) and RabbitMQ (vhost ``bamboo_bench_dl``) on
loopback, and N ``celery -A playground worker -P gevent -c C`` processes running the fire tasks. For each
backend it prints one line:

* ``scan_deadlines_per_s``: ``--nodes`` deadlines armed and all due, one scanner pass (claims, the
  ``ExpiredNodesRecord`` of each batch, its dispatch message, release) timed alone, no worker running;
* ``dispatch_delay_p50_ms`` / ``_p99_ms``: the same number of deadlines falling due evenly over
  ``--spread`` seconds while the scanner runs every ``--interval`` seconds (the default scan interval is
  1 s): how late after its due time each deadline was dispatched;
* ``action_delay_p50_ms`` / ``_p99_ms``: how late after its due time each timer's action started (the
  firing record's ``fired_at``), the embedded worker running the fire tasks; ``actions_per_s`` is the
  workers' pace over the run.

The nodes are synthetic: a RUNNING state row and a timer event config each (one-shot ``PT1S`` timer whose
action does nothing), so what is measured is the deadline machinery, not the engine. Figures only:
nothing is asserted.
"""

import argparse
import contextlib
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from typing import Dict, List

from benchmark.deadline_action import ACTION

#: Threads of the embedded worker running the fire tasks.
WORKER_THREADS = 8
#: Database and vhost of a run with worker processes.
BENCH_NAME = "bamboo_bench_dl"


def _setup_django(workers: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "playground.settings")
    if workers:
        from benchmark.services import broker_url, db_url, ensure_database, ensure_vhost

        ensure_database(BENCH_NAME)
        ensure_vhost(BENCH_NAME)
        os.environ["BAMBOO_DB"], os.environ["BAMBOO_BROKER"] = db_url(BENCH_NAME), broker_url(BENCH_NAME)
    elif "BAMBOO_DB" not in os.environ and "BAMBOO_SQLITE_PATH" not in os.environ:
        os.environ["BAMBOO_SQLITE_PATH"] = os.path.join(
            tempfile.mkdtemp(prefix="bamboo_bench_dl_"), "db.sqlite3"
        )
    os.environ.setdefault("BAMBOO_LOG_LEVEL", "ERROR")
    os.environ["BAMBOO_CELERY_IMPORTS"] = "benchmark.deadline_action"
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    import benchmark.deadline_action  # noqa: F401 - registers the action in this process


def _percentile(values: List[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def _configure(backend: str, redis_url: str) -> Dict[str, str]:
    """Point this process at ``backend`` under a fresh key prefix; the same as environment variables for
    worker processes (playground/settings.py reads them)."""
    from django.conf import settings

    prefix = f"bench_dl_{uuid.uuid4().hex[:8]}"
    settings.PIPELINE_NODE_TIMER_EVENT_BACKEND = backend
    settings.PIPELINE_NODE_TIMER_EVENT_KEY_PREFIX = f"{prefix}:node_timer_event"
    settings.PIPELINE_NODE_TIMER_EVENT_EXECUTING_POOL = f"{prefix}:node_timer_event:executing_node_pool"
    if backend == "redis" and getattr(settings, "redis_inst", None) is None:
        import redis

        settings.redis_inst = settings.REDIS_INST = redis.Redis.from_url(redis_url)
    return {"BAMBOO_DEADLINE_BACKEND": backend, "BAMBOO_DEADLINE_PREFIX": prefix, "BAMBOO_REDIS": redis_url}


def _start_workers(count: int, concurrency: int, env: Dict[str, str]) -> List[subprocess.Popen]:
    from celery import current_app

    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "playground",
        "worker",
        "-P",
        "gevent",
        "-c",
        str(concurrency),
    ]
    command += ["-Q", "celery", "-l", "ERROR", "--without-gossip", "--without-mingle", "--without-heartbeat"]
    workers = [
        subprocess.Popen(
            [*command, "-n", f"bench-dl-{index}@%h"], env={**os.environ, **env}, stdout=subprocess.DEVNULL
        )
        for index in range(count)
    ]
    deadline = time.monotonic() + 120
    while len(current_app.control.ping(timeout=1.0) or []) < count:
        if time.monotonic() > deadline or any(worker.poll() is not None for worker in workers):
            raise RuntimeError("the benchmark workers did not start")
    current_app.control.purge()
    return workers


def _stop_workers(workers: List[subprocess.Popen]) -> None:
    for worker in workers:
        worker.send_signal(signal.SIGTERM)
    for worker in workers:
        try:
            worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            worker.kill()


def _synthetic_nodes(count: int) -> Dict[str, str]:
    """``count`` RUNNING nodes of one root pipeline, each with a one-shot timer; node id → version."""
    from pipeline.contrib.node_timer_event.models import NodeTimerEventConfig
    from pipeline.contrib.node_timer_event.wiring import root_configs
    from pipeline.eri.models import State

    root_id = f"p{uuid.uuid4().hex}"
    nodes = {f"n{uuid.uuid4().hex}": f"v{uuid.uuid4().hex}" for _ in range(count)}
    events = (
        '[{"index": 1, "action": "%s", "timer_type": "time_duration", "defined": "PT1S", "repetitions": 1}]'
    )
    State.objects.bulk_create(
        [State(node_id=root_id, root_id=root_id, name="RUNNING", version=f"v{uuid.uuid4().hex}")]
        + [
            State(node_id=n, root_id=root_id, parent_id=root_id, name="RUNNING", version=v)
            for n, v in nodes.items()
        ],
        batch_size=1000,
    )
    NodeTimerEventConfig.objects.bulk_create(
        [NodeTimerEventConfig(root_pipeline_id=root_id, node_id=n, events=events % ACTION) for n in nodes],
        batch_size=1000,
    )
    root_configs.clear()
    return nodes


def _arm(nodes: Dict[str, str], first_due: float, spread: float) -> Dict[str, float]:
    """Arm one timer per node, due times evenly spread; member → due."""
    from pipeline.contrib.node_timer_event.adapter import NodeTimerEventAdapter
    from pipeline.contrib.node_timer_event.wiring import timer_pool

    pool, dues = timer_pool(), {}
    step = spread / max(len(nodes) - 1, 1)
    for position, (node_id, version) in enumerate(nodes.items()):
        member = NodeTimerEventAdapter.from_events(node_id, version, "", [{"index": 1}]).get_event_key(
            {"index": 1}
        )
        dues[member] = first_due + position * step
        pool.arm(node_id, [(member, dues[member])])
    return dues


def _drop_queued_messages() -> None:
    from celery import current_app

    current_app.control.purge()


def measure_scan(count: int) -> float:
    """Deadlines per second of one pass over ``count`` due deadlines."""
    from pipeline.contrib.node_timer_event.scanning import timer_scanner

    nodes = _synthetic_nodes(count)
    _arm(nodes, time.time() - 60, 0)
    report = timer_scanner().run_pass()
    _drop_queued_messages()
    if report.dispatched != count:
        raise RuntimeError(f"the pass dispatched {report.dispatched} deadlines, {count} were armed")
    return count / report.seconds


def measure_delays(count: int, spread: float, interval: float, in_process: bool) -> Dict[str, float]:
    """Dispatch and action delays of ``count`` deadlines falling due over ``spread`` seconds.

    ``in_process``: the embedded worker runs the fire tasks (else worker processes already do).
    """
    from pipeline.contrib.node_timer_event.models import TimerEventFiring
    from pipeline.contrib.node_timer_event.scanning import timer_scanner
    from pipeline.eri.embedded import embedded_worker

    nodes = _synthetic_nodes(count)
    members = set(_arm(nodes, time.time() + 2, spread))
    dispatch_delays: List[float] = []
    scanner = timer_scanner()
    stop = threading.Event()

    def record(report) -> None:
        now = time.time()
        dispatch_delays.extend(now - due for due in report.dues)

    thread = threading.Thread(target=scanner.serve, args=(stop, interval), kwargs={"after_pass": record})
    started = time.time()
    with embedded_worker(concurrency=WORKER_THREADS) if in_process else contextlib.nullcontext():
        thread.start()
        deadline = time.monotonic() + spread + 600
        while TimerEventFiring.objects.filter(member__in=list(members)[:1]).count() < 1 or (
            TimerEventFiring.objects.count() < count
        ):
            if time.monotonic() > deadline:
                raise TimeoutError("the deadlines did not all fire within 10 minutes")
            time.sleep(0.5)
        stop.set()
        thread.join()
    rows = list(TimerEventFiring.objects.filter(member__in=members).values_list("due", "fired_at"))
    action_delays = [fired_at.timestamp() - due for due, fired_at in rows]
    last = max(fired_at.timestamp() for _, fired_at in rows)
    return {
        "dispatch_delay_p50_ms": 1000 * statistics.median(dispatch_delays),
        "dispatch_delay_p99_ms": 1000 * _percentile(dispatch_delays, 0.99),
        "action_delay_p50_ms": 1000 * statistics.median(action_delays),
        "action_delay_p99_ms": 1000 * _percentile(action_delays, 0.99),
        "actions_per_s": count / (last - started),
    }


def _reset() -> None:
    from pipeline.contrib.node_timer_event.models import ExpiredNodesRecord, TimerEventFiring
    from pipeline.contrib.node_timer_event.wiring import timer_pool
    from pipeline.eri.models import State

    timer_pool().clear()
    TimerEventFiring.objects.all().delete()
    ExpiredNodesRecord.objects.all().delete()
    State.objects.filter(node_id__startswith="n").delete()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmark.deadlines", description=__doc__.split("\n")[0])
    parser.add_argument("--nodes", type=int, default=10000, help="armed nodes (default 10000)")
    parser.add_argument("--backend", choices=("redis", "database", "both"), default="both")
    parser.add_argument(
        "--spread", type=float, default=150.0, help="seconds over which the deadlines fall due"
    )
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between scanner passes")
    parser.add_argument("--workers", type=int, default=0, help="worker processes (0: the embedded worker)")
    parser.add_argument("--concurrency", type=int, default=50, help="gevent -c of each worker process")
    parser.add_argument("--redis", default=os.environ.get("BAMBOO_REDIS", "redis://127.0.0.1:6379/15"))
    args = parser.parse_args(argv)
    _setup_django(args.workers)
    from django.conf import settings

    database = settings.DATABASES["default"]["NAME"]
    where = f"workers={args.workers}x{args.concurrency}" if args.workers else f"embedded={WORKER_THREADS}"
    for backend in ("redis", "database") if args.backend == "both" else (args.backend,):
        env = _configure(backend, args.redis)
        _reset()  # what an interrupted run may have left
        scan_rate = measure_scan(args.nodes)
        _reset()
        workers = _start_workers(args.workers, args.concurrency, env) if args.workers else []
        try:
            delays = measure_delays(args.nodes, args.spread, args.interval, in_process=not workers)
        finally:
            _stop_workers(workers)
        _reset()
        figures = " ".join(f"{key}={value:.0f}" for key, value in delays.items())
        print(
            f"backend={backend} nodes={args.nodes} db={os.path.basename(str(database))} {where} "
            f"interval_s={args.interval} spread_s={args.spread} scan_deadlines_per_s={scan_rate:.0f} "
            f"{figures}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
