"""Contract: the query functions of ``bamboo_engine.api`` and their ``.data`` shapes (api.md)."""

import pytest

from bamboo_engine import api
from bamboo_engine.builder import Data, ExclusiveGateway, NodeOutput, ParallelGateway, Var
from bamboo_engine.eri import ContextValue, ContextValueType
from bamboo_engine.exceptions import EngineException
from bamboo_engine.validator import validate_and_process_pipeline
from tests.contract.harness import assert_ok
from tests.contract.services import UpperVariable
from tests.contract.trees import activity, all_node_ids, gateway_tree, linear_tree, plain, splice, subprocess

pytestmark = pytest.mark.contract

FINISHED, FAILED, RUNNING = "FINISHED", "FAILED", "RUNNING"
STATE_RECORD_KEYS = {
    "id",
    "state",
    "root_id:",
    "parent_id",
    "version",
    "loop",
    "retry",
    "skip",
    "error_ignorable",
    "error_ignored",
    "created_time",
    "started_time",
    "archived_time",
    "children",
}
HISTORY_KEYS = {"id", "node_id", "started_time", "archived_time", "retry", "loop", "skip", "version"}
HISTORY_KEYS |= {"inputs", "outputs"}
SHORT_HISTORY_KEYS = {"id", "node_id", "started_time", "archived_time", "loop", "skip", "version"}
EXECUTION_TIME_KEYS = {"state", "start_time", "archived_time", "execution_time"}


def tree_with_subprocess():
    top, inner = activity("copy_node", x=1), activity("copy_node", y=2)
    sub = subprocess(inner)
    return linear_tree(top, sub), top, sub, inner


# ------------------------------------------------------------------------------------- states
def test_pipeline_states_flat(harness):
    tree, top, sub, inner = tree_with_subprocess()
    root_id = harness.run_to_end(tree)

    states = harness.states(root_id)

    assert list(states) == [root_id]
    record = states[root_id]
    assert set(record) == STATE_RECORD_KEYS
    assert record["id"] == root_id and record["state"] == FINISHED
    assert record["root_id:"] == root_id and record["parent_id"] == root_id
    children = record["children"]
    assert set(children) == set(all_node_ids(tree))
    assert root_id not in children
    child = children[inner.id]
    assert set(child) == STATE_RECORD_KEYS
    assert child["state"] == FINISHED and child["parent_id"] == sub.id and child["root_id:"] == root_id
    assert child["loop"] == 1 and child["retry"] == 0 and child["skip"] is False
    assert child["version"] == harness.state(inner.id).version
    assert child["children"] == {}


def test_pipeline_states_nested(harness):
    tree, top, sub, inner = tree_with_subprocess()
    root_id = harness.run_to_end(tree)

    record = harness.states(root_id, flat_children=False)[root_id]

    top_level = record["children"]
    assert top.id in top_level and sub.id in top_level
    assert inner.id not in top_level
    assert inner.id in top_level[sub.id]["children"]
    assert all(child["parent_id"] == root_id for child in top_level.values())


def test_pipeline_states_of_an_unknown_root_are_empty(harness):
    assert harness.states("p" + "0" * 32) == {}


def test_children_states(harness):
    tree, top, sub, inner = tree_with_subprocess()
    harness.run_to_end(tree)

    data = assert_ok(api.get_children_states(harness.runtime, sub.id))

    assert list(data) == [sub.id]
    children = data[sub.id]["children"]
    assert inner.id in children and top.id not in children
    assert all(child["parent_id"] == sub.id for child in children.values())
    assert assert_ok(api.get_children_states(harness.runtime, "e" + "0" * 32)) == {}


# ----------------------------------------------------------------------------------------- data
def test_execution_data(harness):
    act = activity("copy_node", x=1)
    harness.run_to_end(linear_tree(act))

    data = assert_ok(api.get_execution_data(harness.runtime, act.id))

    assert set(data) == {"inputs", "outputs"}
    assert data["inputs"] == {"x": 1, "_loop": 1, "_inner_loop": 1}
    assert data["outputs"]["x"] == 1 and data["outputs"]["_result"] is True
    assert assert_ok(api.get_execution_data_inputs(harness.runtime, act.id)) == data["inputs"]
    assert assert_ok(api.get_execution_data_outputs(harness.runtime, act.id)) == data["outputs"]


