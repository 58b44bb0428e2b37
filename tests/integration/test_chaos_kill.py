"""The chaos suite's worst case, fast: one of two workers SIGKILLed under fork-heavy load loses nothing.

``python -m benchmark.chaos`` runs the full set of faults (benchmark/README.md, "Chaos suite"); this test
keeps the one that loses pipelines most easily: many copies of the 17-node reference pipeline (a
subprocess, a parallel gateway with three branches, an exclusive gateway: forks, joins and schedules in
flight all the time) on two gevent workers; up to three times during the run (at 20, 45 and 70 % of
the nodes, while pipelines are still running) one of the workers is killed with SIGKILL and a
replacement started. The project has no Celery delivery settings of its own (``no_delivery_settings.py``:
as a project configured the way upstream documents it), so the crash safety must come from the runtime.
The workers pause 0.2 s after every FINISHED transition (``BAMBOO_TEST_PAUSE_AFTER_FINISHED``): a kill
then often lands between a node's FINISHED and the next step of its process (after a gateway forked or
chose its branch, after an end event), the moment a takeover cannot simply replay.

Every pipeline must finish and every node must be set FINISHED exactly once (loop 1, no history, one
committed FINISHED transition seen by the workers' finish probe).
"""

import pytest

from tests.integration.env import Worker, wait_until
from tests.integration.helpers import PROBE_IMPORTS, assert_ran_once, start, state_names, wait_finished
from tests.trees import normal_pipeline

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]

QUEUE = "chaos"
COPIES = 50
CONCURRENCY = 100
# States of one finished copy: its 17 nodes and the root pipeline.
STATES_PER_COPY = 18
KILL_AT = (0.2, 0.45, 0.7)
#: Liveness bound after the kill: the takeover waits for the dead run's lease (10 s in this project),
#: stuck processes are healed within a few lease periods; the load itself takes seconds.
RECOVERY_TIMEOUT = 150.0
WORKER_ENV = dict(
    PROBE_IMPORTS,
    DJANGO_SETTINGS_MODULE="tests.integration.no_delivery_settings",
    BAMBOO_TEST_PAUSE_AFTER_FINISHED="0.2",
)


def _finished_states(root_ids):
    from pipeline.eri.models import State

    return State.objects.filter(root_id__in=root_ids, name="FINISHED").count()


def _worker(session, index: int) -> Worker:
    queues = [f"er_execute_{QUEUE}", f"er_schedule_{QUEUE}"]
    return Worker(session, f"chaos-{index}", "gevent", CONCURRENCY, queues, WORKER_ENV)


def _kill_at(session, workers, root_ids, fraction: float) -> int:
    """SIGKILL the older running worker once ``fraction`` of the states finished, start a replacement.

    Returns the number of pipelines finished at the kill (nothing is killed when all are).
    """
    wait_until(
        lambda: _finished_states(root_ids) >= fraction * COPIES * STATES_PER_COPY
        or _roots_done(root_ids) == COPIES,
        120,
        f"{fraction:.0%} of the states to finish",
        interval=0.05,
    )
    if _roots_done(root_ids) == COPIES:
        return COPIES
    victim = next(worker for worker in workers if worker.running())
    victim.kill()
    done = _roots_done(root_ids)
    print(f"killed {victim.name}: {_finished_states(root_ids)} states, {done}/{COPIES} pipelines finished")
    workers.append(_worker(session, len(workers) + 1).start())
    return done


def _roots_done(root_ids) -> int:
    return list(state_names(root_ids).values()).count("FINISHED")


def test_sigkills_under_fork_heavy_load_lose_nothing(it_session):
    workers = [_worker(it_session, 1).start(), _worker(it_session, 2).start()]
    try:
        root_ids = [start(normal_pipeline(component_code="debug_node"), queue=QUEUE) for _ in range(COPIES)]
        first, *later = KILL_AT
        assert _kill_at(it_session, workers, root_ids, first) < COPIES, "the first kill came after the end"
        for fraction in later:
            _kill_at(it_session, workers, root_ids, fraction)
        wait_finished(root_ids, timeout=RECOVERY_TIMEOUT)
        assert assert_ran_once(it_session, root_ids) == COPIES * STATES_PER_COPY
    finally:
        for worker in workers:
            worker.stop()
