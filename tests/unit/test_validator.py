"""Validator: valid shapes, annotations, every rejection type, start-node helpers."""

import copy

import pytest

from bamboo_engine.exceptions import (
    ConnectionValidateError,
    ConvergeMatchError,
    IsolateNodeError,
    StartPositionInvalidException,
    StreamValidateError,
    TreeInvalidException,
)
from bamboo_engine.validator import (
    get_allowed_start_node_ids,
    rules,
    validate_and_process_pipeline,
    validate_pipeline_start_node,
)
from bamboo_engine.validator.api import add_sink_type, get_skipped_execute_node_ids
from tests.trees import chain, linear_pipeline, make_tree, normal_pipeline_elements, parallel_pipeline


def converge_ids(tree):
    return {
        gid: g.get("converge_gateway_id")
        for gid, g in tree["gateways"].items()
        if g["type"] != "ConvergeGateway"
    }


def validated(edges, cycle_tolerate=False, **kwargs):
    tree = make_tree(edges, **kwargs)
    validate_and_process_pipeline(tree, cycle_tolerate=cycle_tolerate)
    return tree


# ---------------------------------------------------------------- valid trees and annotations


def test_reference_pipeline_gets_converge_ids_and_list_incoming():
    el = normal_pipeline_elements()
    tree = el.tree
    validate_and_process_pipeline(tree)
    assert tree["gateways"][el.pg.id]["converge_gateway_id"] == el.cg_1.id
    assert tree["gateways"][el.eg.id]["converge_gateway_id"] == el.cg_2.id
    assert "converge_gateway_id" not in tree["gateways"][el.cg_1.id]
    child = tree["activities"][el.sub.id]["pipeline"]
    assert isinstance(child["end_event"]["incoming"], list)
    assert tree["start_event"]["incoming"] == ""


def test_nested_gateways():
    tree = validated(
        chain("start", "pg", "a", "eg", "b", "cg2", "cg", "end")
        + [("pg", "cpg"), ("cpg", "c"), ("cpg", "d"), ("c", "cg3"), ("d", "cg3"), ("cg3", "cg")]
        + [("eg", "e"), ("e", "cg2")]
    )
    assert converge_ids(tree) == {"pg": "cg", "eg": "cg2", "cpg": "cg3"}


def test_parallel_pipeline_matches_its_converge():
    tree = parallel_pipeline(branch_nums=20, branch_length=3)
    validate_and_process_pipeline(tree)
    (pg,) = [g for g in tree["gateways"].values() if g["type"] == "ParallelGateway"]
    (cg,) = [g for g in tree["gateways"].values() if g["type"] == "ConvergeGateway"]
    assert pg["converge_gateway_id"] == cg["id"]


def test_exclusive_branches_converging_and_one_to_the_end_event():
    tree = validated(chain("start", "eg", "a", "cg", "end") + [("eg", "b"), ("b", "end")])
    assert converge_ids(tree) == {"eg": "cg"}
    tree = validated(chain("start", "eg", "a", "end") + [("eg", "b"), ("b", "end")])
    assert converge_ids(tree) == {"eg": None}


def test_exclusive_inside_parallel_may_use_the_parallel_converge():
    tree = validated(
        chain("start", "pg", "a", "cg", "end")
        + [("pg", "eg"), ("eg", "b"), ("eg", "c")]
        + [("b", "cg"), ("c", "cg")]
    )
    assert converge_ids(tree) == {"pg": "cg", "eg": None}


def test_parallel_inside_exclusive_branch_and_nested_exclusives():
    tree = validated(
        chain("start", "eg", "pg", "a", "cg", "end") + [("pg", "b"), ("b", "cg"), ("eg", "c"), ("c", "end")]
    )
    assert converge_ids(tree) == {"eg": None, "pg": "cg"}
    tree = validated(
        chain("start", "eg1", "a", "cg", "end")
        + [("eg1", "eg2"), ("eg2", "b"), ("eg2", "c")]
        + [("b", "cg"), ("c", "cg")]
    )
    assert converge_ids(tree) == {"eg1": "cg", "eg2": None}


