"""Start one scenario and wait for it, inside the virtualenv of the implementation under test.

Run as a script (``<venv>/bin/python benchmark/driver.py SCENARIO``) with ``DJANGO_SETTINGS_MODULE`` and
``PYTHONPATH`` pointing at that implementation's Django project; only the public API shared by ours and
upstream is used (``bamboo_engine.api.run_pipeline``, ``BambooDjangoRuntime``, the builder through
``tests/trees.py``, the ``eri`` ``State`` model). Progress goes to stderr; the last stdout line is a JSON
object with the raw measurements, turned into the result line by ``benchmark.cli``.
"""

import argparse
import importlib.util
import json
import math
import os
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import urlparse

import sql_counter
from scenarios import PREPARE, SCENARIOS, Scenario

REPO_ROOT = Path(__file__).resolve().parent.parent
POLL_SECONDS = 0.5


def load_tree_factories() -> Any:
    """``tests/trees.py`` loaded by path: its ``bamboo_engine.builder`` is this venv's (ours or upstream)."""
    spec = importlib.util.spec_from_file_location("bench_trees", REPO_ROOT / "tests" / "trees.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build_trees(scenario: Scenario) -> List[dict]:
    factory = getattr(load_tree_factories(), scenario.factory)
    return [factory(component_code="debug_node", **scenario.factory_kwargs) for _ in range(scenario.copies)]


class QuestionCounter:
    """MariaDB ``Questions`` (statements received from all clients) and ``Com_commit`` (their COMMITs),
    read on a connection of its own."""

    def __init__(self, url: str):
        import pymysql

        parsed = urlparse(url)
        self.connection = pymysql.connect(
            host=parsed.hostname or "127.0.0.1",
            port=parsed.port or 3306,
            user=parsed.username or "root",
            password=parsed.password or "",
        )

    def read(self) -> Tuple[int, int]:
        """``(Questions, Com_commit)``, in one statement."""
        with self.connection.cursor() as cursor:
            cursor.execute("SHOW GLOBAL STATUS WHERE Variable_name IN ('Questions', 'Com_commit')")
            values = {name.lower(): int(value) for name, value in cursor.fetchall()}
        return values["questions"], values["com_commit"]


class OwnQueries:
    """Counts statements sent through one Django connection (an ``execute_wrapper``).

    Used for the driver's polling (subtracted from ``Questions``) and for ``run_pipeline``'s statements.
    """

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def count_publishes() -> Dict[str, int]:
    """Messages this process publishes through Celery (the start messages of ``run_pipeline``)."""
    from celery.signals import after_task_publish

    counts = {"published": 0}

    def published(**_kwargs):
        counts["published"] += 1

    after_task_publish.connect(published, weak=False)
    return counts


def start_pipelines(trees: List[dict]) -> Dict[str, Any]:
    """Start every tree back to back: ``{root id: when its run_pipeline call began}`` (insertion order)."""
    from django.utils import timezone

    from bamboo_engine import api
    from pipeline.eri.runtime import BambooDjangoRuntime

    runtime = BambooDjangoRuntime()
    called_at: Dict[str, Any] = {}
    with sql_counter.resumed():  # of the driver's statements, only run_pipeline's are counted
        for tree in trees:
            called_at[tree["id"]] = timezone.now()
            _start_one(api, runtime, tree)
    return called_at


def _start_one(api: Any, runtime: Any, tree: dict) -> None:
    result = api.run_pipeline(runtime=runtime, pipeline=tree, root_pipeline_data={})
    if not result.result:
        raise RuntimeError(f"run_pipeline({tree['id']}) failed: {result.message}\n{result.exc_trace}")


class Progress:
    """A one-line progress bar on stderr (a line every 10 s when stderr is not a terminal)."""

    def __init__(self, label: str, total: int):
        self.label, self.total = label, max(total, 1)
        self.started = time.perf_counter()
        self.tty = sys.stderr.isatty()
        self.last_line = 0.0

    def show(self, done: int, note: str = "") -> None:
        elapsed = time.perf_counter() - self.started
        if not self.tty and elapsed - self.last_line < 10:
            return
        self.last_line = elapsed
        width = 30
        filled = min(width, int(width * done / self.total))
        bar = "#" * filled + "." * (width - filled)
        text = f"{self.label} [{bar}] {done}/{self.total} nodes {elapsed:6.1f}s {note}"
        sys.stderr.write(("\r" + text) if self.tty else text + "\n")
        sys.stderr.flush()

    def close(self) -> None:
        if self.tty:
            sys.stderr.write("\n")


def _run_states() -> Any:
    """Every state row: the benchmark's database holds one run only (reset truncates it before each).

    Filtering on the table, not on the run's root ids, keeps the polling cheap when thousands of
    pipelines run (an ``IN`` list of 10,000 ids every half second would load the server under test).
    """
    from pipeline.eri.models import State

    return State.objects.all()


def _roots() -> Any:
    from django.db.models import F

    return _run_states().filter(node_id=F("root_id"))


def state_counts() -> Dict[str, int]:
    """``{state name: count}`` over every non-root node of the run, plus ``ROOTS_FINISHED``."""
    from django.db.models import Count, F

    counts = {
        row["name"]: row["n"]
        for row in _run_states().exclude(node_id=F("root_id")).values("name").annotate(n=Count("id"))
    }
    counts["ROOTS_FINISHED"] = _roots().filter(name="FINISHED").count()
    return counts


def wait_finished(scenario: Scenario, roots: int, timeout: float, own: OwnQueries) -> None:
    from django.db import connection

    progress = Progress(scenario.name, scenario.total_nodes)
    deadline = time.perf_counter() + timeout
    try:
        while True:
            with connection.execute_wrapper(own):
                counts = state_counts()
            progress.show(counts.get("FINISHED", 0), f"roots {counts['ROOTS_FINISHED']}/{roots}")
            if counts.get("FAILED"):
                raise RuntimeError(f"{counts['FAILED']} node(s) FAILED; states: {counts}")
            if counts["ROOTS_FINISHED"] == roots:
                return
            if time.perf_counter() > deadline:
                raise TimeoutError(f"{scenario.name} not finished after {timeout:.0f}s; states: {counts}")
            time.sleep(POLL_SECONDS)
    finally:
        progress.close()


def finish_times() -> Dict[str, Any]:
    """When each root pipeline finished, as recorded by the runtime (``archived_time`` of its state)."""
    return dict(_roots().values_list("node_id", "archived_time"))


def executed_nodes() -> int:
    from django.db.models import F

    return _run_states().exclude(node_id=F("root_id")).count()


def percentile(values: List[float], fraction: float) -> float:
    """Nearest-rank percentile (``fraction`` in (0, 1]) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def latencies(called_at: Dict[str, Any], finished_at: Dict[str, Any]) -> List[float]:
    """Per pipeline: seconds from the start of its ``run_pipeline`` call to its root's FINISHED."""
    return [(finished_at[root] - called).total_seconds() for root, called in called_at.items()]


def measure(scenario: Scenario, timeout: float) -> Dict[str, Any]:
    """Run the scenario; its raw figures (the ``Questions`` delta covers exactly the timed span)."""
    trees = build_trees(scenario)
    publishes = count_publishes()
    db_url = os.environ.get("BAMBOO_DB", "")
    questions = QuestionCounter(db_url) if db_url.startswith("mysql") else None
    own = OwnQueries()
    questions_before, com_commit_before = questions.read() if questions else (0, 0)
    started, cpu_started = time.perf_counter(), time.process_time()
    called_at = start_pipelines(trees)
    prepare_s = time.perf_counter() - started
    prepare_cpu_s = time.process_time() - cpu_started
    if scenario.kind != PREPARE:
        wait_finished(scenario, len(called_at), timeout, own)
    polled_s = time.perf_counter() - started
    questions_after, com_commit_after = questions.read() if questions else (0, 0)
    # 1 = the SHOW STATUS that read them (the server counts the statement that reads the counter)
    server_questions = questions_after - questions_before - own.count - 1 if questions else None
    server_com_commit = com_commit_after - com_commit_before if questions else None
    figures = {
        "wall_s": prepare_s,
        "prepare_s": prepare_s,
        "prepare_cpu_s": prepare_cpu_s,  # the starting process's CPU for the run_pipeline calls
        "polled_s": polled_s,
        "nodes": scenario.total_nodes,
        "server_questions": server_questions,
        "server_com_commit": server_com_commit,
        "driver_statements": sql_counter.statements(),
        "driver_commits": sql_counter.commits(),
        "driver_commit_statements": sql_counter.commit_statements(),
        "driver_published": publishes["published"],
        "roots": len(called_at),
    }
    if scenario.kind != PREPARE:
        finished_at = finish_times()
        seconds = latencies(called_at, finished_at)
        first_call = next(iter(called_at.values()))
        figures.update(
            wall_s=(max(finished_at.values()) - first_call).total_seconds(),
            nodes=executed_nodes(),
            latency_p50_s=percentile(seconds, 0.50),
            latency_p99_s=percentile(seconds, 0.99),
            latency_max_s=max(seconds),
        )
    return figures


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", choices=sorted(SCENARIOS))
    parser.add_argument("--timeout", type=float, default=1800.0)
    args = parser.parse_args(argv)

    import django

    sql_counter.install()
    with sql_counter.paused():  # setup and polling are not part of the measurement
        django.setup()
        result = measure(SCENARIOS[args.scenario], args.timeout)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
