"""Contract: retry, skip, gateway skips, node loops and re-entry (docs/api.md, docs/concepts.md)."""

import pytest

from bamboo_engine import api
from bamboo_engine.builder import (
    ConditionalParallelGateway,
    ConvergeGateway,
    Data,
    EmptyEndEvent,
    EmptyStartEvent,
    ExclusiveGateway,
    ParallelGateway,
    ServiceActivity,
    Var,
    build_tree,
)
from bamboo_engine.eri import ContextValue, ContextValueType
from bamboo_engine.exceptions import EngineException, InvalidOperationError
from tests.contract.harness import assert_ok, assert_rejected
from tests.contract.services import FAIL_MESSAGE, UNREGISTERED_VARIABLE
from tests.contract.trees import activity, flow_between, linear_tree, plain, splice, subprocess

pytestmark = pytest.mark.contract

FINISHED, FAILED, RUNNING = "FINISHED", "FAILED", "RUNNING"


def failed_pipeline(harness, node, *after, data=None):
    """Start ``start → node → after... → end`` and wait until ``node`` FAILED; returns the root id."""
    root_id = harness.start(linear_tree(node, *after, data=data))
    harness.wait_for_state(node.id, FAILED)
    return root_id


# ---------------------------------------------------------------------------------------- retry
def test_retry_with_new_inputs(harness):
    fail, after = activity("fail_node", should_fail=True, x=1), activity("empty_node")
    root_id = failed_pipeline(harness, fail, after)
    old_version = harness.state(fail.id).version

    assert_ok(api.retry_node(harness.runtime, fail.id, data={"should_fail": False, "x": 2}))
    harness.wait_for_state(root_id, FINISHED)

    state = harness.state(fail.id)
    assert state.name == FINISHED and state.retry == 1 and state.version != old_version
    assert harness.inputs(fail.id)["x"] == 2
    assert harness.state_name(after.id) == FINISHED
    raw = assert_ok(api.get_data(harness.runtime, fail.id))
    assert raw["inputs"]["x"] == {"need_render": True, "value": 2}
    (history,) = assert_ok(api.get_node_histories(harness.runtime, fail.id))
    assert history["retry"] == 0 and history["version"] == old_version
    assert history["inputs"]["x"] == 1 and history["outputs"]["ex_data"] == FAIL_MESSAGE


def test_retry_in_a_paused_pipeline_resets_the_state_and_waits_for_resume(harness):
    fail = activity("fail_node", should_fail=True)
    root_id = failed_pipeline(harness, fail)
    failed = harness.state(fail.id)
    assert failed.started_time is not None and failed.archived_time is not None
    assert_ok(api.pause_pipeline(harness.runtime, root_id))

    assert_ok(api.retry_node(harness.runtime, fail.id, data={"should_fail": False}))
    harness.wait_until(lambda: harness.suspended_processes(root_id), description="process suspended by root")
    harness.run_until_idle()

    state = harness.state(fail.id)
    assert state.name == "READY" and state.retry == 1 and state.version != failed.version
    assert state.started_time is None and state.archived_time is None
    assert_ok(api.resume_pipeline(harness.runtime, root_id))
    harness.wait_for_state(root_id, FINISHED)
    assert harness.state_name(fail.id) == FINISHED


def test_retry_without_data_keeps_the_inputs(harness):
    fail = activity("fail_node", should_fail=True, x=1)
    failed_pipeline(harness, fail)

    assert_ok(api.retry_node(harness.runtime, fail.id))
    harness.wait_for_state(fail.id, FAILED)
    harness.run_until_idle()

    state = harness.state(fail.id)
    assert state.name == FAILED and state.retry == 1
    assert harness.inputs(fail.id)["x"] == 1


