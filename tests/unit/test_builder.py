"""Builder elements, data classes and build_tree (docs/builder.md)."""

import re

import pytest

import pipeline.builder as legacy_builder
from bamboo_engine import builder as builder_pkg
from bamboo_engine.builder import *  # noqa: F403
from bamboo_engine.builder import (
    ConditionalParallelGateway,
    ConvergeGateway,
    Data,
    DataInput,
    EmptyEndEvent,
    EmptyStartEvent,
    ExclusiveGateway,
    ExecutableEndEvent,
    InitializedRewritableNodeOutput,
    NodeOutput,
    ParallelGateway,
    Params,
    RewritableNodeOutput,
    ServiceActivity,
    SubCanvas,
    SubProcess,
    Var,
    build_tree,
)
from bamboo_engine.builder.builder import (
    _acyclic,
    _acyclic_flow,
    _delete_flow_id_from_node_io,
    _get_all_nodes,
    _get_next_node,
    generate_pipeline_token,
    inject_pipeline_token,
)
from bamboo_engine.builder.flow.base import Element
from bamboo_engine.builder.flow.gateway import ConditionGateway
from bamboo_engine.exceptions import TreeInvalidException
from bamboo_engine.validator import validate_and_process_pipeline
from tests.trees import chain, make_tree, normal_pipeline_elements, parallel_pipeline

ID_RE = re.compile(r"^[a-z][0-9a-f]{32}$")
TOP_KEYS = {"id", "start_event", "end_event", "activities", "gateways", "flows", "data"}
ACTIVITY_KEYS = {
    "id",
    "name",
    "type",
    "incoming",
    "outgoing",
    "error_ignorable",
    "timeout",
    "skippable",
    "retryable",
    "optional",
    "component",
}


def _flow(tree, flow_id):
    flow = tree["flows"][flow_id]
    return flow["source"], flow["target"]


# ---------------------------------------------------------------- elements and chaining


def test_element_defaults_and_id_format():
    act = ServiceActivity()
    assert ID_RE.match(act.id) and act.id.startswith("e")
    assert act.name is None and act.outgoing == []
    assert EmptyStartEvent(id="s1", name="begin").id == "s1"
    assert repr(EmptyStartEvent(id="s1", name="begin")) == "<EmptyStartEvent begin:s1>"


def test_element_equality_uses_ids():
    assert EmptyEndEvent(id="x") == EmptyEndEvent(id="x")
    assert EmptyEndEvent(id="x") != EmptyEndEvent(id="y")
    assert len({ServiceActivity(id="a"), ServiceActivity(id="a")}) == 1


def test_chaining_return_values():
    a, b, c, d = ServiceActivity(), ServiceActivity(), ServiceActivity(), ConvergeGateway()
    assert a.extend(b) is b and a.outgoing == [b]
    pg = ParallelGateway()
    assert pg.connect(c, d) is pg and pg.outgoing == [c, d]
    assert a.to(c) is c and a.outgoing == [b]
    assert a.tail() is b


def test_converge_connects_every_branch_tail():
    pg, cg = ParallelGateway(), ConvergeGateway()
    a1, a2, b1 = ServiceActivity(), ServiceActivity(), ServiceActivity()
    a1.extend(a2)
    assert pg.connect(a1, b1).converge(cg) is cg
    assert a2.outgoing == [cg] and b1.outgoing == [cg] and a1.outgoing == [a2]


def test_tail_of_a_cycle_raises():
    a, b = ServiceActivity(), ServiceActivity()
    a.extend(b).extend(a)
    with pytest.raises(ValueError, match=a.id):
        a.tail()


def test_types():
    assert EmptyStartEvent().type() == "EmptyStartEvent"
    assert EmptyEndEvent().type() == "EmptyEndEvent"
    assert ExecutableEndEvent(type="MyEnd", name="n").type() == "MyEnd"
    assert ServiceActivity().type() == "ServiceActivity"
    assert SubProcess().type() == "SubProcess"
    assert SubCanvas().type() == "SubCanvas"
    assert ParallelGateway().type() == "ParallelGateway"
    assert ExclusiveGateway().type() == "ExclusiveGateway"
    assert ConditionalParallelGateway().type() == "ConditionalParallelGateway"
    assert ConvergeGateway().type() == "ConvergeGateway"
    assert issubclass(ExclusiveGateway, ConditionGateway) and issubclass(ConditionGateway, Element)


