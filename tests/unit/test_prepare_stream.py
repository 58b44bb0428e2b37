"""``bamboo_engine.prepare.stream_pipeline``: the records of ``prepare_pipeline``, built while consumed."""

import copy

import pytest

from bamboo_engine.exceptions import TreeInvalidException
from bamboo_engine.prepare import prepare_pipeline, stream_pipeline
from bamboo_engine.validator import validate_and_process_pipeline
from tests.trees import normal_pipeline
from tests.unit.test_prepare import ACT, linear_tree

LAZY_AND_OUTPUTS = linear_tree(
    act_inputs={"lazy_in": {"type": "lazy", "value": "${x}-${y}", "custom_type": "upper"}},
    data={
        "inputs": {
            "${x}": {"type": "plain", "value": 1},
            "${y}": {"type": "splice", "value": "${x}+1"},
            "${out}": {"type": "plain", "source_act": ACT, "source_key": "copied", "value": None},
        },
        "outputs": ["${x}"],
        "pre_render_keys": ["${x}"],
    },
)


def _records(prepared):
    return (
        prepared.root_pipeline_id,
        prepared.pipeline_ids,
        prepared.nodes,
        prepared.data,
        prepared.context_values,
        prepared.context_outputs,
        prepared.pipeline_stack,
    )


@pytest.mark.parametrize("tree", [normal_pipeline(), LAZY_AND_OUTPUTS], ids=["subprocess", "lazy+outputs"])
def test_streamed_records_equal_prepare_pipeline(tree):
    tree = copy.deepcopy(tree)
    validate_and_process_pipeline(tree)
    args = (tree, {"root": 1}, {"${ctx}": 2}, {"${sub}": 3})
    expected = prepare_pipeline(*args)
    prepared, nodes = stream_pipeline(*args)
    assert prepared.nodes == {}, "nothing is built before the first next()"
    yielded = list(nodes)
    assert _records(prepared) == _records(expected)
    assert [node.id for node in yielded] == list(expected.nodes)
    assert all(prepared.nodes[node.id] is node for node in yielded)


def test_each_node_is_final_when_it_is_yielded():
    tree = copy.deepcopy(normal_pipeline())
    validate_and_process_pipeline(tree)
    prepared, nodes = stream_pipeline(tree)
    snapshots = [copy.deepcopy(node) for node in nodes]
    assert snapshots == [prepared.nodes[node.id] for node in snapshots]


def test_a_malformed_node_fails_the_iterator():
    tree = copy.deepcopy(LAZY_AND_OUTPUTS)
    validate_and_process_pipeline(tree)
    tree["activities"][ACT]["component"]["inputs"]["broken"] = "not a dict"
    prepared, nodes = stream_pipeline(tree)
    with pytest.raises(TreeInvalidException, match="broken"):
        list(nodes)
