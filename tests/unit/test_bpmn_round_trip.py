"""tree → BPMN → tree is the identity, and every export validates against the BPMN 2.0 XSD (docs/bpmn.md)."""

import copy
import random

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
    Params,
    ServiceActivity,
    SubCanvas,
    SubProcess,
    Var,
    build_tree,
)
from bamboo_engine.builder.bpmn import tree_to_bpmn
from bamboo_engine.builder.bpmn.mapping import decode_id, encode_id
from bamboo_engine.validator import validate_and_process_pipeline
from tests import trees
from tests.bpmn_support import assert_round_trip, assert_valid_bpmn
from tests.contract import trees as contract_trees


def _worked_example() -> dict:
    start, end = EmptyStartEvent(), EmptyEndEvent()
    check = ServiceActivity(component_code="disk_check", name="check")
    check.component.inputs.host = Var(type=Var.SPLICE, value="${host}")
    eg = ExclusiveGateway(conditions={0: "${usage} >= 90", 1: "${usage} < 90"}, name="full?")
    alert, noop, cg = (
        ServiceActivity(component_code="notify"),
        ServiceActivity(component_code="noop"),
        ConvergeGateway(),
    )
    start.extend(check).extend(eg).connect(alert, noop).converge(cg).extend(end)
    data = Data()
    data.inputs["${host}"] = Var(type=Var.PLAIN, value="10.0.0.7")
    data.inputs["${usage}"] = NodeOutput(source_act=check.id, source_key="usage", type=Var.PLAIN)
    data.outputs = ["${usage}"]
    return build_tree(start, id="p" + "0" * 32, data=data)


def _subcanvas_and_dict_params() -> dict:
    child_start = EmptyStartEvent()
    child_start.extend(ServiceActivity(component_code="x")).extend(EmptyEndEvent())
    canvas = SubCanvas(start=child_start, params={"${a}": Var(Var.PLAIN, 1)}, replace_id=True)
    sub_start = EmptyStartEvent()
    sub_start.extend(EmptyEndEvent())
    sub = SubProcess(
        start=sub_start, params={"${a}": {"type": "plain", "value": 1}}, data={"inputs": {}, "outputs": []}
    )
    start = EmptyStartEvent()
    start.extend(canvas).extend(sub).extend(EmptyEndEvent())
    return build_tree(start)


def _conditional_parallel_with_default() -> dict:
    start, end = EmptyStartEvent(), ExecutableEndEvent(type="MyEndEvent")
    cpg = ConditionalParallelGateway(conditions={0: "1 == 1", 1: "1 == 0"}, default_condition_outgoing=0)
    a, b, cg = ServiceActivity(), ServiceActivity(), ConvergeGateway()
    start.extend(cpg).connect(a, b).converge(cg).extend(end)
    return build_tree(start)


def _contract_gateway_trees() -> list:
    shapes = []
    for gateway, branch_count in (
        (ParallelGateway(), 2),
        (ExclusiveGateway(conditions={0: "1 == 1", 1: "1 == 0"}), 2),
        (ConditionalParallelGateway(conditions={0: "1 == 1", 1: "1 == 1", 2: "0 == 1"}), 3),
    ):
        branches = [contract_trees.activity("echo", value=index) for index in range(branch_count)]
        tree, _ = contract_trees.gateway_tree(gateway, branches, {"strategy": "FIRST"})
        shapes.append(tree)
    sub = contract_trees.subprocess(
        contract_trees.activity("echo", value=1), params={"${x}": Var(Var.SPLICE, "${y}")}
    )
    shapes.append(contract_trees.linear_tree(contract_trees.activity("echo", name="first", value=0), sub))
    return shapes


_EDGE_SHAPES = {
    "nested parallel regions": trees.chain("start", "pg", "a", "pg2", "b", "cg2", "d", "cg", "end")
    + [("pg2", "c"), ("c", "cg2"), ("pg", "e"), ("e", "cg")],
    "exclusive branch using the parallel converge": trees.chain("start", "pg", "a", "cg", "x", "end")
    + [("pg", "eg"), ("eg", "b"), ("eg", "c"), ("b", "cg"), ("c", "cg")],
    "loop": trees.chain("start", "a", "eg", "end") + [("eg", "a")],
    "single-incoming converge": trees.chain("start", "pg", "a", "cgT", "b", "cg", "end")
    + [("pg", "c"), ("c", "cg")],
    "subprocess and conditional parallel": trees.chain("start", "cpg", "sub1", "cg", "end")
    + [("cpg", "x"), ("x", "cg")],
}


