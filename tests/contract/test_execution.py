"""Contract: how pipelines execute (node types, gateways, subprocesses, reference pipelines)."""

import pytest

from bamboo_engine.builder import (
    ConditionalParallelGateway,
    ConvergeGateway,
    Data,
    DataInput,
    EmptyEndEvent,
    EmptyStartEvent,
    ExclusiveGateway,
    ExecutableEndEvent,
    NodeOutput,
    ParallelGateway,
    ServiceActivity,
    SubCanvas,
    SubProcess,
    Var,
    build_tree,
)
from bamboo_engine.exceptions import StartPositionInvalidException
from tests.contract.services import (
    END_EVENT_RAISE_MESSAGE,
    FAIL_MESSAGE,
    RAISE_MESSAGE,
    UNREGISTERED_VARIABLE,
)
from tests.contract.trees import (
    activity,
    all_node_ids,
    flow_between,
    gateway_tree,
    linear_tree,
    normal_pipeline,
    parallel_pipeline,
    plain,
    splice,
    subprocess,
)

pytestmark = pytest.mark.contract

FINISHED, FAILED, RUNNING = "FINISHED", "FAILED", "RUNNING"
NO_MATCH = "all conditions of branches are not meet"


# ---------------------------------------------------------------------------------------- basics
def test_one_node_pipeline_finishes_every_node(harness):
    act = activity("empty_node")
    tree = linear_tree(act)

    root_id = harness.run_to_end(tree)

    for node_id in (tree["start_event"]["id"], act.id, tree["end_event"]["id"]):
        assert harness.state_name(node_id) == FINISHED
    root = harness.state(root_id)
    assert root.parent_id == ""
    assert root.started_time is not None and root.archived_time is not None
    outputs = harness.outputs(act.id)
    assert outputs["_result"] is True and outputs["_loop"] == 1 and outputs["_inner_loop"] == 1


def test_debug_node_outputs_copy_inputs_and_loop_counters(harness):
    act = activity("debug_node", param_1="a", param_2=2)

    harness.run_to_end(linear_tree(act))

    assert harness.outputs(act.id) == {
        "param_1": "a",
        "param_2": 2,
        "_loop": 1,
        "_inner_loop": 1,
        "_result": True,
    }
    assert harness.inputs(act.id) == {"param_1": "a", "param_2": 2, "_loop": 1, "_inner_loop": 1}


def test_hundred_nodes_in_a_row(harness):
    acts = [activity("debug_node", index=i) for i in range(100)]

    harness.run_to_end(linear_tree(*acts), timeout=120)

    names = harness.runtime.batch_get_state_name([act.id for act in acts])
    assert set(names.values()) == {FINISHED} and len(names) == 100
    assert harness.outputs(acts[-1].id)["index"] == 99


def test_component_version_selects_the_service(harness):
    legacy, v2 = activity("copy_node", x=1), activity("copy_node", x=2)
    tree = linear_tree(legacy, v2)
    tree["activities"][v2.id]["component"]["version"] = "v2"

    harness.run_to_end(tree)

    assert "version" not in harness.outputs(legacy.id)
    assert harness.outputs(v2.id)["version"] == "v2"


def test_failing_node_fails_with_its_ex_data_and_pipeline_keeps_running(harness):
    fail, after = activity("fail_node"), activity("empty_node")
    tree = linear_tree(fail, after)

    root_id = harness.start(tree)
    harness.wait_for_state(fail.id, FAILED)
    harness.run_until_idle()

    outputs = harness.outputs(fail.id)
    assert outputs["ex_data"] == FAIL_MESSAGE and outputs["_result"] is False
    assert harness.state(fail.id).archived_time is not None
    assert harness.state_name(root_id) == RUNNING
    assert harness.state(after.id) is None


def test_raising_node_fails_with_the_traceback(harness):
    act = activity("raise_node")
    root_id = harness.start(linear_tree(act))

    harness.wait_for_state(act.id, FAILED)

    outputs = harness.outputs(act.id)
    assert RAISE_MESSAGE in outputs["ex_data"] and outputs["_result"] is False
    assert harness.state_name(root_id) == RUNNING


