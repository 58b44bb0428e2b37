"""Contract: what plugins store in their data comes back as stored; what cannot be stored fails the node.

Values JSON has no type for (datetimes, Decimals, sets, ...) go through execution data, the next poll
and the context; a value no runtime stores (an object, a lambda; pickle off) fails its node through the
normal failure path with ``ex_data`` naming the node, the key and the type, and nothing raises out of
the worker's task.
"""

import datetime

import pytest

from bamboo_engine.builder import Data, NodeOutput, Var
from bamboo_engine.eri import ContextValue, ContextValueType, ExecutionData
from tests.contract.services import plugin_values, same_value
from tests.contract.trees import activity, linear_tree, splice

pytestmark = pytest.mark.contract

FAILED = "FAILED"


def output_of(node, key):
    return NodeOutput(source_act=node.id, source_key=key, type=Var.PLAIN)


def test_datetimes_and_friends_survive_execute_poll_and_context(harness):
    timer = activity("due_time_node")
    reader = activity("copy_node", due=splice("${due}"), amount=splice("${amount}"))
    data = Data()
    data.inputs["${due}"] = output_of(timer, "due")
    data.inputs["${amount}"] = output_of(timer, "amount")

    root_id = harness.run_to_end(linear_tree(timer, reader, data=data))

    outputs = harness.outputs(timer.id)
    for key, expected in plugin_values().items():
        assert same_value(outputs[key], expected), (key, outputs[key], expected)
    assert isinstance(outputs["due"], datetime.datetime)
    assert same_value(harness.outputs(reader.id)["due"], outputs["due"])
    assert same_value(harness.context(root_id)["${amount}"], plugin_values()["amount"])


def test_an_unstorable_output_of_execute_fails_the_node_naming_key_and_type(harness):
    act = activity("unstorable_node")
    root_id = harness.start(linear_tree(act))

    harness.wait_for_state(act.id, FAILED)
    harness.run_until_idle()

    outputs = harness.outputs(act.id)
    assert outputs["ex_data"].startswith(
        f"node({act.id}) failed to store its data: outputs.result.items[2] of type "
        "tests.contract.services.OpaqueHandle cannot be stored"
    )
    assert outputs["kept"] == datetime.date(2024, 5, 1) and "result" not in outputs
    assert outputs["_result"] is False
    assert harness.state_name(root_id) == "RUNNING"  # the process sleeps at the failed node
    assert harness.runtime.get_sleep_process_info_with_current_node_id(act.id) is not None


def test_an_unstorable_output_of_schedule_fails_the_node_naming_key_and_type(harness):
    act = activity("unstorable_poll_node")
    harness.start(linear_tree(act))

    harness.wait_for_state(act.id, FAILED)
    harness.run_until_idle()

    outputs = harness.outputs(act.id)
    assert outputs["ex_data"].startswith(
        f"node({act.id}) failed to store its data: outputs.on_done of type function cannot be stored"
    )
    assert (outputs["polls"], outputs["_result"]) == (1, False)
    assert harness.runtime.get_sleep_process_info_with_current_node_id(act.id) is not None


# ---------------------------------------------------------------------------- the runtime's writers


def test_execution_data_context_and_histories_store_them(harness):
    runtime, values = harness.runtime, plugin_values()
    node_id, pipeline_id = "n" + "0" * 31 + "1", "p" + "0" * 31 + "1"
    runtime.set_execution_data(node_id, ExecutionData(inputs={"in": values["span"]}, outputs=dict(values)))
    runtime.set_execution_data_outputs(node_id, {"only": values["pair"]})
    runtime.set_execution_data_inputs(node_id, {"again": values["amount"]})
    stored = runtime.get_execution_data(node_id)
    assert same_value(stored.inputs["again"], values["amount"]) and same_value(
        stored.outputs["only"], values["pair"]
    )

    runtime.upsert_plain_context_values(
        pipeline_id, {"${at}": ContextValue("${at}", ContextValueType.PLAIN, values["zoned"])}
    )
    runtime.update_context_values(
        pipeline_id, [ContextValue("${at}", ContextValueType.PLAIN, values["tags"])]
    )
    assert same_value(harness.context(pipeline_id)["${at}"], values["tags"])

    now = datetime.datetime.now(datetime.UTC)
    runtime.add_history(node_id, now, now, 1, False, 0, "v1", {"in": values["uid"]}, dict(values))
    (history,) = runtime.get_histories(node_id)
    assert same_value(history.inputs["in"], values["uid"])
    for key, expected in values.items():
        assert same_value(history.outputs[key], expected), key