def test_service_activity_component():
    act = ServiceActivity(
        component_code="c", error_ignorable=True, timeout=5, skippable=False, retryable=False
    )
    act.component.inputs.k = Var(type=Var.LAZY, value="v", custom_type="ip")
    act.component.inputs.raw = {"type": "plain", "value": 1, "need_render": False}
    assert act.component.code == "c"
    assert act.component_dict() == {
        "code": "c",
        "inputs": {
            "k": {"type": "lazy", "value": "v", "custom_type": "ip"},
            "raw": {"type": "plain", "value": 1, "need_render": False},
        },
    }
    act.component.version = "1.0"
    assert act.component_dict()["version"] == "1.0"


def test_condition_gateway_links():
    eg = ExclusiveGateway(conditions={0: "a", 1: "b"}, default_condition_outgoing=1)
    eg.add_condition(2, "c")
    assert eg.link_conditions_with(["f0", "f1", "f2"]) == {
        "f0": {"evaluate": "a"},
        "f1": {"evaluate": "b"},
        "f2": {"evaluate": "c"},
    }
    assert eg.link_default_condition_with(["f0", "f1", "f2"]) == {"flow_id": "f1"}
    assert ExclusiveGateway().link_default_condition_with(["f0"]) == {}
    with pytest.raises(KeyError):
        ConditionalParallelGateway(conditions={0: "a"}).link_conditions_with(["f0", "f1"])


# ---------------------------------------------------------------- data classes


def test_var_family_to_dict():
    assert Var(type=Var.PLAIN, value=1).to_dict() == {"type": "plain", "value": 1}
    assert Var(Var.SPLICE, "${a}", custom_type="ignored").to_dict() == {"type": "splice", "value": "${a}"}
    assert Var(Var.LAZY, "x", "ip").to_dict() == {"type": "lazy", "value": "x", "custom_type": "ip"}
    assert DataInput(type=Var.PLAIN, value="d").to_dict() == {"type": "plain", "value": "d", "is_param": True}
    assert NodeOutput(source_act="e1", source_key="k", type=Var.SPLICE, value="dropped").to_dict() == {
        "type": "splice",
        "value": None,
        "source_act": "e1",
        "source_key": "k",
    }
    assert NodeOutput("e1", "k").to_dict()["type"] == "plain"
    sources = [{"source_act": "e1", "source_key": "k"}, {"source_act": "e2", "source_key": "k"}]
    assert RewritableNodeOutput(source_act=sources, type=Var.PLAIN).to_dict() == {
        "type": "plain",
        "value": None,
        "source_act": sources,
    }
    assert InitializedRewritableNodeOutput(source_act=sources, type=Var.PLAIN, value=0).to_dict() == {
        "type": "plain",
        "value": 0,
        "source_act": sources,
        "need_initialization": True,
    }


def test_data_and_params_to_dict():
    data = Data(inputs={"${a}": Var(Var.PLAIN, 1)}, outputs=["${a}"])
    data.inputs["${b}"] = {"type": "plain", "value": 2}
    assert data.to_dict() == {
        "inputs": {"${a}": {"type": "plain", "value": 1}, "${b}": {"type": "plain", "value": 2}},
        "outputs": ["${a}"],
        "pre_render_keys": [],
    }
    assert Params({"${a}": Var(Var.SPLICE, "${x}")}).to_dict() == {
        "${a}": {"type": "splice", "value": "${x}"}
    }
    assert Params().to_dict() == {}


# ---------------------------------------------------------------- build_tree