def test_single_incoming_converge_inside_a_branch_is_passed():
    tree = validated(chain("start", "pg", "a", "cgT", "b", "cg", "end") + [("pg", "c"), ("c", "cg")])
    assert converge_ids(tree) == {"pg": "cg"}


@pytest.mark.parametrize(
    "edges",
    [
        chain("start", "a", "eg", "end") + [("eg", "a")],
        chain("start", "cg", "a", "eg", "end") + [("eg", "cg")],
        chain("start", "pg", "a", "eg", "b", "cg", "end") + [("eg", "a"), ("pg", "c"), ("c", "cg")],
        chain("start", "a", "eg1", "b", "eg2", "end") + [("eg1", "a"), ("eg2", "b")],
    ],
    ids=["to-activity", "to-converge", "inside-parallel-branch", "two-loops"],
)
def test_cycles_need_cycle_tolerate(edges):
    tree = make_tree(edges)
    with pytest.raises(TreeInvalidException, match="cycle"):
        validate_and_process_pipeline(copy.deepcopy(tree))
    validate_and_process_pipeline(tree, cycle_tolerate=True)
    if "pg" in tree["gateways"]:
        assert tree["gateways"]["pg"]["converge_gateway_id"] == "cg"


def test_subprocess_and_subcanvas_are_validated_recursively():
    tree = make_tree(chain("start", "sub1", "subc", "end"), types={"subc": "SubCanvas"})
    child = tree["activities"]["sub1"]["pipeline"]
    child["end_event"]["incoming"] = child["end_event"]["incoming"][
        0
    ]  # string form, as some callers write it
    validate_and_process_pipeline(tree)
    assert child["end_event"]["incoming"] == ["act_sub1->end_sub1"]


def test_string_incoming_is_normalised_to_lists():
    tree = make_tree(chain("start", "a", "end"))
    tree["activities"]["a"]["incoming"] = "start->a"
    tree["end_event"]["incoming"] = "a->end"
    validate_and_process_pipeline(tree)
    assert tree["activities"]["a"]["incoming"] == ["start->a"]
    assert tree["end_event"]["incoming"] == ["a->end"]


def test_large_trees_and_deep_nesting_validate():
    validate_and_process_pipeline(linear_pipeline(10_000))
    edges, previous = [], "start"
    depth = 150
    for level in range(depth):
        edges += [(previous, f"eg{level}"), (f"eg{level}", f"x{level}"), (f"x{level}", f"cg{depth - level}")]
        previous = f"eg{level}"
    edges += [(previous, "core"), ("core", f"cg{1}")]
    for level in range(1, depth):
        edges.append((f"cg{level}", f"cg{level + 1}"))
    edges.append((f"cg{depth}", "end"))
    tree = validated(edges)
    assert tree["gateways"]["eg0"]["converge_gateway_id"] == f"cg{depth}"
    assert tree["gateways"][f"eg{depth - 1}"]["converge_gateway_id"] == "cg1"


# ---------------------------------------------------------------- rejected trees


def _drop(tree, key):
    del tree[key]
    return tree


def _set(path, value):
    def mutate(tree):
        target = tree
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        return tree

    return mutate


def _duplicate_child_id(tree):
    child = tree["activities"]["sub1"]["pipeline"]
    child["activities"]["a"] = dict(child["activities"].pop("act_sub1"), id="a")
    child["flows"]["start_sub1->act_sub1"]["target"] = "a"
    child["flows"]["act_sub1->end_sub1"]["source"] = "a"
    return tree