def _fixture_trees() -> dict:
    shapes = {
        "normal pipeline (17 nodes)": trees.normal_pipeline(),
        "parallel pipeline": trees.parallel_pipeline(4, 3),
        "linear pipeline": trees.linear_pipeline(5),
        "one node": trees.one_node_pipeline(),
        "worked example": _worked_example(),
        "subcanvas and dict params": _subcanvas_and_dict_params(),
        "conditional parallel with default and executable end": _conditional_parallel_with_default(),
    }
    shapes.update({f"contract gateway tree {i}": tree for i, tree in enumerate(_contract_gateway_trees())})
    shapes.update({f"hand-made: {name}": trees.make_tree(edges) for name, edges in _EDGE_SHAPES.items()})
    return shapes


@pytest.mark.parametrize("name", sorted(_fixture_trees()))
def test_fixture_trees_round_trip_and_validate(name):
    assert_round_trip(_fixture_trees()[name])


@pytest.mark.parametrize(
    "name", ["normal pipeline (17 nodes)", "worked example", "hand-made: nested parallel regions"]
)
def test_validated_trees_round_trip(name):
    tree = _fixture_trees()[name]
    validate_and_process_pipeline(tree)
    assert any("converge_gateway_id" in gateway for gateway in tree["gateways"].values())
    assert_round_trip(tree)


# ---------------------------------------------------------------- generated trees

_NAMES = [None, "", "check disk", 'a & b <c> "d"', "名前", "x" * 80]


