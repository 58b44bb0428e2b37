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
import os
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Optional
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
    """MariaDB ``Questions`` (statements received from all clients) read on a connection of its own."""

    def __init__(self, url: str):
        import pymysql

        parsed = urlparse(url)
        self.connection = pymysql.connect(
            host=parsed.hostname or "127.0.0.1",
            port=parsed.port or 3306,
            user=parsed.username or "root",
            password=parsed.password or "",
        )

    def read(self) -> int:
        with self.connection.cursor() as cursor:
            cursor.execute("SHOW GLOBAL STATUS LIKE 'Questions'")
            return int(cursor.fetchone()[1])


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


def start_pipelines(trees: List[dict]) -> List[str]:
    from bamboo_engine import api
    from pipeline.eri.runtime import BambooDjangoRuntime

    runtime = BambooDjangoRuntime()
    with sql_counter.resumed():  # of the driver's statements, only run_pipeline's are counted
        return [_start_one(api, runtime, tree) for tree in trees]


def _start_one(api: Any, runtime: Any, tree: dict) -> str:
    result = api.run_pipeline(runtime=runtime, pipeline=tree, root_pipeline_data={})
    if not result.result:
        raise RuntimeError(f"run_pipeline({tree['id']}) failed: {result.message}\n{result.exc_trace}")
    return tree["id"]


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


def state_counts(root_ids: List[str]) -> Dict[str, int]:
    """``{state name: count}`` over every non-root node of the runs, plus ``ROOTS_FINISHED``."""
    from django.db.models import Count

    from pipeline.eri.models import State

    counts = {
        row["name"]: row["n"]
        for row in State.objects.filter(root_id__in=root_ids)
        .exclude(node_id__in=root_ids)
        .values("name")
        .annotate(n=Count("id"))
    }
    counts["ROOTS_FINISHED"] = State.objects.filter(node_id__in=root_ids, name="FINISHED").count()
    return counts


def wait_finished(scenario: Scenario, root_ids: List[str], timeout: float, own: OwnQueries) -> None:
    from django.db import connection

    progress = Progress(scenario.name, scenario.total_nodes)
    deadline = time.perf_counter() + timeout
    try:
        while True:
            with connection.execute_wrapper(own):
                counts = state_counts(root_ids)
            progress.show(counts.get("FINISHED", 0), f"roots {counts['ROOTS_FINISHED']}/{len(root_ids)}")
            if counts.get("FAILED"):
                raise RuntimeError(f"{counts['FAILED']} node(s) FAILED; states: {counts}")
            if counts["ROOTS_FINISHED"] == len(root_ids):
                return
            if time.perf_counter() > deadline:
                raise TimeoutError(f"{scenario.name} not finished after {timeout:.0f}s; states: {counts}")
            time.sleep(POLL_SECONDS)
    finally:
        progress.close()


def finish_time(root_ids: List[str]) -> Optional[Any]:
    """When the last root pipeline finished, as recorded by the runtime (``archived_time``)."""
    from django.db.models import Max

    from pipeline.eri.models import State

    return State.objects.filter(node_id__in=root_ids).aggregate(end=Max("archived_time"))["end"]


def executed_nodes(root_ids: List[str]) -> int:
    from pipeline.eri.models import State

    return State.objects.filter(root_id__in=root_ids).exclude(node_id__in=root_ids).count()


def measure(scenario: Scenario, timeout: float) -> Dict[str, Any]:
    """Run the scenario; its raw figures (the ``Questions`` delta covers exactly the timed span)."""
    from django.utils import timezone

    trees = build_trees(scenario)
    publishes = count_publishes()
    db_url = os.environ.get("BAMBOO_DB", "")
    questions = QuestionCounter(db_url) if db_url.startswith("mysql") else None
    own = OwnQueries()
    questions_before = questions.read() if questions else 0
    started_at, started = timezone.now(), time.perf_counter()
    root_ids = start_pipelines(trees)
    prepare_s = time.perf_counter() - started
    if scenario.kind != PREPARE:
        wait_finished(scenario, root_ids, timeout, own)
    polled_s = time.perf_counter() - started
    # 1 = the SHOW STATUS below (the server counts the statement that reads the counter)
    server_questions = questions.read() - questions_before - own.count - 1 if questions else None
    ended_at = finish_time(root_ids) if scenario.kind != PREPARE else None
    wall_s = (ended_at - started_at).total_seconds() if ended_at else polled_s
    return {
        "wall_s": prepare_s if scenario.kind == PREPARE else wall_s,
        "prepare_s": prepare_s,
        "polled_s": polled_s,
        "nodes": scenario.total_nodes if scenario.kind == PREPARE else executed_nodes(root_ids),
        "server_questions": server_questions,
        "driver_statements": sql_counter.statements(),
        "driver_published": publishes["published"],
        "roots": len(root_ids),
    }


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