BASE = chain("start", "a", "eg", "b", "cg", "end") + [("eg", "c"), ("c", "cg")]
STRUCTURE_CASES = [
    ("missing-key", BASE, lambda t: _drop(t, "flows"), ["flows"]),
    ("missing-data", BASE, lambda t: _drop(t, "data"), ["data"]),
    ("flow-to-unknown-node", BASE, _set(["flows", "a->eg", "target"], "ghost"), ["a->eg", "ghost"]),
    ("outgoing-lists-unknown-flow", BASE, _set(["activities", "a", "outgoing"], "nowhere"), ["a", "nowhere"]),
    (
        "incoming-lists-unknown-flow",
        BASE,
        _set(["activities", "b", "incoming"], ["eg->b", "zzz"]),
        ["b", "zzz"],
    ),
    ("flow-missing-from-incoming", BASE, _set(["activities", "b", "incoming"], []), ["eg->b", "b"]),
    ("unknown-activity-type", BASE, _set(["activities", "a", "type"], "Foo"), ["a", "Foo"]),
    ("unknown-gateway-type", BASE, _set(["gateways", "cg", "type"], "MergeGateway"), ["cg", "MergeGateway"]),
    ("bad-start-type", BASE, _set(["start_event", "type"], "ServiceActivity"), ["start", "ServiceActivity"]),
    (
        "duplicate-id",
        BASE,
        _set(["gateways", "a"], {"id": "a", "type": "ConvergeGateway", "incoming": [], "outgoing": ""}),
        ["duplicate id a"],
    ),
    ("key-id-mismatch", BASE, _set(["activities", "b", "id"], "bb"), ["b", "bb"]),
    (
        "condition-for-foreign-flow",
        BASE,
        _set(["gateways", "eg", "conditions", "a->eg"], {"evaluate": "1 == 1"}),
        ["eg", "a->eg"],
    ),
    (
        "subprocess-without-pipeline",
        chain("start", "sub1", "end"),
        _set(["activities", "sub1", "pipeline"], None),
        ["sub1"],
    ),
    ("duplicate-id-in-child", chain("start", "a", "sub1", "end"), _duplicate_child_id, ["duplicate id a"]),
]


@pytest.mark.parametrize(
    "edges, mutate, names", [c[1:] for c in STRUCTURE_CASES], ids=[c[0] for c in STRUCTURE_CASES]
)
def test_structurally_broken_trees(edges, mutate, names):
    tree = mutate(make_tree(edges))
    with pytest.raises(TreeInvalidException) as info:
        validate_and_process_pipeline(tree)
    assert type(info.value) is TreeInvalidException
    for name in names:
        assert name in str(info.value)


CONNECTION_CASES = [
    ("activity-two-outgoing", BASE + [("a", "end")], None, ["a"]),
    ("start-to-end", chain("start", "end"), None, ["start"]),
    ("flow-into-start", BASE + [("c", "start")], None, ["start", "c"]),
    ("end-with-outgoing", chain("start", "a", "end", "b"), None, ["end", "b"]),
    (
        "activity-without-outgoing",
        chain("start", "a", "end") + [("start2", "x")],
        {"start2": "ServiceActivity"},
        ["start2", "x"],
    ),
    ("converge-two-outgoing", BASE + [("cg", "a")], None, ["cg"]),
]


@pytest.mark.parametrize(
    "edges, types, failed", [c[1:] for c in CONNECTION_CASES], ids=[c[0] for c in CONNECTION_CASES]
)
def test_connection_rules(edges, types, failed):
    with pytest.raises(ConnectionValidateError) as info:
        validate_and_process_pipeline(make_tree(edges, types=types))
    assert info.value.failed_nodes == failed
    for node_id in failed:
        assert node_id in str(info.value)


def test_cycle_message_names_the_loop():
    with pytest.raises(TreeInvalidException) as info:
        validate_and_process_pipeline(make_tree(chain("start", "a", "b", "eg", "end") + [("eg", "a")]))
    assert "a -> b -> eg -> a" in str(info.value)


