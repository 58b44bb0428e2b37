"""Engine-side names kept for projects written against upstream: they import and behave."""

import socket

import pytest

from bamboo_engine.builder import Data, NodeOutput, Var
from bamboo_engine.config import ExclusiveGatewayStrategy, Settings
from bamboo_engine.metrics import HOST_NAME
from bamboo_engine.utils import constants
from bamboo_engine.utils.host import get_hostname
from bamboo_engine.utils.mako_utils.checker import ForbiddenMakoTemplateException, check_mako_template_safety
from bamboo_engine.utils.tree_ids import replace_all_ids
from bamboo_engine.validator import validate_and_process_pipeline
from tests.contract.trees import activity, gateway_tree, linear_tree, subprocess


def test_get_hostname_is_the_metrics_hostname():
    assert get_hostname() == socket.gethostname() == HOST_NAME


def test_exclusive_gateway_strategy_is_the_constants_enum():
    assert ExclusiveGatewayStrategy is constants.ExclusiveGatewayStrategy
    assert ExclusiveGatewayStrategy.ONLY.value == Settings.PIPELINE_EXCLUSIVE_GATEWAY_STRATEGY


@pytest.mark.parametrize("text", ["plain", "${a + 1}", "${x['k']} and ${y | h}", "100% sure"])
def test_checker_accepts_what_the_sandbox_renders(text):
    assert check_mako_template_safety(text, object(), object()) is True


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("${__import__('os')}", "__import__"),
        ("${a.__class__}", "__class__"),
        ("<% import os %>", "<%"),
        ("% for x in y:\nhi\n% endfor", "control"),
        ("ok ${os.system('id')}", "system"),
    ],
)
def test_checker_raises_naming_what_the_sandbox_refuses(text, named):
    with pytest.raises(ForbiddenMakoTemplateException, match=named):
        check_mako_template_safety(text)


def _all_ids(tree, found=None):
    found = set() if found is None else found
    found.add(tree["id"])
    for key in ("start_event", "end_event"):
        found.add(tree[key]["id"])
    for group in ("activities", "gateways", "flows"):
        for element_id, element in tree[group].items():
            found.add(element_id)
            if "pipeline" in element:
                _all_ids(element["pipeline"], found)
    return found


def test_replace_all_ids_gives_a_valid_tree_with_no_old_id_left():
    first = activity("debug_node")
    data = Data()
    data.inputs["${out}"] = NodeOutput(source_act=first.id, source_key="k", type=Var.PLAIN)
    tree = linear_tree(first, subprocess(activity("debug_node")), activity("debug_node"), data=data)
    original_text = repr(tree)

    copy, mapping = replace_all_ids(tree)

    assert repr(tree) == original_text  # the input is untouched
    old_ids = _all_ids(tree)
    assert set(mapping) == old_ids and not old_ids & set(mapping.values())
    assert not any(old_id in repr(copy) for old_id in old_ids)
    assert copy["data"]["inputs"]["${out}"]["source_act"] == mapping[first.id]
    validate_and_process_pipeline(copy)


def test_replace_all_ids_rewrites_gateway_conditions():
    from bamboo_engine.builder import ExclusiveGateway

    gateway = ExclusiveGateway(conditions={0: "1 == 1", 1: "1 == 0"})
    tree, _ = gateway_tree(gateway, [activity("debug_node"), activity("debug_node")])
    validate_and_process_pipeline(tree)  # adds converge_gateway_id
    copy, mapping = replace_all_ids(tree)
    old_gateway = tree["gateways"][gateway.id]
    new_gateway = copy["gateways"][mapping[gateway.id]]
    assert set(new_gateway["conditions"]) == {mapping[flow_id] for flow_id in old_gateway["conditions"]}
    assert new_gateway["converge_gateway_id"] == mapping[old_gateway["converge_gateway_id"]]
    validate_and_process_pipeline(copy)