def test_error_ignorable_failure_finishes_and_continues(harness):
    fail = ServiceActivity(component_code="fail_node", error_ignorable=True)
    after = activity("empty_node")

    root_id = harness.run_to_end(linear_tree(fail, after))

    state = harness.state(fail.id)
    assert state.name == FINISHED and state.error_ignored is True
    assert harness.state_name(after.id) == FINISHED
    record = harness.states(root_id)[root_id]["children"][fail.id]
    assert record["error_ignored"] is True and record["error_ignorable"] is True


def test_poll_node_polls_until_finished(harness):
    poll = activity("poll_node", polls=3)
    harness.start(linear_tree(poll))

    harness.wait_for_state(poll.id, FINISHED)

    assert harness.outputs(poll.id)["count"] == 3


def test_poll_node_advances_with_time(harness):
    poll = activity("poll_node", polls=2)
    root_id = harness.start(linear_tree(poll))
    harness.wait_for_state(poll.id, RUNNING)

    for _ in range(20):
        if harness.state_name(root_id) == FINISHED:
            break
        harness.advance(1)

    assert harness.state_name(poll.id) == FINISHED
    assert harness.outputs(poll.id)["count"] == 2


def hook_marks(outputs):
    return {
        key[len("hook_") :] for key, value in outputs.items() if key.startswith("hook_") and value is True
    }


@pytest.mark.parametrize("on_poll", ["fail", "raise"])
def test_failing_poll_fails_the_node(harness, on_poll):
    poll, after = activity("poll_node", on_poll=on_poll), activity("empty_node")
    root_id = harness.start(linear_tree(poll, after))

    harness.wait_for_state(poll.id, FAILED)
    harness.run_until_idle()

    outputs = harness.outputs(poll.id)
    assert outputs["_result"] is False and outputs["count"] == 1
    assert (FAIL_MESSAGE if on_poll == "fail" else RAISE_MESSAGE) in outputs["ex_data"]
    assert harness.state(after.id) is None and harness.state_name(root_id) == RUNNING


def test_hooks_run_and_their_outputs_are_saved(harness):
    act = activity("hook_node")

    harness.run_to_end(linear_tree(act))

    outputs = harness.outputs(act.id)
    assert outputs["executed"] is True
    assert hook_marks(outputs) >= {"node_enter", "pre_execute", "post_execute", "node_finish"}
    assert not hook_marks(outputs) & {"node_execute_fail", "node_execute_exception"}


def test_hooks_of_a_scheduled_node(harness):
    act = activity("hook_poll_node")

    harness.run_to_end(linear_tree(act))

    outputs = harness.outputs(act.id)
    assert outputs["scheduled"] is True
    assert hook_marks(outputs) >= {
        "node_enter",
        "pre_execute",
        "post_execute",
        "pre_schedule",
        "post_schedule",
    }
    assert "node_finish" in hook_marks(outputs)


@pytest.mark.parametrize("mode, hook", [("fail", "node_execute_fail"), ("raise", "node_execute_exception")])
def test_hooks_of_a_failing_node(harness, mode, hook):
    act = activity("hook_node", mode=mode)
    harness.start(linear_tree(act))

    harness.wait_for_state(act.id, FAILED)
    harness.run_until_idle()

    marks = hook_marks(harness.outputs(act.id))
    assert {"node_enter", "pre_execute", hook} <= marks
    assert "post_execute" not in marks and "node_finish" not in marks


# -------------------------------------------------------------------------------------- parallel
def test_parallel_gateway_runs_every_branch(harness):
    branches = [activity("debug_node", branch=i) for i in range(3)]
    pg = ParallelGateway()
    tree, cg = gateway_tree(pg, branches)

    harness.run_to_end(tree)

    for node_id in [pg.id, cg.id] + [b.id for b in branches]:
        assert harness.state_name(node_id) == FINISHED
    assert [harness.outputs(b.id)["branch"] for b in branches] == [0, 1, 2]


def test_nested_parallel_gateways(harness):
    a, b, c, d = (activity("debug_node") for _ in range(4))
    start, end = EmptyStartEvent(), EmptyEndEvent()
    pg_outer, pg_inner = ParallelGateway(), ParallelGateway()
    cg_outer, cg_inner = ConvergeGateway(), ConvergeGateway()
    pg_inner.connect(a, b).converge(cg_inner)
    start.extend(pg_outer).connect(pg_inner, c).converge(cg_outer).extend(d).extend(end)
    tree = build_tree(start)

    harness.run_to_end(tree)

    assert {harness.state_name(n) for n in all_node_ids(tree)} == {FINISHED}