def test_retry_escape_render_keys_are_not_rendered(harness):
    data = Data()
    data.inputs["${c}"] = plain("C")
    fail = activity("fail_node", should_fail=True)
    root_id = failed_pipeline(harness, fail, data=data)

    retry_data = {"should_fail": False, "kept": "${c}", "rendered": "${c}", "_escape_render_keys": ["kept"]}
    assert_ok(api.retry_node(harness.runtime, fail.id, data=retry_data))
    harness.wait_for_state(root_id, FINISHED)

    inputs = harness.inputs(fail.id)
    assert inputs["kept"] == "${c}" and inputs["rendered"] == "C"
    assert "_escape_render_keys" not in inputs


def test_retry_of_a_finished_node_is_refused(harness):
    act = activity("empty_node")
    harness.run_to_end(linear_tree(act))
    before = harness.snapshot(act.id)

    result = api.retry_node(harness.runtime, act.id)

    assert_rejected(result, InvalidOperationError, f"{act.id} state is not FAILED, actual FINISHED")
    assert harness.snapshot(act.id) == before


def test_retry_of_a_not_retryable_node_is_refused(harness):
    fail = ServiceActivity(component_code="fail_node", retryable=False)
    failed_pipeline(harness, fail)
    before = harness.snapshot(fail.id)

    result = api.retry_node(harness.runtime, fail.id)

    assert_rejected(result, InvalidOperationError, f"can not retry node({fail.id}) with can_retry(False)")
    assert harness.snapshot(fail.id) == before


def test_loop_retry_of_a_node_without_loop_is_refused(harness):
    fail = activity("fail_node")
    failed_pipeline(harness, fail)
    before = harness.snapshot(fail.id)

    result = api.retry_node(harness.runtime, fail.id, loop_retry=True)

    assert result.result is False and isinstance(result.exc, EngineException)
    assert harness.snapshot(fail.id) == before


# ------------------------------------------------------------------------------ retry subprocess
def broken_subprocess_tree():
    """A SubProcess whose params reference a variable that cannot be resolved."""
    inner = activity("empty_node")
    sub = subprocess(inner, params={"${p}": splice("${flag}")})
    data = Data()
    data.inputs["${flag}"] = Var(type=Var.LAZY, value="v", custom_type=UNREGISTERED_VARIABLE)
    return linear_tree(sub, data=data), sub, inner


def test_retry_subprocess_after_fixing_its_params(harness):
    tree, sub, inner = broken_subprocess_tree()
    root_id = harness.start(tree)
    harness.wait_for_state(sub.id, FAILED)
    assert harness.outputs(sub.id).get("ex_data")
    assert harness.state(inner.id) is None

    fixed = ContextValue(key="${flag}", type=ContextValueType.PLAIN, value="fixed")
    assert_ok(api.update_context_values(harness.runtime, root_id, [fixed]))
    assert_ok(api.retry_subprocess(harness.runtime, sub.id))
    harness.wait_for_state(root_id, FINISHED)

    state = harness.state(sub.id)
    assert state.name == FINISHED and state.retry == 1
    assert harness.state_name(inner.id) == FINISHED
    assert len(assert_ok(api.get_node_histories(harness.runtime, sub.id))) == 1


def test_retry_subprocess_while_it_runs_is_refused(harness):
    cb = activity("callback_node")
    sub = subprocess(cb)
    harness.start(linear_tree(sub))
    harness.wait_callback_ready(cb.id)
    before = harness.snapshot(sub.id)

    assert_rejected(api.retry_subprocess(harness.runtime, sub.id), InvalidOperationError)

    assert harness.snapshot(sub.id) == before


def test_retry_subprocess_on_an_activity_is_refused(harness):
    fail = activity("fail_node")
    failed_pipeline(harness, fail)
    before = harness.snapshot(fail.id)

    result = api.retry_subprocess(harness.runtime, fail.id)

    assert result.result is False and isinstance(result.exc, EngineException)
    assert harness.snapshot(fail.id) == before


# ----------------------------------------------------------------------------------------- skip
def test_skip_a_failed_node(harness):
    fail, after = activity("fail_node"), activity("empty_node")
    root_id = failed_pipeline(harness, fail, after)
    old_version = harness.state(fail.id).version

    assert_ok(api.skip_node(harness.runtime, fail.id))
    harness.wait_for_state(root_id, FINISHED)

    state = harness.state(fail.id)
    assert state.name == FINISHED and state.skip is True and state.version != old_version
    assert harness.state_name(after.id) == FINISHED
    assert harness.states(root_id)[root_id]["children"][fail.id]["skip"] is True
    assert len(assert_ok(api.get_node_histories(harness.runtime, fail.id))) == 1


