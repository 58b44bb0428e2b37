"""Contract: a lazy variable whose ``get_value()`` raises fails the node that needs it.

Every place that resolves context values for a node (activity inputs, SubProcess params, gateway
conditions, pre-render keys, pipeline outputs) fails that node with ``ex_data`` naming the error; the
node never runs with the variable's unresolved source value. (A direct ``LazyVariable.get()`` call
still falls back to the raw value; that is no pipeline run.)
"""

import pytest

from bamboo_engine.builder import (
    ConditionalParallelGateway,
    Data,
    EmptyEndEvent,
    EmptyStartEvent,
    ExclusiveGateway,
    Var,
    build_tree,
)
from tests.contract.services import VARIABLE_RAISE_MESSAGE, RaisingVariable
from tests.contract.trees import activity, gateway_tree, linear_tree, plain, splice, subprocess

pytestmark = pytest.mark.contract

FAILED, RUNNING = "FAILED", "RUNNING"


def raising_data(**extra):
    """Root data with ``${bad}``, a lazy variable that raises, and plain ``extra`` constants."""
    data = Data()
    data.inputs["${p}"] = plain("x")
    data.inputs["${bad}"] = Var(type=Var.LAZY, value="${p}-raw", custom_type=RaisingVariable.code)
    for key, value in extra.items():
        data.inputs["${" + key + "}"] = plain(value)
    return data


def test_activity_inputs(harness):
    act = activity("copy_node", seen=splice("${bad}"), kept="as is")
    root_id = harness.start(linear_tree(act, data=raising_data()))

    harness.wait_for_state(act.id, FAILED)

    outputs = harness.outputs(act.id)
    assert (
        outputs["ex_data"] == f"inputs hydrate failed({VARIABLE_RAISE_MESSAGE}), check node log for details"
    )
    assert outputs["_result"] is False
    assert "seen" not in outputs
    assert harness.inputs(act.id) == {"kept": "as is"}
    assert harness.state_name(root_id) == RUNNING


def test_subprocess_params(harness):
    inner = activity("copy_node", seen=splice("${q}"))
    sub = subprocess(inner, params={"${q}": splice("${bad}")})
    harness.start(linear_tree(sub, data=raising_data()))

    harness.wait_for_state(sub.id, FAILED)
    harness.run_until_idle()

    expected = f"context hydrate failed({VARIABLE_RAISE_MESSAGE}), check node log for details."
    assert harness.outputs(sub.id)["ex_data"] == expected
    assert harness.inputs(sub.id) == {}
    assert harness.state(inner.id) is None


@pytest.mark.parametrize("gateway_cls", [ExclusiveGateway, ConditionalParallelGateway])
def test_gateway_conditions(harness, gateway_cls):
    a, b = activity("empty_node"), activity("empty_node")
    gateway = gateway_cls(conditions={0: "${bad} == 1", 1: "1 == 1"})
    tree, _ = gateway_tree(gateway, [a, b], data=raising_data())
    harness.start(tree)

    harness.wait_for_state(gateway.id, FAILED)
    harness.run_until_idle()

    expected = f"evaluation context hydrate failed({VARIABLE_RAISE_MESSAGE}), check node log for details."
    assert harness.outputs(gateway.id)["ex_data"] == expected
    assert harness.state(a.id) is None and harness.state(b.id) is None


def test_pre_render_keys(harness):
    data = raising_data()
    data.pre_render_keys = ["${bad}"]
    start = EmptyStartEvent()
    act = activity("copy_node", seen=splice("${bad}"))
    start.extend(act).extend(EmptyEndEvent())
    harness.start(build_tree(start, data=data))

    harness.wait_for_state(start.id, FAILED)
    harness.run_until_idle()

    expected = f"context hydrate failed({VARIABLE_RAISE_MESSAGE}), check node log for details."
    assert harness.outputs(start.id)["ex_data"] == expected
    assert harness.state(act.id) is None


def test_pipeline_outputs(harness):
    data = raising_data()
    data.outputs = ["${bad}"]
    tree = linear_tree(activity("empty_node"), data=data)
    end_id = tree["end_event"]["id"]
    root_id = harness.start(tree)

    harness.wait_for_state(end_id, FAILED)
    harness.run_until_idle()

    ex_data = harness.outputs(end_id)["ex_data"]
    assert ex_data.startswith("pipeline outputs hydrate failed(") and VARIABLE_RAISE_MESSAGE in ex_data
    assert harness.state_name(root_id) == RUNNING