def test_raw_node_data(harness):
    act = activity("copy_node", s=splice("${c}"), p=plain(1))
    data = Data()
    data.inputs["${c}"] = plain("C")
    data.inputs["${ax}"] = NodeOutput(source_act=act.id, source_key="s", type=Var.PLAIN)
    harness.run_to_end(linear_tree(act, data=data))

    raw = assert_ok(api.get_data(harness.runtime, act.id))

    assert raw["inputs"]["s"] == {"need_render": True, "value": "${c}"}
    assert raw["inputs"]["p"] == {"need_render": False, "value": 1}
    assert raw["outputs"] == {"s": "${ax}"}


def test_histories_full_and_short(harness):
    fail = activity("fail_node", should_fail=True)
    root_id = harness.start(linear_tree(fail))
    harness.wait_for_state(fail.id, FAILED)
    assert assert_ok(api.get_node_histories(harness.runtime, fail.id)) == []
    assert_ok(api.retry_node(harness.runtime, fail.id, data={"should_fail": False}))
    harness.wait_for_state(root_id, FINISHED)

    (full,) = assert_ok(api.get_node_histories(harness.runtime, fail.id))
    (short,) = assert_ok(api.get_node_short_histories(harness.runtime, fail.id))

    assert set(full) == HISTORY_KEYS and set(short) == SHORT_HISTORY_KEYS
    assert full["node_id"] == short["node_id"] == fail.id
    assert full["loop"] == 1 and full["retry"] == 0 and full["skip"] is False
    assert full["inputs"]["should_fail"] is True and full["outputs"]["_result"] is False
    assert full["started_time"] is not None and full["archived_time"] is not None
    assert assert_ok(api.get_node_histories(harness.runtime, fail.id, loop=2)) == []


# --------------------------------------------------------------------------------------- debug
def test_pipeline_debug_info(harness):
    cb = activity("callback_node")
    data = Data()
    data.inputs["${c}"] = plain("C")
    root_id = harness.start(linear_tree(cb, data=data))
    harness.wait_callback_ready(cb.id)

    info = assert_ok(api.get_pipeline_debug_info(harness.runtime, root_id))

    assert set(info) == {"context_values", "processes"}
    assert "${c}" in {cv.key for cv in info["context_values"]}
    assert info["processes"] and all(p.root_pipeline_id == root_id for p in info["processes"])
    assert any(p.top_pipeline_id == root_id for p in info["processes"])


def test_node_debug_info(harness):
    act = activity("copy_node", x=1)
    harness.run_to_end(linear_tree(act))

    info = assert_ok(api.get_node_debug_info(harness.runtime, act.id))

    assert set(info) == {"node", "data", "state", "err"}
    assert info["node"].id == act.id
    assert info["state"].name == FINISHED
    assert info["data"].inputs["x"].value == 1
    assert info["err"] == []


def test_debug_info_and_data_of_a_node_that_never_ran(harness):
    a, b = activity("empty_node"), activity("empty_node")
    eg = ExclusiveGateway(conditions={0: "1 == 0", 1: "1 == 1"})
    tree, cg = gateway_tree(eg, [a, b])
    harness.run_to_end(tree)

    info = assert_ok(api.get_node_debug_info(harness.runtime, a.id))
    assert info["node"].id == a.id and info["state"] is None and info["err"]
    assert assert_ok(api.get_execution_data_outputs(harness.runtime, a.id)) == {}
    assert assert_ok(api.get_execution_data_inputs(harness.runtime, a.id)) == {}
    assert assert_ok(api.get_children_states(harness.runtime, a.id)) == {}


# ------------------------------------------------------------------------------------- preview
def test_preview_node_inputs(harness):
    act = activity("copy_node", s=splice("${c}-x"), p=plain("raw"))
    data = Data()
    data.inputs["${c}"] = plain("C")
    tree = linear_tree(act, data=data)
    validate_and_process_pipeline(tree)

    preview = assert_ok(api.preview_node_inputs(harness.runtime, tree, act.id))

    assert preview["s"] == "C-x" and preview["p"] == "raw"
    assert harness.state(act.id) is None