def test_skip_of_a_not_skippable_node_is_refused(harness):
    fail = ServiceActivity(component_code="fail_node", skippable=False)
    failed_pipeline(harness, fail)
    before = harness.snapshot(fail.id)

    assert_rejected(api.skip_node(harness.runtime, fail.id), InvalidOperationError, "can not skip this node")

    assert harness.snapshot(fail.id) == before


def test_skip_of_a_finished_node_is_refused(harness):
    act = activity("empty_node")
    harness.run_to_end(linear_tree(act))
    before = harness.snapshot(act.id)

    assert_rejected(api.skip_node(harness.runtime, act.id), InvalidOperationError)

    assert harness.snapshot(act.id) == before


def test_loop_skip_of_a_node_without_loop_is_refused(harness):
    fail = activity("fail_node")
    failed_pipeline(harness, fail)
    before = harness.snapshot(fail.id)

    result = api.skip_node(harness.runtime, fail.id, loop_skip=True)

    assert result.result is False and isinstance(result.exc, EngineException)
    assert harness.snapshot(fail.id) == before


# ------------------------------------------------------------------------------- gateway skips
def unmatched_gateway(gateway_cls, branch_count):
    branches = [activity("empty_node") for _ in range(branch_count)]
    gateway = gateway_cls(conditions={i: "1 == 0" for i in range(branch_count)})
    start, end, cg = EmptyStartEvent(), EmptyEndEvent(), ConvergeGateway()
    start.extend(gateway).connect(*branches).converge(cg).extend(end)
    return build_tree(start), gateway, cg, branches


def test_skip_exclusive_gateway(harness):
    tree, eg, cg, (a, b) = unmatched_gateway(ExclusiveGateway, 2)
    root_id = harness.start(tree)
    old_version = harness.wait_for_state(eg.id, FAILED).version

    assert_ok(api.skip_exclusive_gateway(harness.runtime, eg.id, flow_between(tree, eg.id, b.id)))
    harness.wait_for_state(root_id, FINISHED)

    assert harness.state(a.id) is None
    assert harness.state_name(b.id) == FINISHED
    state = harness.state(eg.id)
    assert state.name == FINISHED and state.skip is True and state.version != old_version
    assert state.archived_time is not None


def test_skip_exclusive_gateway_on_an_activity_is_refused(harness):
    fail = activity("fail_node")
    failed_pipeline(harness, fail)
    before = harness.snapshot(fail.id)

    result = api.skip_exclusive_gateway(harness.runtime, fail.id, "f" + "0" * 32)

    assert result.result is False and isinstance(result.exc, EngineException)
    assert harness.snapshot(fail.id) == before


def test_skip_of_an_unknown_node_is_refused(harness):
    assert_rejected(api.skip_node(harness.runtime, "e" + "0" * 32), EngineException)


def test_skip_exclusive_gateway_that_did_not_fail_is_refused(harness):
    a, b = activity("empty_node"), activity("empty_node")
    eg = ExclusiveGateway(conditions={0: "1 == 1", 1: "1 == 0"})
    start, end, cg = EmptyStartEvent(), EmptyEndEvent(), ConvergeGateway()
    start.extend(eg).connect(a, b).converge(cg).extend(end)
    tree = build_tree(start)
    harness.run_to_end(tree)
    before = harness.snapshot(eg.id)

    result = api.skip_exclusive_gateway(harness.runtime, eg.id, flow_between(tree, eg.id, b.id))

    assert_rejected(result, InvalidOperationError)
    assert harness.snapshot(eg.id) == before and harness.state(b.id) is None


