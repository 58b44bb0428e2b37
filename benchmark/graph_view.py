"""What the engine_admin graph view costs on a big run: the size of its JSON and the server's time.

``python -m benchmark.graph_view [--nodes 1000] [--repeat 5]`` stores a run of ``--nodes`` nodes (ten
parallel branches of debug activities, each with a subprocess; see :func:`wide_tree`) in the playground's
database (a fresh SQLite file unless ``BAMBOO_DB`` is set), gives its nodes the states of a run in
progress (most FINISHED, some retried, one FAILED, the rest not reached), then times, through Django's
test client with a logged-in superuser, the three JSON documents the page asks for:

- ``data`` — structure, layout and states, fetched once when the page opens;
- ``states`` — what the page polls every 2 s while the run is live;
- ``node`` — the side panel of one activity.

It prints one line: sizes in bytes (plain and gzip, as a server with ``GZipMiddleware`` sends them),
median milliseconds over ``--repeat`` calls, and the number of SQL queries of each. The browser's render
time of the same run is measured by ``tests/integration/test_graph_view_browser.py`` (headless Chromium),
which prints it.
"""

import argparse
import gzip
import json
import os
import re
import statistics
import tempfile
import time
from typing import Any, Dict, List, Optional, Tuple

from bamboo_engine.builder import (
    ConvergeGateway,
    EmptyEndEvent,
    EmptyStartEvent,
    ParallelGateway,
    ServiceActivity,
    SubProcess,
    build_tree,
)

BRANCHES = 10
#: Nodes of a run besides its branches: start, the first activity, the parallel and converge gateways, end.
FIXED_NODES = 5
#: Names of branch nodes: ``b<branch>.0``, ``b<branch>.a.<i>``, ``b<branch> subprocess``,
#: ``b<branch>.sub.<i>``, ...
_BRANCH_NODE = re.compile(r"^b(\d+)[. ](.*)$")


def _chain(start: Any, count: int, prefix: str) -> Any:
    current = start
    for index in range(count):
        current = current.extend(ServiceActivity(component_code="debug_node", name=f"{prefix}{index}"))
    return current


