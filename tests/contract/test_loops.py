"""Contract: node loop config, loop retry/skip, loop output aggregation and re-entry."""

import pytest

from bamboo_engine import api
from bamboo_engine.builder import (
    ConvergeGateway,
    Data,
    EmptyEndEvent,
    EmptyStartEvent,
    ExclusiveGateway,
    NodeOutput,
    ParallelGateway,
    ServiceActivity,
    Var,
    build_tree,
)
from bamboo_engine.exceptions import EngineException, TreeInvalidException
from tests.contract.harness import assert_ok
from tests.contract.services import FAIL_MESSAGE
from tests.contract.trees import activity, linear_tree, subprocess

pytestmark = pytest.mark.contract

FINISHED, FAILED, RUNNING = "FINISHED", "FAILED", "RUNNING"
LOOP_OUTPUTS_KEY = "${loop_outs}"


def loop_activity(code, loop_times=3, **flags):
    """Returns (tree-patcher, activity): call the patcher on the built tree to enable the loop.

    ``fail_node`` loops fail on their second iteration (``fail_at=2``); every loop activity outputs
    ``outputs = {"v": 1}``, the dict aggregated when the node maps ``outputs`` to ``${loop_outs}``.
    """
    inputs = {"outputs": {"v": 1}}
    if code == "fail_node":
        inputs["fail_at"] = 2
    act = activity(code, **inputs)
    config = {"enable": True, "loop_times": loop_times, "fail_skip": False, "retryable": False}
    config.update(skippable=False, outputs_key=LOOP_OUTPUTS_KEY)
    config.update(flags)

    def enable(tree):
        tree["activities"][act.id]["loop_config"] = config
        return tree

    return enable, act


def start_loop(harness, enable, act, *after):
    """Run ``start → act → after... → end`` with ``act``'s ``outputs`` aggregated in ``${loop_outs}``."""
    data = Data()
    data.inputs[LOOP_OUTPUTS_KEY] = NodeOutput(source_act=act.id, source_key="outputs", type=Var.PLAIN)
    return harness.start(enable(linear_tree(act, *after, data=data)))


def aggregated(harness, root_id):
    return harness.context(root_id)[LOOP_OUTPUTS_KEY]


def item(inner_loop, result=True):
    return {"v": 1, "result": result, "inner_loop": inner_loop}


# ---------------------------------------------------------------------------------- node loops
def test_node_loop_runs_loop_times(harness):
    enable, act = loop_activity("copy_node", loop_times=3)
    root_id = start_loop(harness, enable, act)

    harness.wait_for_state(root_id, FINISHED)

    state = harness.state(act.id)
    assert state.name == FINISHED and state.loop == 3
    outputs = harness.outputs(act.id)
    assert outputs["_loop"] == 3 and outputs["_inner_loop"] == 3
    histories = assert_ok(api.get_node_histories(harness.runtime, act.id))
    assert sorted(h["loop"] for h in histories) == [1, 2]
    assert len(assert_ok(api.get_node_histories(harness.runtime, act.id, loop=1))) == 1
    assert len(assert_ok(api.get_node_short_histories(harness.runtime, act.id, loop=2))) == 1


def test_node_loop_aggregates_outputs(harness):
    enable, act = loop_activity("copy_node", loop_times=3)
    root_id = start_loop(harness, enable, act)

    harness.wait_for_state(root_id, FINISHED)

    assert aggregated(harness, root_id) == [item(1), item(2), item(3)]


def test_node_loop_fail_skip_goes_on(harness):
    enable, act = loop_activity("fail_node", loop_times=3, fail_skip=True)
    root_id = start_loop(harness, enable, act)

    harness.wait_for_state(root_id, FINISHED)

    state = harness.state(act.id)
    assert state.name == FINISHED and state.loop == 3
    (failed_round,) = assert_ok(api.get_node_histories(harness.runtime, act.id, loop=2))
    assert failed_round["outputs"]["_result"] is False
    assert failed_round["outputs"]["ex_data"] == FAIL_MESSAGE
    assert aggregated(harness, root_id) == [item(1), item(2, result=False), item(3)]


def test_loop_retry_continues_the_loop(harness):
    enable, act = loop_activity("fail_node", loop_times=3, retryable=True)
    root_id = start_loop(harness, enable, act)
    harness.wait_for_state(act.id, FAILED)
    assert harness.state(act.id).loop == 2
    assert aggregated(harness, root_id) == [item(1), item(2, result=False)]

    retry_data = {"fail_at": 0, "outputs": {"v": 1}}
    assert_ok(api.retry_node(harness.runtime, act.id, data=retry_data, loop_retry=True))
    harness.wait_for_state(root_id, FINISHED)

    state = harness.state(act.id)
    assert state.name == FINISHED and state.loop == 3 and state.retry == 0
    assert aggregated(harness, root_id) == [item(1), item(2), item(3)]


def test_plain_retry_restarts_the_loop(harness):
    enable, act = loop_activity("fail_node", loop_times=3)
    root_id = start_loop(harness, enable, act)
    harness.wait_for_state(act.id, FAILED)

    assert_ok(api.retry_node(harness.runtime, act.id, data={"fail_at": 0, "outputs": {"v": 1}}))
    harness.wait_for_state(root_id, FINISHED)

    state = harness.state(act.id)
    assert state.name == FINISHED and state.retry == 1
    assert harness.outputs(act.id)["_inner_loop"] == 3
    assert aggregated(harness, root_id) == [item(1), item(2), item(3)]