def test_skip_conditional_parallel_gateway(harness):
    tree, cpg, cg, (a, b, c) = unmatched_gateway(ConditionalParallelGateway, 3)
    root_id = harness.start(tree)
    old_version = harness.wait_for_state(cpg.id, FAILED).version

    flows = [flow_between(tree, cpg.id, a.id), flow_between(tree, cpg.id, b.id)]
    assert_ok(api.skip_conditional_parallel_gateway(harness.runtime, cpg.id, flows, cg.id))
    harness.wait_for_state(root_id, FINISHED)

    assert harness.state_name(a.id) == harness.state_name(b.id) == FINISHED
    assert harness.state(c.id) is None
    state = harness.state(cpg.id)
    assert state.name == FINISHED and state.skip is True and state.version != old_version


def test_skip_conditional_parallel_on_an_exclusive_gateway_is_refused(harness):
    tree, eg, cg, (a, b) = unmatched_gateway(ExclusiveGateway, 2)
    harness.start(tree)
    harness.wait_for_state(eg.id, FAILED)
    before = harness.snapshot(eg.id)

    flows = [flow_between(tree, eg.id, a.id)]
    result = api.skip_conditional_parallel_gateway(harness.runtime, eg.id, flows, cg.id)

    assert result.result is False and isinstance(result.exc, EngineException)
    assert harness.snapshot(eg.id) == before and harness.state(a.id) is None


# ---------------------------------------------------------------------- inside branches and subs
@pytest.mark.parametrize("operation", ["retry", "skip"])
def test_retry_or_skip_inside_a_parallel_branch(harness, operation):
    fail, other, after = (
        activity("fail_node", should_fail=True),
        activity("debug_node"),
        activity("empty_node"),
    )
    start, end, pg, cg = EmptyStartEvent(), EmptyEndEvent(), ParallelGateway(), ConvergeGateway()
    start.extend(pg).connect(fail, other).converge(cg).extend(after).extend(end)
    root_id = harness.start(build_tree(start))
    harness.wait_for_state(fail.id, FAILED)
    harness.wait_for_state(other.id, FINISHED)
    harness.run_until_idle()
    assert harness.state(cg.id) is None

    if operation == "retry":
        assert_ok(api.retry_node(harness.runtime, fail.id, data={"should_fail": False}))
    else:
        assert_ok(api.skip_node(harness.runtime, fail.id))
    harness.wait_for_state(root_id, FINISHED)

    assert (
        harness.state_name(fail.id) == harness.state_name(cg.id) == harness.state_name(after.id) == FINISHED
    )


@pytest.mark.parametrize("operation", ["retry", "skip"])
def test_retry_or_skip_inside_a_subprocess(harness, operation):
    fail, inner_after, after = (
        activity("fail_node", should_fail=True),
        activity("empty_node"),
        activity("empty_node"),
    )
    sub = subprocess(fail, inner_after)
    root_id = harness.start(linear_tree(sub, after))
    harness.wait_for_state(fail.id, FAILED)
    assert harness.state_name(sub.id) == RUNNING

    if operation == "retry":
        assert_ok(api.retry_node(harness.runtime, fail.id, data={"should_fail": False}))
    else:
        assert_ok(api.skip_node(harness.runtime, fail.id))
    harness.wait_for_state(root_id, FINISHED)

    assert harness.state_name(sub.id) == harness.state_name(inner_after.id) == FINISHED
    assert harness.state_name(after.id) == FINISHED


def test_skip_a_failed_start_event(harness):
    data = Data(pre_render_keys=["${bad}"])
    data.inputs["${bad}"] = Var(type=Var.LAZY, value="v", custom_type=UNREGISTERED_VARIABLE)
    act = activity("empty_node")
    tree = linear_tree(act, data=data)
    start_id = tree["start_event"]["id"]
    root_id = harness.start(tree)
    harness.wait_for_state(start_id, FAILED)
    assert harness.state(act.id) is None

    assert_ok(api.skip_node(harness.runtime, start_id))
    harness.wait_for_state(root_id, FINISHED)

    assert harness.state(start_id).skip is True
    assert harness.state_name(act.id) == FINISHED
