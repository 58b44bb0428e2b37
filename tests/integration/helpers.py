"""Starting pipelines on the Django runtime and polling their states, for the integration tests."""

import time
from collections import Counter
from typing import Dict, Iterable, List, Optional, Sequence

from bamboo_engine import api
from tests.integration.env import Session, wait_until

DEFAULT_TIMEOUT = 120.0
#: Worker environment: load the finish probe (tests.integration.worker_plugins).
PROBE_IMPORTS = {"BAMBOO_CELERY_IMPORTS": "tests.integration.worker_plugins"}


def runtime():
    from pipeline.eri.runtime import BambooDjangoRuntime

    return BambooDjangoRuntime()


def start(tree: dict, queue: str = "", priority: int = 100, data: Optional[dict] = None) -> str:
    """``api.run_pipeline`` on the Django runtime; returns the root pipeline id."""
    result = api.run_pipeline(runtime(), tree, root_pipeline_data=data or {}, queue=queue, priority=priority)
    assert result.result, f"run_pipeline failed: {result.message}\n{result.exc_trace}"
    return tree["id"]


def state_names(node_ids: Iterable[str]) -> Dict[str, str]:
    from pipeline.eri.models import State

    return dict(State.objects.filter(node_id__in=list(node_ids)).values_list("node_id", "name"))


def state_name(node_id: str) -> Optional[str]:
    return state_names([node_id]).get(node_id)


def describe(root_ids: Sequence[str]) -> str:
    """A summary of where the pipelines are: states by name and the failed nodes' errors."""
    from pipeline.eri.models import ExecutionData, State

    rows = list(State.objects.filter(root_id__in=list(root_ids)).values_list("node_id", "name"))
    summary = Counter(name for _, name in rows)
    failed = [node_id for node_id, name in rows if name == "FAILED"][:3]
    errors = {
        node_id: outputs[:300]
        for node_id, outputs in ExecutionData.objects.filter(node_id__in=failed).values_list(
            "node_id", "outputs"
        )
    }
    roots = Counter(state_names(root_ids).values())
    return f"roots: {dict(roots)}; nodes: {dict(summary)}; failed: {errors}"


def wait_for_states(
    node_states: Dict[str, str], timeout: float = DEFAULT_TIMEOUT, fail_fast: Sequence[str] = ()
) -> None:
    """Poll until every node of ``node_states`` has its state; ``fail_fast`` roots abort on FAILED."""

    def reached() -> bool:
        current = state_names(node_states)
        if fail_fast and "FAILED" in state_names(fail_fast).values():
            raise AssertionError(f"a pipeline failed: {describe(fail_fast)}")
        return all(current.get(node_id) == name for node_id, name in node_states.items())

    try:
        wait_until(reached, timeout, f"states {node_states}", interval=0.2)
    except TimeoutError as err:
        raise TimeoutError(f"{err}; now {state_names(node_states)}") from err


def wait_finished(root_ids: Sequence[str], timeout: float = DEFAULT_TIMEOUT) -> float:
    """Poll until every root is FINISHED (fails at once when a node FAILED); returns the seconds waited."""
    from pipeline.eri.models import State

    started = time.monotonic()

    def all_finished() -> bool:
        if State.objects.filter(root_id__in=list(root_ids), name="FAILED").exists():
            raise AssertionError(f"a node failed: {describe(root_ids)}")
        return State.objects.filter(node_id__in=list(root_ids), name="FINISHED").count() == len(root_ids)

    try:
        wait_until(all_finished, timeout, f"{len(root_ids)} pipelines to finish", interval=0.25)
    except TimeoutError as err:
        raise TimeoutError(f"{err}: {describe(root_ids)}") from err
    return time.monotonic() - started


def node_states(root_ids: Sequence[str]) -> List[tuple]:
    """``(node_id, name, loop, retry)`` of every state under the roots (root states included)."""
    from pipeline.eri.models import State

    return list(
        State.objects.filter(root_id__in=list(root_ids)).values_list("node_id", "name", "loop", "retry")
    ) + list(State.objects.filter(node_id__in=list(root_ids)).values_list("node_id", "name", "loop", "retry"))


def assert_ran_once(session: Session, root_ids: Sequence[str]) -> int:
    """Every node under the roots FINISHED exactly once; returns the number of nodes checked.

    Checked three ways: the state row (loop 1, no retry), no execution history (a second run of a node
    archives the first one there), and the workers' finish probe (one committed FINISHED transition).
    """
    from pipeline.eri.models import ExecutionHistory

    states = {node_id: (name, loop, retry) for node_id, name, loop, retry in node_states(root_ids)}
    not_once = {node_id: row for node_id, row in states.items() if row != ("FINISHED", 1, 0)}
    assert not not_once, f"nodes not finished exactly once: {dict(list(not_once.items())[:5])}"
    histories = ExecutionHistory.objects.filter(node_id__in=list(states)).count()
    assert histories == 0, f"{histories} execution histories: some node ran twice"
    marks = session.finished_marks()
    twice = {node_id: marks[node_id] for node_id in states if marks.get(node_id, 0) > 1}
    assert not twice, f"nodes marked FINISHED more than once: {twice}"
    return len(states)