def test_parallel_inside_a_subprocess(harness):
    a, b = activity("debug_node"), activity("debug_node")
    sub_start, sub_end = EmptyStartEvent(), EmptyEndEvent()
    pg, cg = ParallelGateway(), ConvergeGateway()
    sub_start.extend(pg).connect(a, b).converge(cg).extend(sub_end)
    sub = SubProcess(start=sub_start)
    tree = linear_tree(sub)

    root_id = harness.run_to_end(tree)

    assert {harness.state_name(n) for n in all_node_ids(tree)} == {FINISHED}
    assert harness.state(a.id).parent_id == sub.id and harness.state(a.id).root_id == root_id


def test_subprocesses_inside_parallel_branches(harness):
    inner_a, inner_b = activity("debug_node"), activity("debug_node")
    sub_a, sub_b = subprocess(inner_a, name="a"), subprocess(inner_b, name="b")
    tree, cg = gateway_tree(ParallelGateway(), [sub_a, sub_b])

    harness.run_to_end(tree)

    assert {harness.state_name(n) for n in all_node_ids(tree)} == {FINISHED}
    assert harness.state_name(sub_a.id) == harness.state_name(sub_b.id) == FINISHED


# --------------------------------------------------------------------------- conditional parallel
def test_conditional_parallel_runs_only_true_branches(harness):
    a, b, c = (activity("empty_node") for _ in range(3))
    data = Data()
    data.inputs["${x}"] = plain("yes")
    cpg = ConditionalParallelGateway(conditions={0: '"${x}" == "yes"', 1: "1 == 0", 2: "2 > 1"})
    tree, cg = gateway_tree(cpg, [a, b, c], data=data)

    harness.run_to_end(tree)

    assert harness.state_name(a.id) == harness.state_name(c.id) == FINISHED
    assert harness.state(b.id) is None
    assert harness.state_name(cpg.id) == harness.state_name(cg.id) == FINISHED


def test_conditional_parallel_takes_default_flow_when_nothing_matches(harness):
    a, b = activity("empty_node"), activity("empty_node")
    cpg = ConditionalParallelGateway(conditions={0: "1 == 0", 1: "1 == 0"}, default_condition_outgoing=1)

    harness.run_to_end(gateway_tree(cpg, [a, b])[0])

    assert harness.state(a.id) is None
    assert harness.state_name(b.id) == FINISHED


def test_conditional_parallel_ignores_the_default_flow_when_something_matches(harness):
    a, b = activity("empty_node"), activity("empty_node")
    cpg = ConditionalParallelGateway(conditions={0: "1 == 1", 1: "1 == 0"}, default_condition_outgoing=1)

    harness.run_to_end(gateway_tree(cpg, [a, b])[0])

    assert harness.state_name(a.id) == FINISHED
    assert harness.state(b.id) is None


def test_conditional_parallel_without_match_fails(harness):
    a, b = activity("empty_node"), activity("empty_node")
    cpg = ConditionalParallelGateway(conditions={0: "1 == 0", 1: "2 == 0"})
    root_id = harness.start(gateway_tree(cpg, [a, b])[0])

    harness.wait_for_state(cpg.id, FAILED)
    harness.run_until_idle()

    assert harness.outputs(cpg.id)["ex_data"] == NO_MATCH
    assert harness.state(a.id) is None and harness.state(b.id) is None
    assert harness.state_name(root_id) == RUNNING


# ------------------------------------------------------------------------------------- exclusive
def exclusive_tree(conditions, default=None, extra_info=None, x="b"):
    a, b = activity("empty_node"), activity("empty_node")
    eg = ExclusiveGateway(conditions=conditions, default_condition_outgoing=default)
    data = Data()
    data.inputs["${x}"] = plain(x)
    tree, cg = gateway_tree(eg, [a, b], extra_info=extra_info, data=data)
    return tree, eg, a, b


