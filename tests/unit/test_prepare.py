"""Tree → ERI records (bamboo_engine.prepare) on hand-written trees."""

import pytest

from bamboo_engine.eri.models.node import NodeType
from bamboo_engine.eri.models.runtime import ContextValueType, DataInput
from bamboo_engine.exceptions import TreeInvalidException
from bamboo_engine.prepare import lazy_input_key, prepare_pipeline, reference_closure

ROOT = "p" + "0" * 32


def flow(fid, source, target):
    return {"id": fid, "source": source, "target": target, "is_default": False}


def activity(aid, incoming, outgoing, code="noop", inputs=None, **extra):
    node = {
        "id": aid,
        "name": f"act {aid}",
        "type": "ServiceActivity",
        "incoming": [incoming],
        "outgoing": outgoing,
        "error_ignorable": False,
        "skippable": True,
        "retryable": True,
        "component": {"code": code, "inputs": inputs or {}},
    }
    node.update(extra)
    return node


def linear_tree(tree_id=ROOT, act_inputs=None, data=None, act_extra=None):
    """start -> act -> end."""
    return {
        "id": tree_id,
        "start_event": {
            "id": "s" + tree_id[1:],
            "type": "EmptyStartEvent",
            "incoming": "",
            "outgoing": "f1" + tree_id,
        },
        "end_event": {
            "id": "e" + tree_id[1:],
            "type": "EmptyEndEvent",
            "incoming": ["f2" + tree_id],
            "outgoing": "",
        },
        "activities": {
            "a" + tree_id[1:]: activity(
                "a" + tree_id[1:], "f1" + tree_id, "f2" + tree_id, inputs=act_inputs, **(act_extra or {})
            )
        },
        "gateways": {},
        "flows": {
            "f1" + tree_id: flow("f1" + tree_id, "s" + tree_id[1:], "a" + tree_id[1:]),
            "f2" + tree_id: flow("f2" + tree_id, "a" + tree_id[1:], "e" + tree_id[1:]),
        },
        "data": data or {"inputs": {}, "outputs": []},
    }


ACT = "a" + ROOT[1:]
START = "s" + ROOT[1:]
END = "e" + ROOT[1:]


def test_linear_tree_nodes_targets_and_flags():
    prepared = prepare_pipeline(linear_tree())
    assert set(prepared.nodes) == {START, ACT, END}
    act = prepared.nodes[ACT]
    assert act.type == NodeType.ServiceActivity
    assert (act.code, act.version, act.error_ignorable) == ("noop", "legacy", False)
    assert (
        act.target_flows == ["f2" + ROOT] and act.target_nodes == [END] and act.targets == {"f2" + ROOT: END}
    )
    assert (act.root_pipeline_id, act.parent_pipeline_id, act.name) == (ROOT, ROOT, "act " + ACT)
    assert prepared.nodes[START].can_skip is True
    assert prepared.nodes[END].target_nodes == []
    assert prepared.pipeline_stack == [ROOT]
    assert prepared.pipeline_ids == [ROOT]


def test_activity_flags_loop_config_and_version():
    extra = {
        "skippable": False,
        "retryable": False,
        "error_ignorable": True,
        "loop_config": {"enable": True, "loop_times": 3, "fail_skip": True, "retryable": True},
    }
    tree = linear_tree(act_extra=extra)
    tree["activities"][ACT]["component"]["version"] = "v2"
    act = prepare_pipeline(tree).nodes[ACT]
    assert (act.can_skip, act.can_retry, act.error_ignorable, act.version) == (False, False, True, "v2")
    assert (
        act.loop_times == 3 and act.loop_fail_skip and act.can_loop_retryable and not act.can_loop_skippable
    )
    assert act.loop_outputs_key == "outputs"


def test_disabled_loop_config_gives_no_loop():
    tree = linear_tree(act_extra={"loop_config": {"enable": False, "loop_times": 3}})
    assert prepare_pipeline(tree).nodes[ACT].loop_config is None


