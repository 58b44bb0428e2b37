"""Contract: how data moves between constants, nodes, subprocesses and the context."""

import pytest

from bamboo_engine.builder import (
    Data,
    DataInput,
    InitializedRewritableNodeOutput,
    NodeOutput,
    RewritableNodeOutput,
    Var,
)
from bamboo_engine.eri import ContextValueType
from tests.contract.services import UNREGISTERED_VARIABLE, UpperVariable
from tests.contract.trees import activity, linear_tree, plain, splice, subprocess

pytestmark = pytest.mark.contract

FINISHED, FAILED = "FINISHED", "FAILED"


def lazy(value, code=UpperVariable.code):
    return Var(type=Var.LAZY, value=value, custom_type=code)


def output_of(node, key):
    return NodeOutput(source_act=node.id, source_key=key, type=Var.PLAIN)


# ------------------------------------------------------------------------------------ constants
def test_node_references_constants(harness):
    data = Data()
    data.inputs["${c}"] = plain(42)
    data.inputs["${s}"] = plain("world")
    data.inputs["${obj}"] = plain({"k": [1, 2]})
    act = activity(
        "copy_node",
        whole=splice("${c}"),
        text=splice("hello ${s}"),
        expr=splice("${c + 1}"),
        obj=splice("${obj}"),
        method=splice("${s.upper()}"),
        literal=plain("${s}"),
    )

    harness.run_to_end(linear_tree(act, data=data))

    outputs = harness.outputs(act.id)
    assert outputs["whole"] == 42
    assert outputs["text"] == "hello world"
    assert outputs["expr"] == "43"
    assert outputs["obj"] == {"k": [1, 2]}
    assert outputs["method"] == "WORLD"
    assert outputs["literal"] == "${s}"


def test_undefined_reference_is_left_unrendered(harness):
    act = activity("copy_node", text=splice("value: ${nowhere}"))

    harness.run_to_end(linear_tree(act))

    assert harness.outputs(act.id)["text"] == "value: ${nowhere}"


def test_node_references_another_nodes_output(harness):
    producer = activity("copy_node", x=5)
    consumer = activity("copy_node", y=splice("${px}"), z=splice("${px * 2}"))
    data = Data()
    data.inputs["${px}"] = output_of(producer, "x")

    root_id = harness.run_to_end(linear_tree(producer, consumer, data=data))

    assert harness.outputs(consumer.id)["y"] == 5
    assert harness.outputs(consumer.id)["z"] == "10"
    assert harness.context(root_id)["${px}"] == 5


def test_rewritable_output_last_finisher_wins(harness):
    first, second = activity("copy_node", val="first"), activity("copy_node", val="second")
    read_1, read_2 = activity("copy_node", seen=splice("${r}")), activity("copy_node", seen=splice("${r}"))
    data = Data()
    data.inputs["${r}"] = RewritableNodeOutput(
        source_act=[
            {"source_act": first.id, "source_key": "val"},
            {"source_act": second.id, "source_key": "val"},
        ],
        type=Var.PLAIN,
    )

    harness.run_to_end(linear_tree(first, read_1, second, read_2, data=data))

    assert harness.outputs(read_1.id)["seen"] == "first"
    assert harness.outputs(read_2.id)["seen"] == "second"


def test_initialized_rewritable_output_has_a_value_before_the_producer_runs(harness):
    producer = activity("copy_node", val="produced")
    before, after = activity("copy_node", seen=splice("${r}")), activity("copy_node", seen=splice("${r}"))
    data = Data()
    data.inputs["${r}"] = InitializedRewritableNodeOutput(
        source_act=[{"source_act": producer.id, "source_key": "val"}], type=Var.PLAIN, value="initial"
    )

    harness.run_to_end(linear_tree(before, producer, after, data=data))

    assert harness.outputs(before.id)["seen"] == "initial"
    assert harness.outputs(after.id)["seen"] == "produced"


def test_failed_node_outputs_still_reach_the_context(harness):
    fail = activity("fail_node", x=7)
    data = Data()
    data.inputs["${fx}"] = output_of(fail, "x")
    root_id = harness.start(linear_tree(fail, data=data))

    harness.wait_for_state(fail.id, FAILED)

    assert harness.context(root_id)["${fx}"] == 7


# ------------------------------------------------------------------------------------ subprocess
def subprocess_data_tree(params):
    """root(${root_c}) → SUB(c1 → c2, exports ${c2_val}) → reader(${exported})."""
    c1 = activity("copy_node", val=splice("${p}-c1"))
    c2 = activity("copy_node", val=splice("${c1_val}+c2"))
    child_data = Data(outputs=["${c2_val}"])
    child_data.inputs["${p}"] = DataInput(type=Var.PLAIN, value="default")
    child_data.inputs["${c1_val}"] = output_of(c1, "val")
    child_data.inputs["${c2_val}"] = output_of(c2, "val")
    sub = subprocess(c1, c2, data=child_data, params=params)
    reader = activity("copy_node", seen=splice("${exported}"))
    root_data = Data()
    root_data.inputs["${root_c}"] = plain("R")
    root_data.inputs["${exported}"] = NodeOutput(source_act=sub.id, source_key="${c2_val}", type=Var.PLAIN)
    return linear_tree(sub, reader, data=root_data), sub, c1, c2, reader


def test_subprocess_params_own_outputs_and_exports(harness):
    tree, sub, c1, c2, reader = subprocess_data_tree({"${p}": splice("${root_c}")})

    root_id = harness.run_to_end(tree)

    assert harness.outputs(c1.id)["val"] == "R-c1"
    assert harness.outputs(c2.id)["val"] == "R-c1+c2"
    assert harness.outputs(reader.id)["seen"] == "R-c1+c2"
    assert harness.context(root_id)["${exported}"] == "R-c1+c2"
    assert harness.context(sub.id)["${p}"] == "R"