def test_exclusive_gateway_takes_the_true_branch(harness):
    tree, eg, a, b = exclusive_tree({0: '"${x}" == "a"', 1: '"${x}" == "b"'})

    harness.run_to_end(tree)

    assert harness.state(a.id) is None
    assert harness.state_name(b.id) == harness.state_name(eg.id) == FINISHED


def test_exclusive_only_strategy_fails_on_multiple_matches(harness):
    tree, eg, a, b = exclusive_tree({0: "1 == 1", 1: "2 == 2"})
    harness.start(tree)

    harness.wait_for_state(eg.id, FAILED)

    ex_data = harness.outputs(eg.id)["ex_data"]
    assert ex_data.startswith("multiple conditions meet")
    assert flow_between(tree, eg.id, a.id) in ex_data and flow_between(tree, eg.id, b.id) in ex_data


@pytest.mark.parametrize("strategy", ["FIRST", 2])
def test_exclusive_first_strategy_from_extra_info(harness, strategy):
    tree, eg, a, b = exclusive_tree({0: "1 == 1", 1: "2 == 2"}, extra_info={"strategy": strategy})

    harness.run_to_end(tree)

    assert harness.state_name(a.id) == FINISHED
    assert harness.state(b.id) is None


def test_exclusive_default_flow_when_nothing_matches(harness):
    tree, eg, a, b = exclusive_tree({0: '"${x}" == "z"', 1: "1 == 0"}, default=0)

    harness.run_to_end(tree)

    assert harness.state_name(a.id) == FINISHED
    assert harness.state(b.id) is None


def test_exclusive_without_match_fails(harness):
    tree, eg, a, b = exclusive_tree({0: '"${x}" == "z"', 1: "1 == 0"})
    root_id = harness.start(tree)

    harness.wait_for_state(eg.id, FAILED)
    harness.run_until_idle()

    assert harness.outputs(eg.id)["ex_data"] == NO_MATCH
    assert harness.state(a.id) is None and harness.state(b.id) is None
    assert harness.state_name(root_id) == RUNNING


def test_exclusive_bad_expression_fails_naming_it(harness):
    tree, eg, a, b = exclusive_tree({0: "1 == ", 1: "1 == 1"})
    harness.start(tree)

    harness.wait_for_state(eg.id, FAILED)

    assert "1 ==" in harness.outputs(eg.id)["ex_data"]
    assert harness.state(b.id) is None


def test_exclusive_gateway_inside_a_subprocess_reads_the_child_context(harness):
    a, b = activity("empty_node"), activity("empty_node")
    child_start, child_end, cg = EmptyStartEvent(), EmptyEndEvent(), ConvergeGateway()
    eg = ExclusiveGateway(conditions={0: '"${y}" == "root"', 1: '"${y}" == "child"'})
    child_start.extend(eg).connect(a, b).converge(cg).extend(child_end)
    child_data = Data()
    child_data.inputs["${y}"] = plain("child")
    sub = SubProcess(start=child_start, data=child_data)
    root_data = Data()
    root_data.inputs["${y}"] = plain("root")

    harness.run_to_end(linear_tree(sub, data=root_data))

    assert harness.state(a.id) is None
    assert harness.state_name(b.id) == FINISHED


def test_exclusive_condition_hydrate_failure(harness):
    a, b = activity("empty_node"), activity("empty_node")
    eg = ExclusiveGateway(conditions={0: "${bad} == 1", 1: "1 == 1"})
    data = Data()
    data.inputs["${bad}"] = Var(type=Var.LAZY, value="v", custom_type=UNREGISTERED_VARIABLE)
    tree, cg = gateway_tree(eg, [a, b], data=data)
    harness.start(tree)

    harness.wait_for_state(eg.id, FAILED)

    ex_data = harness.outputs(eg.id)["ex_data"]
    assert ex_data.startswith("evaluation context hydrate failed(")
    assert ex_data.endswith("check node log for details.")


def test_exclusive_branch_straight_to_end_event(harness):
    a = activity("empty_node")
    start, end = EmptyStartEvent(), EmptyEndEvent()
    eg = ExclusiveGateway(conditions={0: "1 == 0", 1: "1 == 1"})
    start.extend(eg).connect(a, end)
    a.extend(end)

    harness.run_to_end(build_tree(start))

    assert harness.state(a.id) is None
    assert harness.state_name(eg.id) == FINISHED


