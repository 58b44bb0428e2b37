"""Reference pipelines on a real gevent worker (``-P gevent -c 100``, queue ``gv``).

Twenty 17-node pipelines at once and the 100-branch × 10 pipeline exercise what prefork cannot: a
hundred tasks interleaved in one process, which only stays concurrent when database calls yield to
the event loop (PyMySQL on patched sockets, docs/workers.md).
"""

import pytest

from tests.integration.helpers import assert_ran_once, start, wait_finished
from tests.trees import normal_pipeline, parallel_pipeline

# Several minutes on a loaded 2-core machine: above the suite's default per-test timeout.
pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]

QUEUE = "gv"


def test_twenty_normal_pipelines_concurrently(gevent_worker, it_session):
    root_ids = [start(normal_pipeline(), queue=QUEUE) for _ in range(20)]
    seconds = wait_finished(root_ids, timeout=300)
    print(f"gevent -c {gevent_worker.concurrency}: 20 x 17-node pipelines in {seconds:.1f}s")
    assert assert_ran_once(it_session, root_ids) > 20 * 17


def test_hundred_normal_pipelines_concurrently_never_stall(gevent_worker, it_session):
    root_ids = [start(normal_pipeline(), queue=QUEUE) for _ in range(100)]
    seconds = wait_finished(root_ids, timeout=600)
    print(f"gevent -c {gevent_worker.concurrency}: 100 x 17-node pipelines in {seconds:.1f}s")
    assert assert_ran_once(it_session, root_ids) > 100 * 17


def test_parallel_pipeline_100_branches_of_10(gevent_worker, it_session):
    root_id = start(parallel_pipeline(branch_nums=100, branch_length=10), queue=QUEUE)
    seconds = wait_finished([root_id], timeout=600)
    print(f"gevent -c {gevent_worker.concurrency}: 100 x 10 parallel pipeline in {seconds:.1f}s ")
    assert assert_ran_once(it_session, [root_id]) >= 1000


def test_priority_and_queue_are_kept_by_every_message(gevent_worker):
    from pipeline.eri.models import Process

    root_id = start(normal_pipeline(), queue=QUEUE, priority=200)
    wait_finished([root_id])
    routes = set(Process.objects.filter(root_pipeline_id=root_id).values_list("queue", "priority"))
    assert routes == {(QUEUE, 200)}