def test_preview_node_inputs_inside_a_subprocess(harness):
    inner = activity("copy_node", s=splice("${p}+"))
    sub = subprocess(inner, params={"${p}": splice("${c}!")})
    data = Data()
    data.inputs["${c}"] = plain("C")
    tree = linear_tree(sub, data=data)
    validate_and_process_pipeline(tree)

    preview = assert_ok(api.preview_node_inputs(harness.runtime, tree, inner.id, subprocess_stack=[sub.id]))

    assert preview["s"] == "C!+"


def test_preview_node_inputs_with_lazy_variables(harness):
    act = activity("copy_node", lazy_in=Var(type=Var.LAZY, value="${c}", custom_type=UpperVariable.code))
    data = Data()
    data.inputs["${c}"] = plain("c")
    tree = linear_tree(act, data=data)
    validate_and_process_pipeline(tree)

    result = api.preview_node_inputs(harness.runtime, tree, act.id, root_pipeline_data={"operator": "bob"})

    assert assert_ok(result)["lazy_in"] == "C@bob"


def test_preview_node_inputs_of_a_gateway_is_refused(harness):
    pg = ParallelGateway()
    tree, cg = gateway_tree(pg, [activity("empty_node"), activity("empty_node")])
    validate_and_process_pipeline(tree)

    result = api.preview_node_inputs(harness.runtime, tree, pg.id)

    assert result.result is False and isinstance(result.exc, EngineException)


# --------------------------------------------------------------------------------- time, context
def test_execution_time(harness):
    act = activity("empty_node")
    root_id = harness.run_to_end(linear_tree(act))

    for node_id, getter in (
        (root_id, api.get_pipeline_execution_time),
        (act.id, api.get_node_execution_time),
    ):
        data = assert_ok(getter(harness.runtime, node_id))
        assert set(data) == EXECUTION_TIME_KEYS
        assert data["state"] == FINISHED
        assert data["start_time"] is not None and data["archived_time"] is not None
        assert isinstance(data["execution_time"], float) and data["execution_time"] >= 0


def test_execution_time_of_a_running_pipeline(harness):
    cb = activity("callback_node")
    root_id = harness.start(linear_tree(cb))
    harness.wait_callback_ready(cb.id)

    data = assert_ok(api.get_pipeline_execution_time(harness.runtime, root_id))

    assert data["state"] == RUNNING and data["archived_time"] is None
    assert data["execution_time"] >= 0


def test_update_context_values_is_seen_by_later_nodes(harness):
    cb, reader = activity("callback_node"), activity("copy_node", seen=splice("${c}"), both=splice("${d}"))
    data = Data()
    data.inputs["${c}"] = plain("old")
    data.inputs["${d}"] = splice("${c}+")
    root_id = harness.start(linear_tree(cb, reader, data=data))
    harness.wait_callback_ready(cb.id)

    new_value = ContextValue(key="${c}", type=ContextValueType.PLAIN, value="new")
    assert_ok(api.update_context_values(harness.runtime, root_id, [new_value]))
    harness.callback(cb.id, {})
    harness.wait_for_state(root_id, FINISHED)

    assert harness.outputs(reader.id)["seen"] == "new"
    assert harness.outputs(reader.id)["both"] == "new+"


def test_update_of_an_unknown_context_key_is_refused(harness):
    cb = activity("callback_node")
    root_id = harness.start(linear_tree(cb))
    harness.wait_callback_ready(cb.id)

    unknown = ContextValue(key="${nowhere}", type=ContextValueType.PLAIN, value=1)
    result = api.update_context_values(harness.runtime, root_id, [unknown])

    assert result.result is False
    assert "${nowhere}" not in harness.context(root_id)


# ---------------------------------------------------------------------------------- api result
def test_api_result_shapes(harness):
    ok = api.get_pipeline_states(harness.runtime, "p" + "0" * 32)
    failed = api.pause_pipeline(harness.runtime, "p" + "0" * 32)

    assert (ok.result, ok.message, ok.exc, ok.data) == (True, "success", None, {})
    assert failed.result is False and failed.message == "fail" and failed.data is None
    assert isinstance(failed.exc, EngineException) and failed.exc_trace