# ------------------------------------------------------------------------------------ subprocess
def nested_subprocess_tree():
    """root → MID(→ INNER(→ inner_act)) → reader, params flowing down and outputs flowing up."""
    inner_act = activity("copy_node", val=splice("${inner_in}"))
    inner_data = Data(outputs=["${inner_out}"])
    inner_data.inputs["${inner_in}"] = DataInput(type=Var.PLAIN, value="inner_default")
    inner_data.inputs["${inner_out}"] = NodeOutput(source_act=inner_act.id, source_key="val", type=Var.PLAIN)
    inner = subprocess(
        inner_act, data=inner_data, params={"${inner_in}": splice("${mid_in}-deep")}, name="in"
    )

    mid_data = Data(outputs=["${mid_out}"])
    mid_data.inputs["${mid_in}"] = DataInput(type=Var.PLAIN, value="mid_default")
    mid_data.inputs["${mid_out}"] = NodeOutput(source_act=inner.id, source_key="${inner_out}", type=Var.PLAIN)
    mid = subprocess(inner, data=mid_data, params={"${mid_in}": splice("${root_in}")}, name="mid")

    reader = activity("copy_node", seen=splice("${root_out}"))
    root_data = Data(outputs=["${root_out}"])
    root_data.inputs["${root_in}"] = plain("hello")
    root_data.inputs["${root_out}"] = NodeOutput(source_act=mid.id, source_key="${mid_out}", type=Var.PLAIN)
    return linear_tree(mid, reader, data=root_data), mid, inner, inner_act, reader


def test_subprocess_nested_two_deep_with_params_and_outputs(harness):
    tree, mid, inner, inner_act, reader = nested_subprocess_tree()

    root_id = harness.run_to_end(tree)

    assert {harness.state_name(n) for n in all_node_ids(tree)} == {FINISHED}
    assert harness.state_name(mid.id) == harness.state_name(inner.id) == FINISHED
    assert harness.outputs(inner_act.id)["val"] == "hello-deep"
    assert harness.outputs(reader.id)["seen"] == "hello-deep"
    assert harness.outputs(inner.id)["${inner_out}"] == "hello-deep"
    assert harness.outputs(root_id)["${root_out}"] == "hello-deep"
    inner_state = harness.state(inner_act.id)
    assert inner_state.parent_id == inner.id and inner_state.root_id == root_id
    assert harness.state(inner.id).parent_id == mid.id


def test_subprocess_end_outputs_carry_loop_counters(harness):
    tree, mid, inner, inner_act, reader = nested_subprocess_tree()

    harness.run_to_end(tree)

    outputs = harness.outputs(mid.id)
    assert outputs["_loop"] == 1 and outputs["_inner_loop"] == 1


def test_subcanvas_sees_parent_context_and_exports_outputs(harness):
    child_act = activity("copy_node", val=splice("${root_c}!"))
    child_start = EmptyStartEvent()
    child_start.extend(child_act).extend(EmptyEndEvent())
    child_data = Data(outputs=["${child_out}"])
    child_data.inputs["${child_out}"] = NodeOutput(source_act=child_act.id, source_key="val", type=Var.PLAIN)
    canvas = SubCanvas(start=child_start, data=child_data)
    reader = activity("copy_node", seen=splice("${got}"))
    root_data = Data()
    root_data.inputs["${root_c}"] = plain("canvas")
    root_data.inputs["${got}"] = NodeOutput(source_act=canvas.id, source_key="${child_out}", type=Var.PLAIN)

    harness.run_to_end(linear_tree(canvas, reader, data=root_data))

    assert harness.outputs(child_act.id)["val"] == "canvas!"
    assert harness.outputs(reader.id)["seen"] == "canvas!"
    assert harness.state_name(canvas.id) == FINISHED


# ---------------------------------------------------------------------------------- end events
def test_executable_end_event_success(harness):
    act = activity("empty_node")
    end = ExecutableEndEvent(type="contract_passing_end")
    tree = linear_tree(act, end=end)
    assert tree["end_event"]["type"] == "contract_passing_end"

    harness.run_to_end(tree)

    assert harness.state_name(end.id) == FINISHED


