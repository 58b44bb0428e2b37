"""A worker killed with SIGKILL in the middle of a run: after a restart the pipelines finish, and no
node was marked FINISHED twice.

Messages are acknowledged late (``acks_late``), so the ones the killed worker held go back to the
queue when its connection drops and are delivered again to the restarted worker; messages it had
stored but not yet published are published by the restarted worker's outbox relay; the runs it was in
the middle of are taken over once their claims' leases end. The runtime must neither lose anything nor
run a node's work twice: every node ends FINISHED with loop 1 and no history, and the workers' finish
probe saw exactly one committed FINISHED transition per node.
"""

import pytest

from tests.integration.env import Worker, wait_until
from tests.integration.helpers import PROBE_IMPORTS, assert_ran_once, start, state_name, wait_finished
from tests.trees import normal_pipeline, parallel_pipeline

# Several minutes on a loaded 2-core machine: above the suite's default per-test timeout.
pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]

QUEUE = "crash"
BRANCHES, LENGTH = 30, 10


def _finished_nodes(root_id: str) -> int:
    from pipeline.eri.models import State

    return State.objects.filter(root_id=root_id, name="FINISHED").count()


@pytest.mark.parametrize("pool, concurrency", [("gevent", 50), ("prefork", 2)])
def test_sigkill_mid_run_then_restart_finishes_each_node_once(it_session, pool, concurrency):
    queues = [f"er_execute_{QUEUE}", f"er_schedule_{QUEUE}"]
    worker = Worker(it_session, f"crash-{pool}", pool, concurrency, queues, PROBE_IMPORTS).start()
    try:
        root_id = start(parallel_pipeline(branch_nums=BRANCHES, branch_length=LENGTH), queue=QUEUE)
        total = BRANCHES * LENGTH
        try:
            wait_until(
                lambda: _finished_nodes(root_id) >= total // 4, 120, "a quarter of the nodes to finish"
            )
        except TimeoutError as err:
            raise TimeoutError(f"{err}\nworker log:\n{worker.log_tail()}") from err
        worker.kill()
        done_at_kill = _finished_nodes(root_id)
        assert state_name(root_id) == "RUNNING", "the pipeline ended before the kill: nothing was tested"
        print(f"{pool}: killed with {done_at_kill}/{total} activities finished")
        worker.start()
        wait_finished([root_id], timeout=300)
        assert assert_ran_once(it_session, [root_id]) >= total
    finally:
        worker.stop()


COPIES, NODES = 20, 18  # finished states per copy of the 17-node pipeline (the subprocess node too)
#: Where the kills land: about half way most copies are forking, at three quarters they are choosing at
#: the exclusive gateway, converging and ending.
KILL_AT = (0.45, 0.75)
#: Upstream-style Celery settings (none of ours) and a short delivery lease, so the takeover comes soon.
KILL_ENV = {**PROBE_IMPORTS, "BAMBOO_CELERY_STYLE": "upstream", "BAMBOO_DELIVERY_LEASE_SECONDS": "5"}


def _finished_in(root_ids) -> int:
    from pipeline.eri.models import State

    return State.objects.filter(root_id__in=list(root_ids), name="FINISHED").count()


def test_sigkills_amid_many_forking_pipelines_then_replacements_finish_each_node_once(it_session):
    """20 copies of the 17-node pipeline at once, the worker killed twice and replaced each time."""
    queues = ["er_execute_kill", "er_schedule_kill"]
    app = "tests.integration.upstream_style_celery"
    worker = Worker(it_session, "kill-gevent", "gevent", 100, queues, KILL_ENV, app=app).start()
    total = COPIES * NODES
    try:
        roots = [start(normal_pipeline(), queue="kill") for _ in range(COPIES)]
        for share in KILL_AT:
            goal = int(total * share)
            wait_until(lambda: _finished_in(roots) >= goal, 120, f"{goal} nodes to finish")  # noqa: B023
            worker.kill()
            done_at_kill = _finished_in(roots)
            assert done_at_kill < total, "every pipeline ended before the kill: nothing was tested"
            print(f"killed with {done_at_kill}/{total} nodes finished")
            worker.start()
        try:
            waited = wait_finished(roots, timeout=240)
        except TimeoutError as err:
            raise TimeoutError(f"{err}\nworker log:\n{worker.log_tail()}") from err
        print(f"all {COPIES} pipelines finished {waited:.0f}s after the last replacement started")
        assert assert_ran_once(it_session, roots) >= total
    finally:
        worker.stop()