class _TreeMaker:
    """Random pipeline trees built with the builder: nested gateways, subprocesses, loops, odd names."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.looped = False

    def activity(self) -> ServiceActivity:
        act = ServiceActivity(
            component_code=self.rng.choice(["echo", "debug_node", "a.b-c"]), name=self.rng.choice(_NAMES)
        )
        if self.rng.random() < 0.5:
            act.component.inputs.value = Var(
                type=self.rng.choice([Var.PLAIN, Var.SPLICE]), value=self.rng.randint(0, 9)
            )
        act.error_ignorable = self.rng.random() < 0.2
        return act

    def block(self, depth: int):
        """A sub-chain; returns its (head, tail) elements."""
        kinds = ["activity"] * 3 + (
            ["parallel", "exclusive", "conditional", "subprocess"] if depth < 3 else []
        )
        kind = self.rng.choice(kinds)
        if kind == "activity":
            act = self.activity()
            return act, act
        if kind == "subprocess":
            start = EmptyStartEvent(name=self.rng.choice(_NAMES))
            head, tail = self.chain(depth + 1)
            start.extend(head)
            tail.extend(EmptyEndEvent())
            data = Data()
            data.inputs["${p}"] = DataInput(type=Var.PLAIN, value="default")
            sub = SubProcess(
                start=start, data=data, params=Params({"${p}": Var(Var.SPLICE, "${q}")}), name="sub"
            )
            return sub, sub
        return self.split(kind, depth)

    def split(self, kind: str, depth: int):
        branches = [self.chain(depth + 1) for _ in range(self.rng.randint(1, 3))]
        conditions = {index: f"${{x}} == {index}" for index in range(len(branches))}
        default = self.rng.choice([None, 0]) if kind != "parallel" else None
        gateway = {
            "parallel": lambda: ParallelGateway(name=self.rng.choice(_NAMES)),
            "exclusive": lambda: ExclusiveGateway(conditions=conditions, default_condition_outgoing=default),
            "conditional": lambda: ConditionalParallelGateway(
                conditions=conditions, default_condition_outgoing=default
            ),
        }[kind]()
        converge = ConvergeGateway()
        gateway.connect(*(head for head, _ in branches))
        for _, tail in branches:
            tail.connect(converge)
        return gateway, converge

    def chain(self, depth: int):
        head, tail = self.block(depth)
        for _ in range(self.rng.randint(0, 2)):
            next_head, next_tail = self.block(depth)
            tail.extend(next_head)
            if self.rng.random() < 0.15:
                loop = ExclusiveGateway(conditions={0: "${again} == False", 1: "${again} == True"})
                next_tail.extend(loop)
                self.looped = True
                after = ServiceActivity(component_code="after_loop")
                loop.connect(after, head)
                next_tail = after
            tail = next_tail
        return head, tail

    def tree(self) -> dict:
        start = EmptyStartEvent()
        head, tail = self.chain(0)
        start.extend(head)
        tail.extend(self.rng.choice([EmptyEndEvent(), ExecutableEndEvent(type="MyEndEvent")]))
        data = Data()
        data.inputs["${x}"] = Var(type=Var.PLAIN, value=self.rng.randint(0, 2))
        return build_tree(start, data=data)


@pytest.mark.parametrize("seed", range(150))
def test_generated_trees_round_trip_and_validate(seed):
    maker = _TreeMaker(seed)
    tree = maker.tree()
    assert_round_trip(tree)
    if not maker.looped:
        # A loop drawn inside a branch unbalances the converge, which the validator rejects.
        validated = copy.deepcopy(tree)
        validate_and_process_pipeline(validated)
        assert_round_trip(validated)


def test_generated_trees_cover_every_supported_node_type():
    seen = set()

    def walk(tree):
        seen.update(node["type"] for node in (tree["start_event"], tree["end_event"]))
        for node in [*tree["activities"].values(), *tree["gateways"].values()]:
            seen.add(node["type"])
            if "pipeline" in node:
                walk(node["pipeline"])

    for seed in range(150):
        walk(_TreeMaker(seed).tree())
    assert seen >= {
        "EmptyStartEvent",
        "EmptyEndEvent",
        "MyEndEvent",
        "ServiceActivity",
        "SubProcess",
        "ParallelGateway",
        "ExclusiveGateway",
        "ConditionalParallelGateway",
        "ConvergeGateway",
    }


# ---------------------------------------------------------------- ids and details BPMN cannot hold directly


@pytest.mark.parametrize(
    "raw", ["e" + "0" * 32, "a->b", "a->b#2", "1st", "_x0041_", "node name", "é", "a:b", "-", "😀"]
)
def test_ids_encode_to_ncnames_and_back(raw):
    encoded = encode_id(raw)
    assert decode_id(encoded) == raw
    assert encoded[0].isalpha() or encoded[0] == "_"
    assert all(char.isascii() and (char.isalnum() or char in "_.-") for char in encoded)


def test_builder_ids_are_written_unchanged():
    tree = trees.linear_pipeline(1)
    document = tree_to_bpmn(tree)
    for node_id in [tree["start_event"]["id"], *tree["activities"], *tree["flows"]]:
        assert f'id="{node_id}"' in document


def test_keys_outside_the_structure_survive():
    tree = trees.linear_pipeline(2)
    act_id = next(iter(tree["activities"]))
    tree["activities"][act_id]["component"]["version"] = "2.1"
    tree["activities"][act_id]["loop_config"] = {"enable": True, "loop_times": 3}
    tree["activities"][act_id]["incoming"] = tree["activities"][act_id]["incoming"][
        0
    ]  # string before validation
    del tree["end_event"]["name"]
    flow_id = next(iter(tree["flows"]))
    tree["flows"][flow_id]["is_default"] = True
    del tree["data"]
    tree["spec_version"] = 2
    document = assert_round_trip(tree)
    assert '<bamboo:component code="empty_node" version="2.1"' in document


def test_conditions_are_bpmn_condition_expressions_and_default_is_the_gateway_default():
    tree = _conditional_parallel_with_default()
    document = assert_round_trip(tree)
    gateway = next(iter(tree["gateways"].values()))
    default_flow = gateway["default_condition"]["flow_id"]
    assert (
        f'<bpmn:inclusiveGateway id="{gateway["id"]}" gatewayDirection="Diverging" default="{default_flow}">'
        in document
    )
    assert (
        '<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">1 == 0</bpmn:conditionExpression>'
        in document
    )


def test_converge_gateways_take_the_kind_of_the_split_they_join():
    document = tree_to_bpmn(trees.normal_pipeline())
    assert document.count("<bpmn:parallelGateway") == 2  # pg and cg_1
    assert document.count("<bpmn:exclusiveGateway") == 2  # eg and cg_2
    assert document.count('gatewayDirection="Converging"') == 2


def test_schema_check_rejects_a_broken_document():
    document = tree_to_bpmn(trees.linear_pipeline(1)).replace("<bpmn:incoming>", "<bpmn:incomingx>", 1)
    document = document.replace("</bpmn:incoming>", "</bpmn:incomingx>", 1)
    with pytest.raises(AssertionError, match="incomingx"):
        assert_valid_bpmn(document)


def test_a_name_that_is_not_a_string_survives():
    tree = trees.linear_pipeline(1)
    next(iter(tree["activities"].values()))["name"] = 42
    tree["start_event"]["name"] = ["a", "list"]
    assert_round_trip(tree)