def test_executable_end_event_raising_fails_it(harness):
    end = ExecutableEndEvent(type="contract_raising_end")
    root_id = harness.start(linear_tree(activity("empty_node"), end=end))

    harness.wait_for_state(end.id, FAILED)
    harness.run_until_idle()

    assert END_EVENT_RAISE_MESSAGE in harness.outputs(end.id)["ex_data"]
    assert harness.state_name(root_id) == RUNNING


def test_executable_end_event_of_a_subprocess(harness):
    inner = activity("empty_node")
    child_start, child_end = EmptyStartEvent(), ExecutableEndEvent(type="contract_passing_end")
    child_start.extend(inner).extend(child_end)
    sub = SubProcess(start=child_start)
    after = activity("empty_node")

    harness.run_to_end(linear_tree(sub, after))

    assert harness.state_name(child_end.id) == FINISHED
    assert harness.state_name(sub.id) == harness.state_name(after.id) == FINISHED


# ------------------------------------------------------------------------------- start position
def test_start_at_a_node_skips_everything_before_it(harness):
    a1, a2, a3 = (activity("empty_node") for _ in range(3))
    tree = linear_tree(a1, a2, a3)

    harness.run_to_end(tree, start_node_id=a2.id)

    assert harness.state(tree["start_event"]["id"]) is None and harness.state(a1.id) is None
    assert harness.state_name(a2.id) == harness.state_name(a3.id) == FINISHED


def test_start_inside_an_exclusive_branch(harness):
    tree, eg, a, b = exclusive_tree({0: '"${x}" == "a"', 1: '"${x}" == "b"'}, x="b")

    harness.run_to_end(tree, start_node_id=a.id)

    assert harness.state_name(a.id) == FINISHED
    assert harness.state(eg.id) is None and harness.state(b.id) is None


def test_start_inside_a_parallel_branch_is_rejected(harness):
    a, b = activity("empty_node"), activity("empty_node")
    tree, cg = gateway_tree(ParallelGateway(), [a, b])

    result = harness.run(tree, start_node_id=a.id)

    assert result.result is False
    assert isinstance(result.exc, StartPositionInvalidException)
    assert harness.state(tree["id"]) is None


def test_invalid_tree_is_rejected(harness):
    act = activity("empty_node")
    tree = linear_tree(act)
    # Cut the activity's outgoing flow: a ServiceActivity needs exactly one.
    tree["activities"][act.id]["outgoing"] = ""

    result = harness.run(tree)

    assert result.result is False and result.exc is not None
    assert harness.state(tree["id"]) is None


# ---------------------------------------------------------------------------- reference pipelines
def test_normal_reference_pipeline(harness):
    tree, ids = normal_pipeline()

    root_id = harness.run_to_end(tree, timeout=60, root_pipeline_data={})

    ran = [f"act_{i}" for i in range(1, 7)] + ["sub_act_1", "sub_act_2"]
    assert {harness.state_name(ids[name]) for name in ran} == {FINISHED}
    assert harness.state(ids["act_7"]) is None
    expected = {"param_1": "value_1", "param_2": "value_2", "_loop": 1, "_inner_loop": 1, "_result": True}
    assert harness.outputs(ids["sub_act_1"]) == expected
    assert harness.outputs(ids["act_6"]) == expected
    children = harness.states(root_id)[root_id]["children"]
    assert len(children) == 17
    assert {record["state"] for record in children.values()} == {FINISHED}


def test_several_normal_pipelines_at_once_stay_isolated(harness):
    runs = [normal_pipeline() for _ in range(5)]
    root_ids = [harness.start(tree) for tree, _ in runs]

    for root_id in root_ids:
        harness.wait_for_state(root_id, FINISHED, timeout=120)

    for root_id, (_tree, ids) in zip(root_ids, runs, strict=True):
        children = harness.states(root_id)[root_id]["children"]
        assert len(children) == 17 and {r["state"] for r in children.values()} == {FINISHED}
        assert harness.state(ids["act_1"]).root_id == root_id


def test_thousand_node_parallel_reference_pipeline(harness):
    tree, act_ids = parallel_pipeline(branch_nums=100, branch_length=10)

    harness.run_to_end(tree, timeout=600)

    names = harness.runtime.batch_get_state_name(act_ids)
    assert len(names) == 1000 and set(names.values()) == {FINISHED}