MATCH_CASES = [
    (
        "parallel-branch-to-end",
        chain("start", "pg", "a", "cg", "end") + [("pg", "end")],
        False,
        "pg",
        ["end"],
    ),
    (
        "cpg-branch-to-end",
        chain("start", "cpg", "a", "cg", "end") + [("cpg", "b"), ("b", "end")],
        False,
        "cpg",
        ["end"],
    ),
    (
        "exclusive-in-parallel-to-end",
        chain("start", "pg", "eg", "a", "cg", "end") + [("pg", "c"), ("c", "cg"), ("eg", "end")],
        False,
        "pg",
        ["end", "eg"],
    ),
    (
        "converge-receives-extra-flow",
        chain("start", "eg", "pg", "a", "cg", "end") + [("pg", "b"), ("b", "cg"), ("eg", "c"), ("c", "cg")],
        False,
        "pg",
        ["cg", "3", "2"],
    ),
    (
        "exclusive-meet-at-activity",
        chain("start", "eg", "a", "x", "end") + [("eg", "b"), ("b", "x")],
        False,
        "eg",
        ["x"],
    ),
    (
        "different-converges",
        chain("start", "pg", "eg", "a", "cg1", "cg2", "end")
        + [("eg", "b"), ("b", "cg2"), ("pg", "c"), ("c", "cg1")],
        False,
        "eg",
        ["cg1", "cg2"],
    ),
    (
        "parallel-flow-loops-back",
        chain("start", "x", "pg", "a", "cg", "end") + [("pg", "x")],
        True,
        "pg",
        ["pg->x"],
    ),
]


@pytest.mark.parametrize(
    "edges, tolerate, gateway, names", [c[1:] for c in MATCH_CASES], ids=[c[0] for c in MATCH_CASES]
)
def test_converge_match_errors(edges, tolerate, gateway, names):
    with pytest.raises(ConvergeMatchError) as info:
        validate_and_process_pipeline(make_tree(edges), cycle_tolerate=tolerate)
    assert info.value.gateway_id == gateway
    for name in [gateway, *names]:
        assert name in str(info.value)


STREAM_CASES = [
    (
        "cross-branch-link",
        chain("start", "pg", "a", "b", "cg", "end") + [("pg", "c"), ("c", "b")],
        False,
        "b",
    ),
    (
        "loop-out-of-branch",
        chain("start", "x", "pg", "a", "eg", "b", "cg", "end") + [("eg", "x"), ("pg", "c"), ("c", "cg")],
        True,
        "x",
    ),
    (
        "loop-into-branch",
        chain("start", "pg", "a", "cg", "eg", "end") + [("pg", "b"), ("b", "cg"), ("eg", "a")],
        True,
        "a",
    ),
    (
        "early-merge-of-two-branches",
        chain("start", "pg", "a", "cgm", "cg", "end") + [("pg", "b"), ("b", "cgm"), ("pg", "c"), ("c", "cg")],
        False,
        "cgm",
    ),
]


@pytest.mark.parametrize(
    "edges, tolerate, node_id", [c[1:] for c in STREAM_CASES], ids=[c[0] for c in STREAM_CASES]
)
def test_stream_errors(edges, tolerate, node_id):
    with pytest.raises(StreamValidateError) as info:
        validate_and_process_pipeline(make_tree(edges), cycle_tolerate=tolerate)
    assert info.value.node_id == node_id and node_id in str(info.value)


def test_isolated_nodes():
    tree = make_tree(chain("start", "a", "end") + [("iso1", "iso2"), ("iso2", "iso1")])
    with pytest.raises(IsolateNodeError) as info:
        validate_and_process_pipeline(tree)
    assert "iso1" in str(info.value) and "iso2" in str(info.value)


def test_failed_validation_leaves_the_tree_untouched():
    tree = make_tree(chain("start", "pg", "a", "cg", "sub1", "end") + [("pg", "b"), ("b", "cg")])
    tree["activities"]["a"]["incoming"] = "pg->a"
    child = tree["activities"]["sub1"]["pipeline"]
    child["activities"]["act_sub1"]["type"] = "Unknown"
    before = copy.deepcopy(tree)
    with pytest.raises(TreeInvalidException, match="act_sub1"):
        validate_and_process_pipeline(tree)
    assert tree == before


# ---------------------------------------------------------------- sinks