def test_activity_inputs_plain_splice_and_forced_no_render():
    inputs = {
        "a": {"type": "plain", "value": "${x}"},
        "b": {"type": "splice", "value": "${x} + 1"},
        "c": {"type": "splice", "value": "${x}", "need_render": False},
    }
    data = prepare_pipeline(linear_tree(act_inputs=inputs)).data[ACT]
    assert data.inputs == {
        "a": DataInput(need_render=False, value="${x}"),
        "b": DataInput(need_render=True, value="${x} + 1"),
        "c": DataInput(need_render=False, value="${x}"),
    }


def test_lazy_activity_input_becomes_compute_value_in_containing_pipeline():
    inputs = {"ip": {"type": "lazy", "value": "${host}", "custom_type": "ip_picker"}}
    tree_data = {"inputs": {"${host}": {"type": "plain", "value": "1.2.3.4"}}, "outputs": []}
    prepared = prepare_pipeline(linear_tree(act_inputs=inputs, data=tree_data))
    key = f"${{ip_{ACT}}}"
    assert prepared.data[ACT].inputs["ip"] == DataInput(need_render=True, value=key)
    item = prepared.context_values[ROOT][key]
    assert (item.value.type, item.value.value, item.value.code) == (
        ContextValueType.COMPUTE,
        "${host}",
        "ip_picker",
    )
    assert item.references == {"${host}"}


def test_lazy_key_too_long_is_a_clear_error():
    with pytest.raises(TreeInvalidException, match="longer than 128"):
        lazy_input_key("n" * 33, "x" * 100)
    assert lazy_input_key("node", "${name}") == "${name_node}"


def test_pipeline_inputs_context_values_codes_and_outputs():
    tree_data = {
        "inputs": {
            "${a}": {"type": "plain", "value": 1},
            "${b}": {"type": "splice", "value": "${a}-x"},
            "${c}": {"type": "lazy", "value": "${b}", "custom_type": "upper"},
        },
        "outputs": ["${b}"],
    }
    prepared = prepare_pipeline(linear_tree(data=tree_data))
    values = prepared.context_values[ROOT]
    assert values["${a}"].value.type == ContextValueType.PLAIN and values["${a}"].value.code == ""
    assert values["${b}"].value.type == ContextValueType.SPLICE
    assert values["${c}"].value.code == "upper"
    assert values["${c}"].references == {"${a}", "${b}"}
    assert values["${a}"].references == set()
    assert prepared.context_outputs == {ROOT: ["${b}"]}


def test_source_act_output_mapping_and_initialization():
    tree_data = {
        "inputs": {
            "${out}": {"type": "plain", "value": None, "source_act": ACT, "source_key": "result"},
            "${init}": {
                "type": "plain",
                "value": "first",
                "source_act": [{"source_act": ACT, "source_key": "other"}],
                "need_initialization": True,
            },
        },
        "outputs": [],
    }
    prepared = prepare_pipeline(linear_tree(data=tree_data))
    assert prepared.data[ACT].outputs == {"result": "${out}", "other": "${init}"}
    assert "${out}" not in prepared.context_values[ROOT]
    assert prepared.context_values[ROOT]["${init}"].value.value == "first"


def test_rewritable_output_maps_every_listed_node():
    tree = linear_tree()
    # add a second activity between act and end
    tree["activities"]["a2"] = activity("a2", "f2" + ROOT, "f3")
    tree["flows"]["f2" + ROOT]["target"] = "a2"
    tree["flows"]["f3"] = flow("f3", "a2", END)
    tree["end_event"]["incoming"] = ["f3"]
    tree["data"]["inputs"]["${last}"] = {
        "type": "plain",
        "value": None,
        "source_act": [{"source_act": ACT, "source_key": "v"}, {"source_act": "a2", "source_key": "w"}],
    }
    prepared = prepare_pipeline(tree)
    assert prepared.data[ACT].outputs == {"v": "${last}"}
    assert prepared.data["a2"].outputs == {"w": "${last}"}