def _worked_example():
    start, end = EmptyStartEvent(), EmptyEndEvent()
    check = ServiceActivity(component_code="disk_check", name="check")
    check.component.inputs.host = Var(type=Var.SPLICE, value="${host}")
    eg = ExclusiveGateway(conditions={0: "${usage} >= 90", 1: "${usage} < 90"}, name="full?")
    alert = ServiceActivity(component_code="notify")
    alert.component.inputs.msg = Var(type=Var.SPLICE, value="disk on ${host} at ${usage}%")
    noop = ServiceActivity(component_code="noop")
    cg = ConvergeGateway()
    start.extend(check).extend(eg).connect(alert, noop).converge(cg).extend(end)
    data = Data()
    data.inputs["${host}"] = Var(type=Var.PLAIN, value="10.0.0.7")
    data.inputs["${usage}"] = NodeOutput(source_act=check.id, source_key="usage", type=Var.PLAIN)
    data.outputs = ["${usage}"]
    tree = build_tree(start, id="p" + "0" * 32, data=data)
    return tree, dict(start=start, end=end, check=check, eg=eg, alert=alert, noop=noop, cg=cg)


def test_worked_example_tree():
    tree, el = _worked_example()
    assert set(tree) == TOP_KEYS and tree["id"] == "p" + "0" * 32
    s, e, c, g, a, n, v = (el[k].id for k in ("start", "end", "check", "eg", "alert", "noop", "cg"))
    assert tree["start_event"] == {
        "id": s,
        "name": None,
        "type": "EmptyStartEvent",
        "incoming": "",
        "outgoing": tree["start_event"]["outgoing"],
    }
    f01 = tree["start_event"]["outgoing"]
    f02 = tree["activities"][c]["outgoing"]
    f03, f04 = tree["gateways"][g]["outgoing"]
    f05, f06 = tree["activities"][a]["outgoing"], tree["activities"][n]["outgoing"]
    f07 = tree["gateways"][v]["outgoing"]
    expected_flows = {
        f01: (s, c),
        f02: (c, g),
        f03: (g, a),
        f04: (g, n),
        f05: (a, v),
        f06: (n, v),
        f07: (v, e),
    }
    assert {fid: _flow(tree, fid) for fid in tree["flows"]} == expected_flows
    assert all(ID_RE.match(fid) and fid[0] == "f" for fid in tree["flows"])
    assert all(flow["is_default"] is False and flow["id"] == fid for fid, flow in tree["flows"].items())
    assert tree["end_event"] == {
        "id": e,
        "name": None,
        "type": "EmptyEndEvent",
        "incoming": [f07],
        "outgoing": "",
    }
    assert tree["activities"][c] == {
        "id": c,
        "name": "check",
        "type": "ServiceActivity",
        "incoming": [f01],
        "outgoing": f02,
        "error_ignorable": False,
        "timeout": None,
        "skippable": True,
        "retryable": True,
        "optional": False,
        "component": {"code": "disk_check", "inputs": {"host": {"type": "splice", "value": "${host}"}}},
    }
    assert tree["activities"][n]["component"] == {"code": "noop", "inputs": {}}
    assert tree["gateways"][g] == {
        "id": g,
        "name": "full?",
        "type": "ExclusiveGateway",
        "incoming": [f02],
        "outgoing": [f03, f04],
        "conditions": {f03: {"evaluate": "${usage} >= 90"}, f04: {"evaluate": "${usage} < 90"}},
        "default_condition": {},
    }
    assert tree["gateways"][v] == {
        "id": v,
        "name": None,
        "type": "ConvergeGateway",
        "incoming": [f05, f06],
        "outgoing": f07,
    }
    assert tree["data"] == {
        "inputs": {
            "${host}": {"type": "plain", "value": "10.0.0.7"},
            "${usage}": {"type": "plain", "value": None, "source_act": c, "source_key": "usage"},
        },
        "outputs": ["${usage}"],
        "pre_render_keys": [],
    }


def test_tree_defaults_id_and_data():
    start = EmptyStartEvent()
    start.extend(EmptyEndEvent())
    tree = build_tree(start)
    assert ID_RE.match(tree["id"]) and tree["id"].startswith("p")
    assert tree["data"] == {"inputs": {}, "outputs": []}
    assert build_tree(start, data={"inputs": {"${x}": {"type": "plain", "value": 1}}, "outputs": []})["data"][
        "inputs"
    ] == {"${x}": {"type": "plain", "value": 1}}