def wide_tree(nodes: int = 1000) -> dict:
    """A tree of exactly ``nodes`` nodes (at least 100): ``start → act → pg ⇉ branches ⇉ cg → acts → end``.

    Each of the ten branches is a chain of activities with a subprocess (start, activities, end) in its
    middle; what does not divide evenly becomes activities after the converge gateway.
    """
    if nodes < 100:
        raise ValueError(f"wide_tree needs at least 100 nodes, not {nodes}")
    per_branch = (nodes - FIXED_NODES) // BRANCHES
    sub_acts = per_branch // 3
    branch_acts = per_branch - sub_acts - 3  # the subprocess node and its start and end events
    trailing = nodes - FIXED_NODES - BRANCHES * per_branch
    start = EmptyStartEvent(name="start")
    pg, cg = ParallelGateway(name="fan out"), ConvergeGateway(name="join")
    start.extend(ServiceActivity(component_code="debug_node", name="prepare")).extend(pg)
    branch_ends = []
    for branch in range(BRANCHES):
        sub_start = EmptyStartEvent(name=f"b{branch} sub start")
        _chain(sub_start, sub_acts, f"b{branch}.sub.").extend(EmptyEndEvent(name=f"b{branch} sub end"))
        sub = SubProcess(start=sub_start, name=f"b{branch} subprocess")
        first = ServiceActivity(component_code="debug_node", name=f"b{branch}.0")
        pg.extend(first)
        middle = _chain(first, branch_acts // 2 - 1, f"b{branch}.a.").extend(sub)
        branch_ends.append(_chain(middle, branch_acts - branch_acts // 2, f"b{branch}.b."))
    branch_ends[0].extend(cg)
    for end in branch_ends[1:]:
        end.connect(cg)
    _chain(cg, trailing, "after.").extend(EmptyEndEvent(name="end"))
    return build_tree(start)


def simulate_progress(root_id: str) -> Dict[str, int]:
    """States of a run in progress for the prepared run ``root_id``: eight branches FINISHED (every fifth
    activity retried once), one RUNNING in its subprocess, one FAILED at its first activity."""
    from django.utils import timezone

    from bamboo_engine.utils.string import unique_id
    from pipeline.eri.models import Node, State

    rows = Node.objects.filter(root_pipeline_id=root_id).values_list("node_id", "detail")
    details = {node_id: json.loads(text) for node_id, text in rows}
    now = timezone.now()
    states, counts = [], {"FINISHED": 0, "RUNNING": 0, "FAILED": 0}
    for node_id, detail in details.items():
        state, retry = _progress_of(detail.get("name") or "")
        if state is None:
            continue
        counts[state] += 1
        parent = detail.get("parent_pipeline_id") or root_id
        states.append(
            State(
                node_id=node_id,
                root_id=root_id,
                parent_id=parent,
                name=state,
                version=unique_id("v"),
                retry=retry,
                started_time=now,
                archived_time=None if state == "RUNNING" else now,
            )
        )
    State.objects.filter(root_id=root_id).exclude(node_id=root_id).delete()
    State.objects.bulk_create(states, batch_size=500)
    State.objects.filter(node_id=root_id).update(name="RUNNING")
    return counts


def _progress_of(name: str) -> Tuple[Optional[str], int]:
    """``(state, retry)`` of the node named ``name`` in the simulated progress (None: not reached)."""
    match = _BRANCH_NODE.match(name)
    if match is None:  # start, prepare, fan out, join, after.*, end
        return ("FINISHED", 0) if name in ("start", "prepare", "fan out") else (None, 0)
    branch, rest = int(match.group(1)), match.group(2)
    index = int(rest.rsplit(".", 1)[-1]) if rest[-1].isdigit() else 0
    if branch < BRANCHES - 2:
        return "FINISHED", int(index % 5 == 4)
    if branch == BRANCHES - 1:
        return ("FAILED", 0) if rest == "0" else (None, 0)
    # The branch before last runs its subprocess's sixth activity.
    if rest.startswith("b.") or rest == "sub end":
        return None, 0
    if rest.startswith("sub."):
        return ("FINISHED", 0) if index < 5 else ("RUNNING", 0) if index == 5 else (None, 0)
    return ("RUNNING", 0) if rest == "subprocess" else ("FINISHED", 0)


def prepare_run(nodes: int) -> str:
    """Stores a run of :func:`wide_tree` as ``run_pipeline`` does, without sending its first message (no
    worker must take it), and writes :func:`simulate_progress`; returns the root pipeline id."""
    from bamboo_engine.validator.api import validate_and_process_pipeline
    from pipeline.eri.runtime import BambooDjangoRuntime

    tree = wide_tree(nodes)
    validate_and_process_pipeline(tree, False)
    BambooDjangoRuntime().prepare_run_pipeline(tree, {}, {}, {})
    simulate_progress(tree["id"])
    return tree["id"]


def _timed_get(client: Any, url: str, repeat: int) -> Tuple[bytes, float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    timings: List[float] = []
    body, queries = b"", 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url} answered {response.status_code}: {response.content[:300]!r}")
        body, queries = response.content, len(captured.captured_queries)
    return body, statistics.median(timings), queries


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "playground.settings")
    if "BAMBOO_DB" not in os.environ and "BAMBOO_SQLITE_PATH" not in os.environ:
        os.environ["BAMBOO_SQLITE_PATH"] = os.path.join(
            tempfile.mkdtemp(prefix="bamboo_bench_graph_"), "db.sqlite3"
        )
    os.environ.setdefault("BAMBOO_LOG_LEVEL", "ERROR")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def measure(nodes: int = 1000, repeat: int = 5) -> Dict[str, Any]:
    """Prepares the run and measures the three documents; returns the figures."""
    from django.contrib.auth.models import User
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.urls import reverse

    setup_test_environment()  # lets the test client talk to the playground's URLs ("testserver")
    started = time.perf_counter()
    root_id = prepare_run(nodes)
    prepare_ms = (time.perf_counter() - started) * 1000
    user, _ = User.objects.get_or_create(
        username="graph-bench", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(user)
    from pipeline.eri.models import State

    activity_id = (
        State.objects.filter(root_id=root_id, name="FAILED").values_list("node_id", flat=True).first()
    )
    figures: Dict[str, Any] = {"nodes": nodes, "prepare_ms": round(prepare_ms)}
    for name, url in (
        ("data", reverse("engine_admin:graph_data", kwargs={"root_id": root_id})),
        ("states", reverse("engine_admin:graph_states", kwargs={"root_id": root_id})),
        ("node", reverse("engine_admin:graph_node", kwargs={"root_id": root_id, "node_id": activity_id})),
    ):
        body, median_ms, queries = _timed_get(client, url, repeat)
        figures[f"{name}_bytes"] = len(body)
        figures[f"{name}_gzip_bytes"] = len(gzip.compress(body))
        figures[f"{name}_ms"] = round(median_ms, 1)
        figures[f"{name}_queries"] = queries
    return figures


def main(argv: Any = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    _setup_django()
    figures = measure(args.nodes, args.repeat)
    print("graph_view " + " ".join(f"{key}={value}" for key, value in figures.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