def test_unknown_source_act_is_rejected_with_names():
    tree_data = {
        "inputs": {"${x}": {"type": "plain", "source_act": "ghost", "source_key": "k"}},
        "outputs": [],
    }
    with pytest.raises(TreeInvalidException, match="ghost"):
        prepare_pipeline(linear_tree(data=tree_data))


def test_pre_render_keys_on_start_event_and_root_data():
    tree_data = {
        "inputs": {"${a}": {"type": "plain", "value": 1}},
        "outputs": [],
        "pre_render_keys": ["${a}"],
    }
    prepared = prepare_pipeline(linear_tree(data=tree_data), root_pipeline_data={"operator": "alice"})
    assert prepared.data[START].inputs["pre_render_keys"] == DataInput(need_render=False, value=["${a}"])
    assert prepared.data[ROOT].inputs == {"operator": DataInput(need_render=False, value="alice")}


def test_reference_closure_is_transitive_and_ignores_plain():
    from bamboo_engine.eri.models.runtime import ContextValue

    values = [
        ContextValue("${a}", ContextValueType.SPLICE, "${b}"),
        ContextValue("${b}", ContextValueType.SPLICE, "${c} ${d}"),
        ContextValue("${c}", ContextValueType.PLAIN, "${zzz}"),
        ContextValue("${d}", ContextValueType.SPLICE, "${a}"),
    ]
    closure = reference_closure(values)
    assert closure["${a}"] == {"${b}", "${c}", "${d}"}
    assert closure["${c}"] == set()
    assert closure["${d}"] == {"${a}", "${b}", "${c}"}


def gateway_tree():
    """start -> exclusive(eg) -> a1 | a2 -> converge(cg) -> end, plus pg/cpg inside branch a2? keep flat."""
    return {
        "id": ROOT,
        "start_event": {"id": "s", "type": "EmptyStartEvent", "incoming": "", "outgoing": "f0"},
        "end_event": {"id": "e", "type": "my_end", "incoming": ["f5"], "outgoing": ""},
        "activities": {"a1": activity("a1", "f1", "f3"), "a2": activity("a2", "f2", "f4")},
        "gateways": {
            "eg": {
                "id": "eg",
                "type": "ExclusiveGateway",
                "incoming": ["f0"],
                "outgoing": ["f1", "f2"],
                "conditions": {"f1": {"evaluate": "${x} > 1"}, "f2": {"evaluate": "${x} <= 1"}},
                "default_condition": {"flow_id": "f2"},
                "extra_info": {"strategy": "FIRST"},
                "converge_gateway_id": "cg",
            },
            "cg": {"id": "cg", "type": "ConvergeGateway", "incoming": ["f3", "f4"], "outgoing": "f5"},
        },
        "flows": {
            "f0": flow("f0", "s", "eg"),
            "f1": flow("f1", "eg", "a1"),
            "f2": flow("f2", "eg", "a2"),
            "f3": flow("f3", "a1", "cg"),
            "f4": flow("f4", "a2", "cg"),
            "f5": flow("f5", "cg", "e"),
        },
        "data": {"inputs": {}, "outputs": []},
    }


def test_exclusive_gateway_conditions_default_and_extra_info():
    prepared = prepare_pipeline(gateway_tree())
    eg = prepared.nodes["eg"]
    assert eg.type == NodeType.ExclusiveGateway and eg.can_skip is True
    assert [(c.name, c.evaluation, c.target_id, c.flow_id) for c in eg.conditions] == [
        ("f1", "${x} > 1", "a1", "f1"),
        ("f2", "${x} <= 1", "a2", "f2"),
    ]
    assert (eg.default_condition.name, eg.default_condition.target_id) == ("f2", "a2")
    assert eg.extra_info == {"strategy": "FIRST"}
    assert prepared.nodes["cg"].type == NodeType.ConvergeGateway