def test_subprocess_uses_its_defaults_without_params(harness):
    tree, sub, c1, c2, reader = subprocess_data_tree({})

    harness.run_to_end(tree)

    assert harness.outputs(reader.id)["seen"] == "default-c1+c2"


def test_subprocess_params_are_its_execution_inputs(harness):
    tree, sub, c1, c2, reader = subprocess_data_tree({"${p}": splice("${root_c}")})

    harness.run_to_end(tree)

    assert "R" in harness.inputs(sub.id).values()


# ------------------------------------------------------------------------------- run options
def test_root_pipeline_data_is_the_services_parent_data(harness):
    act = activity("copy_node")

    harness.run_to_end(linear_tree(act), root_pipeline_data={"operator": "alice"})

    assert harness.outputs(act.id)["parent_operator"] == "alice"


def test_root_and_subprocess_context_options(harness):
    root_act = activity("copy_node", seen=splice("${rc}"))
    child_act = activity("copy_node", seen=splice("${sc}"))
    tree = linear_tree(root_act, subprocess(child_act))

    harness.run_to_end(
        tree, root_pipeline_context={"${rc}": "root-opt"}, subprocess_context={"${sc}": "sub-opt"}
    )

    assert harness.outputs(root_act.id)["seen"] == "root-opt"
    assert harness.outputs(child_act.id)["seen"] == "sub-opt"


# ---------------------------------------------------------------------------------- variables
def test_every_variable_kind(harness):
    data = Data()
    data.inputs["${p}"] = plain("x")
    data.inputs["${s}"] = splice("${p}-spliced")
    data.inputs["${s2}"] = splice("[${s}]")
    data.inputs["${l}"] = lazy("${p}")
    act = activity(
        "copy_node",
        plain_in=plain("raw"),
        splice_in=splice("${s2}"),
        lazy_ref=splice("${l}"),
        lazy_in=lazy("${p}y"),
    )
    tree = linear_tree(act, data=data)

    root_id = harness.run_to_end(tree, root_pipeline_data={"operator": "alice"})

    outputs = harness.outputs(act.id)
    assert outputs["plain_in"] == "raw"
    assert outputs["splice_in"] == "[x-spliced]"
    assert outputs["lazy_ref"] == "X@alice"
    assert outputs["lazy_in"] == "XY@alice"
    lazy_key = "${lazy_in_" + act.id + "}"
    values = {cv.key: cv for cv in harness.runtime.get_context(root_id)}
    assert values[lazy_key].type == ContextValueType.COMPUTE
    assert values[lazy_key].code == UpperVariable.code
    assert values["${s}"].type == ContextValueType.SPLICE
    assert values["${p}"].type == ContextValueType.PLAIN
    assert harness.runtime.get_data_inputs(act.id)["lazy_in"].value == lazy_key


def test_explicit_need_render_false_keeps_the_template(harness):
    data = Data()
    data.inputs["${c}"] = plain("C")
    act = activity("copy_node", kept=splice("${c}"), rendered=splice("${c}"))
    tree = linear_tree(act, data=data)
    tree["activities"][act.id]["component"]["inputs"]["kept"]["need_render"] = False

    harness.run_to_end(tree)

    outputs = harness.outputs(act.id)
    assert outputs["kept"] == "${c}" and outputs["rendered"] == "C"


def test_unsafe_templates_stay_inert(harness):
    data = Data()
    data.inputs["${s}"] = plain("text")
    act = activity(
        "copy_node",
        dunder=splice("${s.__class__}"),
        imported=splice("${__import__('os').getcwd()}"),
        safe=splice("${s.upper()}"),
    )

    harness.run_to_end(linear_tree(act, data=data))

    outputs = harness.outputs(act.id)
    assert outputs["dunder"] == "${s.__class__}"
    assert outputs["imported"] == "${__import__('os').getcwd()}"
    assert outputs["safe"] == "TEXT"


def test_input_hydrate_failure_fails_the_node(harness):
    data = Data()
    data.inputs["${bad}"] = lazy("v", code=UNREGISTERED_VARIABLE)
    act = activity("copy_node", x=splice("${bad}"))
    harness.start(linear_tree(act, data=data))

    harness.wait_for_state(act.id, FAILED)

    ex_data = harness.outputs(act.id)["ex_data"]
    assert ex_data.startswith("inputs hydrate failed(")
    assert ex_data.endswith("check node log for details")


def test_unresolvable_pipeline_outputs_fail_the_end_event(harness):
    data = Data(outputs=["${bad}"])
    data.inputs["${bad}"] = lazy("v", code=UNREGISTERED_VARIABLE)
    tree = linear_tree(activity("empty_node"), data=data)
    end_id = tree["end_event"]["id"]
    root_id = harness.start(tree)

    harness.wait_for_state(end_id, FAILED)
    harness.run_until_idle()

    assert harness.outputs(end_id).get("ex_data")
    assert harness.state_name(root_id) == "RUNNING"


def test_pre_render_keys_are_frozen_as_plain_at_the_start_event(harness):
    data = Data(pre_render_keys=["${pre}"])
    data.inputs["${p}"] = plain("x")
    data.inputs["${pre}"] = splice("${p}-pre")
    act = activity("copy_node", seen=splice("${pre}"))

    root_id = harness.run_to_end(linear_tree(act, data=data))

    (value,) = harness.runtime.get_context_values(root_id, {"${pre}"})
    assert value.type == ContextValueType.PLAIN and value.value == "x-pre"
    assert harness.outputs(act.id)["seen"] == "x-pre"
