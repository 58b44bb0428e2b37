"""A worker killed with SIGKILL in the middle of a run: after a restart the pipeline finishes, and no
node was marked FINISHED twice.

Messages are acknowledged late (``acks_late``), so the ones the killed worker held go back to the
queue when its connection drops and are delivered again to the restarted worker. The runtime must
neither lose them nor run a node's work twice: every node ends FINISHED with loop 1 and no history,
and the workers' finish probe saw exactly one committed FINISHED transition per node.
"""

import pytest

from tests.integration.env import Worker, wait_until
from tests.integration.helpers import PROBE_IMPORTS, assert_ran_once, start, state_name, wait_finished
from tests.trees import parallel_pipeline

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
