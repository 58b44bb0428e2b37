"""Node timeouts on the in-memory path and on the Django runtime (``rig`` fixture, tests/deadlines/rigs.py).

A ``callback_node`` waits for a callback that never comes: an activity stuck RUNNING.
"""

from bamboo_engine import api
from bamboo_engine.plugin import Service
from tests.contract.trees import activity, linear_tree
from tests.deadlines.rigs import TIMEOUT


def _stuck_pipeline(rig, action="forced_fail", seconds=2, after=None):
    stuck = activity("callback_node", name="stuck")
    elements = [stuck] + ([after] if after is not None else [])
    tree = linear_tree(*elements)
    rig.configure(tree, timeouts={stuck.id: {"enable": True, "action": action, "seconds": seconds}})
    root_id = rig.harness.start(tree)
    rig.harness.wait_for_state(stuck.id, "RUNNING")
    return root_id, stuck.id


def test_running_activity_past_its_timeout_ends_failed(rig):
    root_id, node_id = _stuck_pipeline(rig, seconds=2)
    version = rig.runtime.get_state(node_id).version
    assert rig.pool(TIMEOUT).pending() == 1

    rig.advance(1.5)
    assert rig.scan() == 0
    assert rig.harness.state_name(node_id) == "RUNNING"

    rig.advance(1)
    assert rig.scan() == 1
    state = rig.harness.wait_for_state(node_id, "FAILED")
    assert state.version != version
    outputs = rig.harness.outputs(node_id)
    assert outputs["_forced_failed"] is True
    assert f"node {node_id} ran longer than its timeout of 2 s" in outputs["ex_data"]
    assert rig.harness.state_name(root_id) == "RUNNING"  # waits at the failed node for an operator
    assert rig.pool(TIMEOUT).pending() == 0
    assert rig.fired(TIMEOUT) == 1


def test_forced_fail_and_skip_lets_the_pipeline_go_on(rig):
    after = activity("empty_node", name="after")
    root_id, node_id = _stuck_pipeline(rig, action="forced_fail_and_skip", seconds=1, after=after)

    rig.advance(2)
    assert rig.scan() == 1
    rig.harness.wait_for_state(root_id, "FINISHED")
    state = rig.runtime.get_state(node_id)
    assert (state.name, state.skip) == ("FINISHED", True)
    assert rig.harness.state_name(after.id) == "FINISHED"
    assert rig.pool(TIMEOUT).pending() == 0


def test_node_finishing_in_time_is_never_touched(rig):
    quick = activity("empty_node", name="quick")
    waiting = activity("callback_node", name="answered in time")
    tree = linear_tree(quick, waiting)
    config = {"enable": True, "action": "forced_fail", "seconds": 5}
    rig.configure(tree, timeouts={quick.id: config, waiting.id: config})
    root_id = rig.harness.start(tree)
    rig.harness.wait_for_state(waiting.id, "RUNNING")
    assert rig.pool(TIMEOUT).pending() == 1  # quick's deadline went when it finished

    rig.advance(4)
    rig.harness.callback(waiting.id, {"answer": 42})
    rig.harness.wait_for_state(root_id, "FINISHED")
    assert rig.pool(TIMEOUT).pending() == 0

    rig.advance(10)
    assert rig.scan() == 0
    assert rig.fired(TIMEOUT) == 0
    for node_id in (quick.id, waiting.id):
        state = rig.runtime.get_state(node_id)
        assert (state.name, state.skip) == ("FINISHED", False)
        assert "_forced_failed" not in rig.harness.outputs(node_id)


def test_every_way_out_of_running_disarms_and_a_retry_arms_again(rig):
    root_id, node_id = _stuck_pipeline(rig, seconds=5)
    pool = rig.pool(TIMEOUT)

    # an operator's forced fail gives the state a new version: the old run's deadline still goes
    assert api.forced_fail_activity(rig.runtime, node_id, "by hand").result
    assert pool.pending() == 0
    assert api.retry_node(rig.runtime, node_id).result
    rig.harness.wait_for_state(node_id, "RUNNING")
    assert pool.pending() == 1

    # the retried run gets its own timeout
    rig.advance(6)
    assert rig.scan() == 1
    rig.harness.wait_for_state(node_id, "FAILED")
    assert "ran longer than its timeout" in rig.harness.outputs(node_id)["ex_data"]
    assert rig.fired(TIMEOUT) == 1


def test_revoking_the_pipeline_disarms_its_nodes(rig):
    root_id, node_id = _stuck_pipeline(rig, seconds=3)
    assert api.revoke_pipeline(rig.runtime, root_id).result
    assert rig.pool(TIMEOUT).pending() == 0
    rig.advance(5)
    assert rig.scan() == 0
    assert rig.harness.state_name(node_id) == "RUNNING"  # revoking leaves node states alone


class StuckCallService(Service):
    """An execute that outlives its node's timeout: the scanner forces the node to fail meanwhile."""

    rig = None

    def execute(self, data, parent_data):
        self.rig.advance(5)
        assert self.rig.scanner(TIMEOUT).run_pass().dispatched == 1
        data.set_outputs("late", "answer of the remote side")
        return True


def test_a_late_execute_result_of_a_timed_out_node_changes_nothing(rig):
    StuckCallService.rig = rig
    rig.harness.register_service("stuck_call", StuckCallService)
    stuck, after = activity("stuck_call", name="stuck call"), activity("empty_node", name="after")
    tree = linear_tree(stuck, after)
    rig.configure(tree, timeouts={stuck.id: {"enable": True, "action": "forced_fail", "seconds": 2}})
    root_id = rig.harness.start(tree)

    rig.harness.wait_for_state(stuck.id, "FAILED")
    rig.harness.run_until_idle()
    outputs = rig.harness.outputs(stuck.id)
    assert outputs["_forced_failed"] is True and "late" not in outputs
    assert rig.harness.state_name(stuck.id) == "FAILED"
    assert rig.harness.state_name(after.id) is None
    assert rig.harness.state_name(root_id) == "RUNNING"