@pytest.fixture
def restore_rules():
    saved_rules, saved_targets = dict(rules.NODE_RULES), list(rules.FLOW_NODES_WITHOUT_STARTEVENT)
    yield
    rules.NODE_RULES.clear()
    rules.NODE_RULES.update(saved_rules)
    rules.FLOW_NODES_WITHOUT_STARTEVENT[:] = saved_targets


def test_add_sink_type_registers_custom_end_event(restore_rules):
    add_sink_type("MyEndEvent")
    assert rules.NODE_RULES["MyEndEvent"] is rules.SINK_RULE
    assert "MyEndEvent" in rules.ACTIVITY_RULE["allowed_out"]
    tree = make_tree(chain("start", "a", "end"), types={"end": "MyEndEvent"})
    validate_and_process_pipeline(tree)
    assert tree["end_event"]["type"] == "MyEndEvent"


def test_rule_constants():
    assert rules.MAX_IN == rules.MAX_OUT == 1000
    assert rules.NODE_RULES["EmptyStartEvent"] is rules.SOURCE_RULE
    assert rules.NODE_RULES["ConvergeGateway"] is rules.CONVERGE_RULE
    assert rules.NODE_RULES["ParallelGateway"] is rules.EMIT_RULE
    assert "EmptyEndEvent" not in rules.FLOW_NODES_WITHOUT_START_AND_END
    assert "EmptyStartEvent" not in rules.FLOW_NODES_WITHOUT_STARTEVENT


# ---------------------------------------------------------------- start-node helpers


def test_allowed_start_nodes_of_reference_pipeline():
    el = normal_pipeline_elements()
    expected = [el.start, el.act_1, el.act_2, el.sub, el.pg, el.eg, el.act_6, el.act_7]
    assert sorted(get_allowed_start_node_ids(el.tree)) == sorted(e.id for e in expected)
    validate_pipeline_start_node(el.tree, el.act_6.id)
    for bad in (el.act_3.id, el.cg_1.id, el.sub_act_1.id, el.end.id, "missing"):
        with pytest.raises(StartPositionInvalidException, match=bad):
            validate_pipeline_start_node(el.tree, bad)


def test_skipped_nodes():
    tree = make_tree(chain("start", "a", "eg", "b", "cg", "end") + [("eg", "c"), ("c", "cg")])
    assert get_skipped_execute_node_ids(tree, "start") == []
    assert get_skipped_execute_node_ids(tree, "b") == ["start", "a", "eg", "c"]
    assert get_skipped_execute_node_ids(tree, "eg") == ["start", "a"]
    with pytest.raises(StartPositionInvalidException, match="cg"):
        get_skipped_execute_node_ids(tree, "cg")
    assert get_skipped_execute_node_ids(tree, "cg", validate=False) == ["start", "a", "eg", "b", "c"]


def test_skipped_nodes_with_a_loop_keep_reachable_ones():
    tree = make_tree(chain("start", "a", "b", "eg", "end") + [("eg", "a")])
    assert get_skipped_execute_node_ids(tree, "b") == ["start"]


def test_unregistered_custom_end_event_type_is_accepted_as_sink():
    tree = make_tree(chain("start", "a", "end"), types={"end": "SomeExecutableEnd"})
    validate_and_process_pipeline(tree)
    assert tree["end_event"]["incoming"] == ["a->end"]


def test_validation_is_idempotent():
    el = normal_pipeline_elements()
    validate_and_process_pipeline(el.tree)
    once = copy.deepcopy(el.tree)
    validate_and_process_pipeline(el.tree)
    assert el.tree == once


def test_allowed_start_nodes_with_exclusive_branches_and_loops():
    edges = chain("start", "a", "eg", "b", "cg", "pg", "c", "cg2", "end")
    edges += [("eg", "d"), ("d", "cg"), ("pg", "e"), ("e", "cg2"), ("eg", "a")]
    tree = make_tree(edges)
    assert sorted(get_allowed_start_node_ids(tree)) == sorted(["start", "a", "eg", "b", "d", "pg"])