def test_normal_pipeline_shape():
    el = normal_pipeline_elements()
    tree = el.tree
    assert set(tree) == TOP_KEYS
    assert len(tree["activities"]) == 8 and len(tree["gateways"]) == 4 and len(tree["flows"]) == 16
    for act_id in (getattr(el, f"act_{i}").id for i in range(1, 8)):
        act = tree["activities"][act_id]
        assert set(act) == ACTIVITY_KEYS
        assert act["component"] == {
            "code": "debug_node",
            "inputs": {
                "param_1": {"type": "splice", "value": "${constant_1}"},
                "param_2": {"type": "splice", "value": "${constant_2}"},
            },
        }
    assert tree["gateways"][el.pg.id]["type"] == "ParallelGateway"
    assert len(tree["gateways"][el.pg.id]["outgoing"]) == 3
    assert len(tree["gateways"][el.cg_1.id]["incoming"]) == 3 and isinstance(
        tree["gateways"][el.cg_1.id]["outgoing"], str
    )
    eg = tree["gateways"][el.eg.id]
    first, second = eg["outgoing"]
    assert eg["conditions"] == {
        first: {"evaluate": '"${constant_1}" == "value_1"'},
        second: {"evaluate": "True == False"},
    }
    assert _flow(tree, first)[1] == el.act_6.id and _flow(tree, second)[1] == el.act_7.id
    assert tree["data"]["inputs"] == {
        "${constant_1}": {"type": "plain", "value": "value_1"},
        "${constant_2}": {"type": "plain", "value": "value_2"},
    }


def test_subprocess_child_tree():
    el = normal_pipeline_elements()
    sub = el.tree["activities"][el.sub.id]
    assert set(sub) == {"id", "name", "type", "incoming", "outgoing", "params", "pipeline"}
    assert sub["params"] == {
        "${constant_1}": {"type": "splice", "value": "${constant_1}"},
        "${constant_2}": {"type": "splice", "value": "${constant_2}"},
    }
    child = sub["pipeline"]
    assert set(child) == TOP_KEYS and child["id"] == el.sub.id
    assert set(child["activities"]) == {el.sub_act_1.id, el.sub_act_2.id}
    assert child["start_event"]["id"] == el.sub_start.id and child["end_event"]["id"] == el.sub_end.id
    assert child["data"]["inputs"]["${constant_1}"] == {
        "type": "plain",
        "value": "default_value",
        "is_param": True,
    }


def test_subcanvas_has_no_params_and_subprocess_accepts_dict_params():
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
    tree = build_tree(start)
    assert "params" not in tree["activities"][canvas.id]
    assert tree["activities"][canvas.id]["type"] == "SubCanvas"
    assert tree["activities"][canvas.id]["pipeline"]["id"] == canvas.id
    assert tree["activities"][sub.id]["params"] == {"${a}": {"type": "plain", "value": 1}}
    assert tree["activities"][sub.id]["pipeline"]["data"] == {"inputs": {}, "outputs": []}


def test_conditional_parallel_gateway_with_default_and_executable_end():
    start, end = EmptyStartEvent(), ExecutableEndEvent(type="MyEndEvent")
    cpg = ConditionalParallelGateway(conditions={0: "1 == 1", 1: "1 == 0"}, default_condition_outgoing=0)
    a, b, cg = ServiceActivity(), ServiceActivity(), ConvergeGateway()
    start.extend(cpg).connect(a, b).converge(cg).extend(end)
    tree = build_tree(start)
    gateway = tree["gateways"][cpg.id]
    assert gateway["default_condition"] == {"flow_id": gateway["outgoing"][0]}
    assert set(gateway["conditions"]) == set(gateway["outgoing"])
    assert tree["end_event"]["type"] == "MyEndEvent"
    assert "extra_info" not in gateway


