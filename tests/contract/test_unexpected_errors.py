"""Contract: an ordinary error escaping an execute or schedule step fails the node, never strands it.

The fault (:mod:`tests.contract.faults`) makes ``set_execution_data`` raise ``RuntimeError`` on a node's
first run; it is not one of the runtime's interrupt errors, so no re-dispatch hides it. The node must end
FAILED with the traceback in ``ex_data``, its process asleep at it, and ``retry_node`` must finish the run.
"""

import pytest

from bamboo_engine import api
from tests.contract.faults import FAULT_INPUT, FAULT_MESSAGE
from tests.contract.harness import assert_ok
from tests.contract.trees import activity, linear_tree

pytestmark = pytest.mark.contract

FAILED, FINISHED = "FAILED", "FINISHED"


def assert_failed_and_parked(harness, node_id, kind):
    state = harness.wait_for_state(node_id, [FAILED, FINISHED])
    assert state.name == FAILED
    ex_data = harness.outputs(node_id)["ex_data"]
    assert ex_data.startswith(f"node({node_id}) {kind} step raised an unexpected error")
    assert "Traceback (most recent call last)" in ex_data and FAULT_MESSAGE in ex_data
    harness.wait_until(
        lambda: harness.runtime.get_sleep_process_info_with_current_node_id(node_id) is not None,
        description=f"process asleep at {node_id}",
    )


def test_an_error_in_an_execute_step_fails_the_node_and_retry_finishes_the_run(harness):
    harness.install_faults()
    act = activity("empty_node", **{FAULT_INPUT: "_result"})
    after = activity("empty_node")
    root_id = harness.start(linear_tree(act, after))

    assert_failed_and_parked(harness, act.id, "execute")
    harness.run_until_idle()
    assert harness.state(after.id) is None and harness.state_name(root_id) == "RUNNING"

    assert_ok(api.retry_node(harness.runtime, act.id))
    harness.wait_for_state(root_id, FINISHED)
    assert harness.state(act.id).retry == 1 and harness.state_name(after.id) == FINISHED


def test_an_error_in_a_callback_schedule_step_fails_the_node(harness):
    harness.install_faults()
    waiting = activity("callback_node", **{FAULT_INPUT: "answer"})
    root_id = harness.start(linear_tree(waiting))

    harness.callback(waiting.id, {"answer": 1})
    assert_failed_and_parked(harness, waiting.id, "schedule")

    assert_ok(api.retry_node(harness.runtime, waiting.id))
    harness.callback(waiting.id, {"answer": 2})
    harness.wait_for_state(root_id, FINISHED)
    assert harness.outputs(waiting.id)["answer"] == 2