def test_loop_skip_continues_with_the_next_iteration(harness):
    enable, act = loop_activity("fail_node", loop_times=3, skippable=True)
    after = activity("empty_node")
    root_id = start_loop(harness, enable, act, after)
    harness.wait_for_state(act.id, FAILED)

    assert_ok(api.skip_node(harness.runtime, act.id, loop_skip=True))
    harness.wait_for_state(root_id, FINISHED)

    state = harness.state(act.id)
    assert state.name == FINISHED and state.loop == 3
    assert harness.outputs(act.id)["_result"] is True
    assert harness.state_name(after.id) == FINISHED


@pytest.mark.parametrize("operation", ["retry", "skip"])
def test_loop_retry_or_skip_when_the_loop_forbids_it_is_refused(harness, operation):
    enable, act = loop_activity("fail_node", loop_times=3, retryable=False, skippable=False)
    start_loop(harness, enable, act)
    harness.wait_for_state(act.id, FAILED)
    before = harness.snapshot(act.id)

    if operation == "retry":
        result = api.retry_node(harness.runtime, act.id, loop_retry=True)
    else:
        result = api.skip_node(harness.runtime, act.id, loop_skip=True)

    assert result.result is False and isinstance(result.exc, EngineException)
    assert harness.snapshot(act.id) == before


# ------------------------------------------------------------------------------------ re-entry
def reentry_tree(back_condition, exit_condition, body=None):
    """``start → body → eg``; eg loops back to ``body`` or ends; ``${body_loop}`` = body's ``_loop``."""
    body = body or activity("empty_node")
    start, end = EmptyStartEvent(), EmptyEndEvent()
    eg = ExclusiveGateway(conditions={0: back_condition, 1: exit_condition})
    start.extend(body).extend(eg).connect(body, end)
    data = Data()
    data.inputs["${body_loop}"] = NodeOutput(source_act=body.id, source_key="_loop", type=Var.PLAIN)
    return build_tree(start, data=data), body, eg


def test_reentry_loop_runs_until_its_condition_exits(harness):
    tree, a, eg = reentry_tree("${body_loop} < 3", "${body_loop} >= 3")

    harness.run_to_end(tree, cycle_tolerate=True)

    assert harness.state(a.id).loop == 3 and harness.state(eg.id).loop == 3
    assert len(assert_ok(api.get_node_histories(harness.runtime, a.id))) == 2
    assert harness.outputs(a.id)["_loop"] == 3


def test_reentry_resets_error_ignored(harness):
    body = ServiceActivity(component_code="fail_node", error_ignorable=True)
    body.component.inputs.fail_at = Var(type=Var.PLAIN, value=1)
    tree, body, eg = reentry_tree("${body_loop} < 2", "${body_loop} >= 2", body=body)

    harness.run_to_end(tree, cycle_tolerate=True)

    (first,) = assert_ok(api.get_node_histories(harness.runtime, body.id, loop=1))
    assert first["outputs"]["_result"] is False
    state = harness.state(body.id)
    assert state.loop == 2 and state.error_ignored is False


@pytest.mark.parametrize("operation", ["retry", "skip"])
def test_reentry_resets_retry_and_skip(harness, operation):
    body = activity("fail_node", fail_at=1)
    tree, body, eg = reentry_tree("${body_loop} < 2", "${body_loop} >= 2", body=body)
    root_id = harness.start(tree, cycle_tolerate=True)
    harness.wait_for_state(body.id, FAILED)

    if operation == "retry":
        assert_ok(api.retry_node(harness.runtime, body.id, data={"fail_at": 0}))
    else:
        assert_ok(api.skip_node(harness.runtime, body.id))
    harness.wait_for_state(root_id, FINISHED)

    state = harness.state(body.id)
    assert state.loop == 2 and state.retry == 0 and state.skip is False


def test_reentered_subprocess_resets_inner_loops(harness):
    inner = activity("copy_node")
    sub = subprocess(inner)
    tree, sub, eg = reentry_tree("${body_loop} < 2", "${body_loop} >= 2", body=sub)

    harness.run_to_end(tree, cycle_tolerate=True)

    assert harness.state(sub.id).loop == 2
    inner_state = harness.state(inner.id)
    assert inner_state.loop == 2 and inner_state.inner_loop == 1
    outputs = harness.outputs(inner.id)
    assert outputs["_loop"] == 2 and outputs["_inner_loop"] == 1


def test_reentered_parallel_gateway_forks_again(harness):
    a, b = activity("copy_node"), activity("copy_node")
    start, end = EmptyStartEvent(), EmptyEndEvent()
    pg, cg = ParallelGateway(), ConvergeGateway()
    eg = ExclusiveGateway(conditions={0: "${a_loop} < 2", 1: "${a_loop} >= 2"})
    start.extend(pg).connect(a, b).converge(cg).extend(eg).connect(pg, end)
    data = Data()
    data.inputs["${a_loop}"] = NodeOutput(source_act=a.id, source_key="_loop", type=Var.PLAIN)

    harness.run_to_end(build_tree(start, data=data), cycle_tolerate=True)

    for node in (pg, a, b, cg, eg):
        state = harness.state(node.id)
        assert (state.name, state.loop) == (FINISHED, 2), node


def test_cycles_need_cycle_tolerate(harness):
    tree, a, eg = reentry_tree("${body_loop} < 3", "${body_loop} >= 3")

    result = harness.run(tree)

    assert result.result is False and isinstance(result.exc, TreeInvalidException)
    assert harness.state(tree["id"]) is None


def test_reentry_stops_at_the_rerun_limit(harness):
    tree, a, eg = reentry_tree("1 == 1", "1 == 0")
    root_id = harness.start(tree, cycle_tolerate=True)
    limit = harness.runtime.node_rerun_limit(root_id, a.id)

    harness.wait_for_state(a.id, FAILED, timeout=300)

    assert harness.outputs(a.id)["ex_data"] == f"node execution exceed rerun limit {limit}"
    assert harness.state_name(root_id) == RUNNING