def test_build_tree_rejects_bad_starts_and_ends():
    with pytest.raises(TreeInvalidException, match="EmptyStartEvent"):
        build_tree(ServiceActivity())
    start = EmptyStartEvent(id="s")
    start.extend(ServiceActivity())
    with pytest.raises(TreeInvalidException, match="no end event"):
        build_tree(start)
    start = EmptyStartEvent()
    eg = ExclusiveGateway(conditions={0: "1 == 1", 1: "1 == 1"})
    start.extend(eg).connect(EmptyEndEvent(id="end1"), EmptyEndEvent(id="end2"))
    with pytest.raises(TreeInvalidException, match="end1.*end2"):
        build_tree(start)


def test_parallel_pipeline_shape():
    tree = parallel_pipeline(branch_nums=5, branch_length=3)
    assert len(tree["activities"]) == 15
    pg = next(g for g in tree["gateways"].values() if g["type"] == "ParallelGateway")
    cg = next(g for g in tree["gateways"].values() if g["type"] == "ConvergeGateway")
    assert len(pg["outgoing"]) == 5 and len(cg["incoming"]) == 5
    assert all(not act["component"]["inputs"] for act in tree["activities"].values())


# ---------------------------------------------------------------- module surface and legacy re-export


def test_star_export_names():
    expected = {
        "EmptyStartEvent",
        "EmptyEndEvent",
        "ExecutableEndEvent",
        "ServiceActivity",
        "SubProcess",
        "SubCanvas",
        "ParallelGateway",
        "ExclusiveGateway",
        "ConditionalParallelGateway",
        "ConvergeGateway",
        "Data",
        "Params",
        "Var",
        "DataInput",
        "NodeOutput",
        "RewritableNodeOutput",
        "InitializedRewritableNodeOutput",
        "build_tree",
        "FancyDict",
    }
    assert expected <= set(builder_pkg.__all__)
    namespace: dict = {}
    exec("from bamboo_engine.builder import *", namespace)
    assert expected <= set(namespace)


def test_pipeline_builder_reexport_accepts_legacy_kwargs():
    assert legacy_builder.ServiceActivity is ServiceActivity and legacy_builder.build_tree is build_tree
    act = legacy_builder.ServiceActivity(component_code="c", failure_handler="handler")
    child = legacy_builder.EmptyStartEvent()
    child.extend(legacy_builder.EmptyEndEvent())
    sub = legacy_builder.SubProcess(start=child, replace_id=True, template_id="tpl")
    start = legacy_builder.EmptyStartEvent()
    start.extend(act).extend(sub).extend(legacy_builder.EmptyEndEvent())
    tree = legacy_builder.build_tree(start)
    for node in (tree["activities"][act.id], tree["activities"][sub.id]):
        assert not {"failure_handler", "replace_id", "template_id"} & set(node)


# ---------------------------------------------------------------- rollback token helpers


def test_generate_pipeline_token_regions_of_reference_pipeline():
    el = normal_pipeline_elements()
    tokens = generate_pipeline_token(el.tree)
    main = {el.start, el.act_1, el.act_2, el.sub, el.pg, el.cg_1, el.eg, el.act_6, el.act_7, el.cg_2, el.end}
    child = {el.sub_start, el.sub_act_1, el.sub_act_2, el.sub_end}
    top_level = set(el.tree["activities"]) | set(el.tree["gateways"]) | {el.start.id, el.end.id}
    assert set(tokens) == top_level | {e.id for e in child}
    assert {tokens[e.id] for e in main} == {tokens[el.start.id]}
    branch_tokens = {tokens[el.act_3.id], tokens[el.act_4.id], tokens[el.act_5.id]}
    assert len(branch_tokens) == 3 and tokens[el.start.id] not in branch_tokens
    # The child tree of the subprocess is a region of its own, as upstream's tokens make it.
    child_tokens = {tokens[e.id] for e in child}
    assert len(child_tokens) == 1 and not child_tokens & (branch_tokens | {tokens[el.start.id]})
    assert all(ID_RE.match(token) and token.startswith("t") for token in tokens.values())