def test_custom_end_event_becomes_executable_end_event():
    end = prepare_pipeline(gateway_tree()).nodes["e"]
    assert end.type == NodeType.ExecutableEndEvent and end.code == "my_end"


def test_parallel_gateways_need_converge_id():
    tree = gateway_tree()
    tree["gateways"]["eg"]["type"] = "ParallelGateway"
    pg = prepare_pipeline(tree).nodes["eg"]
    assert pg.type == NodeType.ParallelGateway and pg.converge_gateway_id == "cg"
    tree["gateways"]["eg"]["type"] = "ConditionalParallelGateway"
    cpg = prepare_pipeline(tree).nodes["eg"]
    assert cpg.converge_gateway_id == "cg" and len(cpg.conditions) == 2
    del tree["gateways"]["eg"]["converge_gateway_id"]
    with pytest.raises(TreeInvalidException, match="eg"):
        prepare_pipeline(tree)


def test_condition_on_unknown_flow_is_rejected():
    tree = gateway_tree()
    tree["gateways"]["eg"]["conditions"]["nope"] = {"evaluate": "1 == 1"}
    with pytest.raises(TreeInvalidException, match="nope"):
        prepare_pipeline(tree)


def subprocess_tree():
    child_id = "sub"
    child = linear_tree(
        tree_id="c" + "1" * 32,
        data={"inputs": {"${p}": {"type": "plain", "value": "default"}}, "outputs": ["${p}"]},
    )
    child["id"] = child_id
    tree = linear_tree()
    act = tree["activities"].pop(ACT)
    tree["activities"][child_id] = {
        "id": child_id,
        "type": "SubProcess",
        "name": "sub",
        "incoming": act["incoming"],
        "outgoing": act["outgoing"],
        "params": {
            "${p}": {"type": "splice", "value": "${root_value}"},
            "${q}": {"type": "lazy", "value": "x", "custom_type": "upper"},
        },
        "pipeline": child,
    }
    tree["flows"]["f1" + ROOT]["target"] = child_id
    tree["flows"]["f2" + ROOT]["source"] = child_id
    tree["data"]["inputs"]["${from_child}"] = {
        "type": "plain",
        "value": None,
        "source_act": child_id,
        "source_key": "${p}",
    }
    return tree


def test_subprocess_params_child_records_and_contexts():
    prepared = prepare_pipeline(
        subprocess_tree(), root_pipeline_context={"${rc}": 1}, subprocess_context={"sc": 2}
    )
    sub = prepared.nodes["sub"]
    assert sub.type == NodeType.SubProcess and sub.start_event_id == "s" + "1" * 32 and sub.can_skip is False
    assert prepared.pipeline_ids == [ROOT, "sub"]
    child_act = prepared.nodes["a" + "1" * 32]
    assert (child_act.root_pipeline_id, child_act.parent_pipeline_id) == (ROOT, "sub")
    assert prepared.data["sub"].inputs["${p}"] == DataInput(need_render=True, value="${root_value}")
    lazy_key = "${q_sub}"
    assert prepared.data["sub"].inputs["${q}"] == DataInput(need_render=True, value=lazy_key)
    assert prepared.context_values[ROOT][lazy_key].value.type == ContextValueType.COMPUTE
    assert prepared.data["sub"].outputs == {"${p}": "${from_child}"}
    assert prepared.context_values[ROOT]["${rc}"].value.value == 1
    assert prepared.context_values["sub"]["${sc}"].value.type == ContextValueType.PLAIN
    assert "${sc}" not in prepared.context_values[ROOT]
    assert prepared.context_outputs["sub"] == ["${p}"]


def test_unknown_node_type_and_input_type_are_named():
    tree = linear_tree()
    tree["activities"][ACT]["type"] = "Teleport"
    with pytest.raises(TreeInvalidException, match="Teleport"):
        prepare_pipeline(tree)
    tree = linear_tree(act_inputs={"k": {"type": "weird", "value": 1}})
    with pytest.raises(TreeInvalidException, match="'k'.*weird"):
        prepare_pipeline(tree)
