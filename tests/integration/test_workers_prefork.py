"""Reference pipelines on a real prefork worker (``celery -A playground worker -P prefork``)."""

import pytest

from tests.integration.helpers import assert_ran_once, start, wait_finished
from tests.trees import normal_pipeline, parallel_pipeline

# Several minutes on a loaded 2-core machine: above the suite's default per-test timeout.
pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]


def test_one_normal_pipeline_finishes_with_expected_outputs(prefork_worker, it_session):
    from bamboo_engine import api
    from tests.integration.helpers import runtime

    tree = normal_pipeline()
    root_id = start(tree)
    wait_finished([root_id])
    act_6 = next(node_id for node_id, node in tree["activities"].items() if node["name"] == "act_6")
    outputs = api.get_execution_data_outputs(runtime(), act_6).data
    expected = {"param_1": "value_1", "param_2": "value_2", "_loop": 1, "_inner_loop": 1, "_result": True}
    assert outputs == expected
    assert_ran_once(it_session, [root_id])


def test_twenty_normal_pipelines_concurrently(prefork_worker, it_session):
    root_ids = [start(normal_pipeline()) for _ in range(20)]
    seconds = wait_finished(root_ids, timeout=300)
    print(f"prefork -c {prefork_worker.concurrency}: 20 x 17-node pipelines in {seconds:.1f}s")
    assert assert_ran_once(it_session, root_ids) > 20 * 17


def test_parallel_pipeline_100_branches_of_10(prefork_worker, it_session):
    root_id = start(parallel_pipeline(branch_nums=100, branch_length=10))
    seconds = wait_finished([root_id], timeout=600)
    print(f"prefork -c {prefork_worker.concurrency}: 100 x 10 parallel pipeline in {seconds:.1f}s")
    assert assert_ran_once(it_session, [root_id]) >= 1000