def test_tokens_of_nested_parallel_regions():
    edges = chain("start", "pg", "a", "pg2", "b", "cg2", "d", "cg", "end")
    edges += [("pg2", "c"), ("c", "cg2"), ("pg", "e"), ("e", "cg")]
    for validate in (False, True):
        tree = make_tree(edges)
        if validate:
            validate_and_process_pipeline(tree)
        tokens = generate_pipeline_token(tree)
        assert tokens["start"] == tokens["pg"] == tokens["cg"] == tokens["end"]
        assert tokens["a"] == tokens["pg2"] == tokens["cg2"] == tokens["d"] != tokens["start"]
        assert len({tokens["a"], tokens["b"], tokens["c"], tokens["e"], tokens["start"]}) == 5


def test_tokens_when_an_exclusive_branch_uses_the_parallel_converge():
    edges = chain("start", "pg", "a", "cg", "x", "end") + [("pg", "eg"), ("eg", "b"), ("eg", "c")]
    edges += [("b", "cg"), ("c", "cg")]
    tokens = generate_pipeline_token(make_tree(edges))
    assert tokens["start"] == tokens["pg"] == tokens["cg"] == tokens["x"] == tokens["end"]
    assert tokens["eg"] == tokens["b"] == tokens["c"] != tokens["a"]
    assert tokens["eg"] != tokens["start"]


def test_tokens_with_a_loop():
    tokens = generate_pipeline_token(make_tree(chain("start", "a", "eg", "end") + [("eg", "a")]))
    assert len(set(tokens.values())) == 1 and set(tokens) == {"start", "a", "eg", "end"}


def test_acyclic_helpers_remove_loop_back_flows():
    tree = make_tree(chain("start", "a", "eg", "end") + [("eg", "a")])
    assert _acyclic_flow(tree) == ["eg->a"]
    assert [node["id"] for node in _get_next_node(tree["gateways"]["eg"], tree)] == ["end", "a"]
    _acyclic(tree)
    assert "eg->a" not in tree["flows"]
    assert tree["gateways"]["eg"]["outgoing"] == ["eg->end"]
    assert tree["activities"]["a"]["incoming"] == ["start->a"]
    assert _acyclic_flow(tree) == []


def test_node_helpers():
    el = normal_pipeline_elements()
    top = _get_all_nodes(el.tree)
    assert len(top) == 14 and el.sub_act_1.id not in top
    everything = _get_all_nodes(el.tree, with_subprocess=True)
    assert len(everything) == 18 and el.sub_act_1.id in everything
    node = {"incoming": ["f1", "f2"], "outgoing": "f3"}
    _delete_flow_id_from_node_io(node, "f1", "incoming")
    _delete_flow_id_from_node_io(node, "f3", "outgoing")
    _delete_flow_id_from_node_io(node, "fx", "incoming")
    assert node == {"incoming": ["f2"], "outgoing": ""}


def test_tokens_with_a_single_incoming_converge_inside_a_branch():
    edges = chain("start", "pg", "a", "cgT", "b", "cg", "end") + [("pg", "c"), ("c", "cg")]
    tokens = generate_pipeline_token(make_tree(edges))
    assert tokens["a"] == tokens["cgT"] == tokens["b"] != tokens["c"]
    assert tokens["start"] == tokens["cg"] == tokens["end"] not in (tokens["a"], tokens["c"])


def test_inject_pipeline_token_stays_in_its_region():
    edges = chain("start", "pg", "a", "pg2", "b", "cg2", "d", "cg", "end")
    edges += [("pg2", "c"), ("c", "cg2"), ("pg", "e"), ("e", "cg")]
    tree = make_tree(edges)
    node_token_map: dict = {}
    inject_pipeline_token("a", tree, node_token_map, "t-branch")
    assert set(node_token_map) == {"a", "pg2", "b", "c", "cg2", "d"}
    assert node_token_map["a"] == node_token_map["cg2"] == node_token_map["d"] == "t-branch"
    assert len({node_token_map["b"], node_token_map["c"], "t-branch"}) == 3
