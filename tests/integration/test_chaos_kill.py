"""The chaos suite's worst case, fast: workers SIGKILLed under fork-heavy load lose nothing.

``python -m benchmark.chaos`` runs the full set of faults (benchmark/README.md, "Chaos suite"); this test
keeps the one that loses pipelines most easily: 50 copies of the 17-node reference pipeline (a
subprocess, a parallel gateway with three branches, an exclusive gateway: forks, joins and schedules in
flight all the time) on two gevent workers. Up to three times, one of the workers is killed with SIGKILL
and a replacement started. The project has no Celery delivery settings of its own
(``no_delivery_settings.py``: as a project configured the way upstream documents it), so the crash
safety must come from the runtime.

The kills are aimed at the hardest moment: while several processes sit between a finished gateway or
end event and their next step (a fork to send, a branch to take, a subprocess to leave). The workers
pause 0.2 s after every FINISHED transition (``BAMBOO_TEST_PAUSE_AFTER_FINISHED``) to keep that moment
open long enough to be hit.

Every pipeline must finish and every node must be set FINISHED exactly once (loop 1, no history, one
committed FINISHED transition seen by the workers' finish probe).
"""

import pytest

from tests.integration.env import Worker, wait_until
from tests.integration.helpers import PROBE_IMPORTS, assert_ran_once, start, state_names, wait_finished
from tests.trees import normal_pipeline_elements

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]

QUEUE = "chaos"
COPIES = 50
CONCURRENCY = 100
# States of one finished copy: its 17 nodes and the root pipeline.
STATES_PER_COPY = 18
KILLS = 3
#: Processes that must sit right after a finished gateway or end event when a worker is killed.
IN_WINDOW = 4
#: Liveness bound after the last kill: the takeover waits for the dead run's lease (10 s in this project),
#: stuck processes are healed within a few lease periods; the load itself takes seconds.
RECOVERY_TIMEOUT = 150.0
WORKER_ENV = dict(
    PROBE_IMPORTS,
    DJANGO_SETTINGS_MODULE="tests.integration.no_delivery_settings",
    BAMBOO_TEST_PAUSE_AFTER_FINISHED="0.2",
)


def _worker(session, index: int) -> Worker:
    queues = [f"er_execute_{QUEUE}", f"er_schedule_{QUEUE}"]
    return Worker(session, f"chaos-{index}", "gevent", CONCURRENCY, queues, WORKER_ENV)


def _start_copies():
    """Start the copies; returns their root ids and the ids of their gateways and end events."""
    root_ids, window_nodes = [], []
    for _ in range(COPIES):
        elements = normal_pipeline_elements(component_code="debug_node")
        root_ids.append(start(elements.tree, queue=QUEUE))
        window_nodes += [elements.pg.id, elements.eg.id, elements.sub_end.id, elements.end.id]
    return root_ids, window_nodes


def _in_window(root_ids, window_nodes) -> int:
    """Live, awake processes whose current node is a gateway or end event already FINISHED."""
    from pipeline.eri.models import Process, State

    current = Process.objects.filter(
        root_pipeline_id__in=root_ids, dead=False, asleep=False, current_node_id__in=window_nodes
    ).values_list("current_node_id", flat=True)
    return State.objects.filter(node_id__in=list(current), name="FINISHED").count()


def _roots_done(root_ids) -> int:
    return list(state_names(root_ids).values()).count("FINISHED")


def _kill_in_window(session, workers, root_ids, window_nodes) -> bool:
    """SIGKILL the older running worker while processes are in the window, start a replacement.

    Returns False (nothing killed) when every pipeline finished first.
    """
    wait_until(
        lambda: _in_window(root_ids, window_nodes) >= IN_WINDOW or _roots_done(root_ids) == COPIES,
        120,
        f"{IN_WINDOW} processes right after a finished gateway or end event",
        interval=0.02,
    )
    if _roots_done(root_ids) == COPIES:
        return False
    victim = next(worker for worker in workers if worker.running())
    victim.kill()
    print(f"killed {victim.name}: {_roots_done(root_ids)}/{COPIES} pipelines finished")
    workers.append(_worker(session, len(workers) + 1).start())
    return True


def test_sigkills_under_fork_heavy_load_lose_nothing(it_session):
    workers = [_worker(it_session, 1).start(), _worker(it_session, 2).start()]
    try:
        root_ids, window_nodes = _start_copies()
        assert _kill_in_window(it_session, workers, root_ids, window_nodes), "the run ended before a kill"
        for _ in range(KILLS - 1):
            _kill_in_window(it_session, workers, root_ids, window_nodes)
        wait_finished(root_ids, timeout=RECOVERY_TIMEOUT)
        assert assert_ran_once(it_session, root_ids) == COPIES * STATES_PER_COPY
    finally:
        for worker in workers:
            worker.stop()
