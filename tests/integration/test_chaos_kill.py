"""The chaos suite's worst case, fast: one of two workers SIGKILLed under fork-heavy load loses nothing.

``python -m benchmark.chaos`` runs the full set of faults (benchmark/README.md, "Chaos suite"); this test
keeps the one that loses pipelines most easily: many copies of the 17-node reference pipeline (a
subprocess, a parallel gateway with three branches, an exclusive gateway: forks, joins and schedules in
flight all the time) on two gevent workers, one of them killed with SIGKILL while a quarter of the nodes
are done, a replacement started. The project has no Celery delivery settings of its own
(``no_delivery_settings.py``: as a project configured the way upstream documents it), so the crash
safety must come from the runtime.

Every pipeline must finish and every node must be set FINISHED exactly once (loop 1, no history, one
committed FINISHED transition seen by the workers' finish probe).
"""

import pytest

from tests.integration.env import Worker, wait_until
from tests.integration.helpers import PROBE_IMPORTS, assert_ran_once, start, state_names, wait_finished
from tests.trees import normal_pipeline

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]

QUEUE = "chaos"
COPIES = 30
CONCURRENCY = 50
# States of one finished copy: its 17 nodes and the root pipeline.
STATES_PER_COPY = 18
KILL_AT = 0.25
#: Liveness bound after the kill: the takeover waits for the dead run's lease (10 s in this project),
#: stuck processes are healed within a few lease periods; the load itself takes seconds.
RECOVERY_TIMEOUT = 150.0
WORKER_ENV = dict(PROBE_IMPORTS, DJANGO_SETTINGS_MODULE="tests.integration.no_delivery_settings")


def _finished_states(root_ids):
    from pipeline.eri.models import State

    return State.objects.filter(root_id__in=root_ids, name="FINISHED").count()


def _worker(session, index: int) -> Worker:
    queues = [f"er_execute_{QUEUE}", f"er_schedule_{QUEUE}"]
    return Worker(session, f"chaos-{index}", "gevent", CONCURRENCY, queues, WORKER_ENV)


def test_sigkill_of_one_worker_under_fork_heavy_load_loses_nothing(it_session):
    workers = [_worker(it_session, 1).start(), _worker(it_session, 2).start()]
    try:
        root_ids = [start(normal_pipeline(component_code="debug_node"), queue=QUEUE) for _ in range(COPIES)]
        wait_until(
            lambda: _finished_states(root_ids) >= KILL_AT * COPIES * STATES_PER_COPY,
            120,
            f"{KILL_AT:.0%} of the states to finish",
            interval=0.05,
        )
        workers[0].kill()
        roots_done = list(state_names(root_ids).values()).count("FINISHED")
        assert roots_done < COPIES, "every pipeline ended before the kill: nothing was tested"
        print(f"killed with {_finished_states(root_ids)} states and {roots_done}/{COPIES} pipelines finished")
        workers.append(_worker(it_session, 3).start())
        wait_finished(root_ids, timeout=RECOVERY_TIMEOUT)
        assert assert_ran_once(it_session, root_ids) == COPIES * STATES_PER_COPY
    finally:
        for worker in workers:
            worker.stop()
