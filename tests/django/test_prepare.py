"""``prepare_run_pipeline``: the rows written for a run (docs/data-and-templates.md)."""

import json

import pytest
from django.test import override_settings

from bamboo_engine import api, states
from bamboo_engine.builder import (
    ConvergeGateway,
    Data,
    DataInput,
    EmptyEndEvent,
    EmptyStartEvent,
    ExclusiveGateway,
    NodeOutput,
    Params,
    ServiceActivity,
    SubProcess,
    Var,
    build_tree,
)
from bamboo_engine.eri.models.node import NodeType
from bamboo_engine.exceptions import ValueError as EngineValueError
from bamboo_engine.validator import validate_and_process_pipeline
from pipeline.eri import models
from pipeline.eri.codec import data_inputs_loads
from tests.django.querycount import capture_queries
from tests.trees import one_node_pipeline

DETAIL_KEYS = {"id", "type", "targets", "root_pipeline_id", "parent_pipeline_id", "can_skip", "can_retry"}


def _tree():
    """start → act(lazy + splice inputs, loop) → sub(params) → eg ⇉ (a1, a2) ⇉ cg → end."""
    sub_start, sub_act, sub_end = (
        EmptyStartEvent(),
        ServiceActivity(component_code="copy_node"),
        EmptyEndEvent(),
    )
    sub_start.extend(sub_act).extend(sub_end)
    sub_data = Data()
    sub_data.inputs["${p}"] = DataInput(type=Var.PLAIN, value="child default")
    sub_data.outputs = ["${p}"]
    sub = SubProcess(
        start=sub_start, data=sub_data, params=Params({"${p}": Var(type=Var.SPLICE, value="${x}")})
    )

    act = ServiceActivity(component_code="copy_node", name="the act")
    act.component.inputs.lazy_in = Var(type=Var.LAZY, value="${x}", custom_type="upper")
    act.component.inputs.splice_in = Var(type=Var.SPLICE, value="${x}-${y}")
    start, end, converge = EmptyStartEvent(), EmptyEndEvent(), ConvergeGateway()
    gateway = ExclusiveGateway(conditions={0: "${x} == 1", 1: "${x} != 1"})
    branch_1, branch_2 = (
        ServiceActivity(component_code="empty_node"),
        ServiceActivity(component_code="empty_node"),
    )
    start.extend(act).extend(sub).extend(gateway).connect(branch_1, branch_2).converge(converge).extend(end)

    data = Data()
    data.inputs["${x}"] = DataInput(type=Var.PLAIN, value=1)
    data.inputs["${y}"] = DataInput(type=Var.SPLICE, value="${x}+1")
    data.inputs["${out}"] = NodeOutput(type=Var.PLAIN, source_act=act.id, source_key="copied")
    data.outputs = ["${x}"]
    tree = build_tree(start, data=data)
    tree["activities"][act.id]["loop_config"] = {"enable": True, "loop_times": 2}
    validate_and_process_pipeline(tree)
    return tree, {"act": act, "sub": sub, "sub_act": sub_act, "gateway": gateway, "start": start}


def _detail(node_id):
    return json.loads(models.Node.objects.get(node_id=node_id).detail)


def test_records_of_a_tree_with_subprocess_lazy_inputs_and_params(runtime):
    tree, n = _tree()
    root = tree["id"]
    process_id = runtime.prepare_run_pipeline(
        tree, {"operator": "me"}, {"${ctx}": 1}, {"${sub_ctx}": 2}, queue="q"
    )

    process = models.Process.objects.get(id=process_id)
    assert (json.loads(process.pipeline_stack), process.queue, process.priority) == ([root], "q", 100)
    root_state = runtime.get_state(root)
    assert (root_state.name, root_state.root_id, root_state.parent_id) == (states.RUNNING, root, "")
    assert root_state.started_time is not None

    node_ids = set(models.Node.objects.values_list("node_id", flat=True))
    assert {n["act"].id, n["sub"].id, n["sub_act"].id, n["gateway"].id} <= node_ids
    assert all(set(_detail(node_id)) >= DETAIL_KEYS for node_id in node_ids)
    act_detail = _detail(n["act"].id)
    assert (act_detail["code"], act_detail["version"], act_detail["name"]) == (
        "copy_node",
        "legacy",
        "the act",
    )
    assert act_detail["loop_config"]["loop_times"] == 2
    gateway_detail = _detail(n["gateway"].id)
    assert [c["evaluation"] for c in gateway_detail["conditions"]] == ["${x} == 1", "${x} != 1"]
    assert set(gateway_detail["conditions"][0]) == {"name", "evaluation", "target_id", "flow_id"}
    assert (
        _detail(n["sub"].id)["start_event_id"]
        == tree["activities"][n["sub"].id]["pipeline"]["start_event"]["id"]
    )
    assert _detail(n["sub_act"].id)["parent_pipeline_id"] == n["sub"].id

    act_data = models.Data.objects.get(node_id=n["act"].id)
    lazy_key = "${lazy_in_" + n["act"].id + "}"
    assert data_inputs_loads(act_data.inputs)["lazy_in"].value == lazy_key
    assert data_inputs_loads(act_data.inputs)["splice_in"].need_render is True
    assert json.loads(act_data.outputs) == {"copied": "${out}"}
    assert data_inputs_loads(models.Data.objects.get(node_id=n["sub"].id).inputs)["${p}"].value == "${x}"
    assert data_inputs_loads(models.Data.objects.get(node_id=root).inputs)["operator"].value == "me"

    lazy = models.ContextValue.objects.get(pipeline_id=root, key=lazy_key)
    assert (lazy.type, lazy.code, json.loads(lazy.value)) == (3, "upper", "${x}")
    y = models.ContextValue.objects.get(pipeline_id=root, key="${y}")
    assert json.loads(y.references) == ["${x}"]
    assert set(models.ContextValue.objects.filter(pipeline_id=n["sub"].id).values_list("key", flat=True)) == {
        "${p}",
        "${sub_ctx}",
    }
    assert models.ContextValue.objects.filter(pipeline_id=root, key="${ctx}").exists()
    assert json.loads(models.ContextOutputs.objects.get(pipeline_id=root).outputs) == ["${x}"]
    assert json.loads(models.ContextOutputs.objects.get(pipeline_id=n["sub"].id).outputs) == ["${p}"]

    node = runtime.get_node(n["act"].id)
    assert node.type == NodeType.ServiceActivity and node.loop_times == 2
    runtime.update_node_loop_times(n["act"].id, 5)
    assert runtime.get_node(n["act"].id).loop_times == 5


def test_prepare_uses_bulk_inserts_in_batches(runtime):
    tree, _ = _tree()
    node_count = len(_all_ids(tree))
    with override_settings(BAMBOO_DJANGO_ERI_PREPARE_BATCH_SIZE=2), capture_queries() as log:
        runtime.prepare_run_pipeline(tree, {}, {}, {})
    # One statement per batch (executemany is logged as "<rows> times: INSERT ...").
    node_inserts = [sql for sql in log.sql if 'INSERT INTO "eri_node"' in sql]
    assert len(node_inserts) == (node_count + 1) // 2
    assert models.Node.objects.count() == node_count


def _all_ids(tree):
    ids = [tree["start_event"]["id"], tree["end_event"]["id"], *tree["gateways"]]
    for node_id, activity in tree["activities"].items():
        ids.append(node_id)
        if "pipeline" in activity:
            ids.extend(_all_ids(activity["pipeline"]))
    return ids


@pytest.mark.parametrize("options,stored", [({"priority": 0}, 0), ({"priority": None}, 100), ({}, 100)])
def test_priority_zero_is_stored_and_only_a_missing_one_takes_the_default(runtime, options, stored):
    process_id = runtime.prepare_run_pipeline(one_node_pipeline(), {}, {}, {}, **options)

    assert models.Process.objects.get(id=process_id).priority == stored


def test_a_bad_priority_is_refused_before_any_row_is_written(runtime):
    with pytest.raises(EngineValueError, match="priority must be an int from 0 to 255, got 300"):
        runtime.prepare_run_pipeline(one_node_pipeline(), {}, {}, {}, priority=300)

    assert not models.Process.objects.exists() and not models.Node.objects.exists()


def test_a_start_over_a_state_its_root_id_already_has_is_refused_and_stores_nothing(runtime):
    """The start writes its root's state without reading it first; a row that exists after all is met
    by the insert, read, and judged by the transition rules (REVOKED cannot become RUNNING)."""
    tree = one_node_pipeline()
    runtime.set_state(node_id=tree["id"], to_state=states.REVOKED, root_id=tree["id"], parent_id="")

    result = api.run_pipeline(runtime, tree, root_pipeline_data={})

    assert not result.result
    assert models.State.objects.get(node_id=tree["id"]).name == states.REVOKED
    assert not models.Process.objects.exists() and not models.Node.objects.exists()
    assert not models.Data.objects.exists() and not models.ContextOutputs.objects.exists()


def test_a_start_failing_after_its_rows_are_written_stores_nothing(runtime, monkeypatch):
    def broken_execute(**kwargs):
        raise RuntimeError("the first message could not be sent")

    monkeypatch.setattr(runtime, "execute", broken_execute)

    result = api.run_pipeline(runtime, one_node_pipeline(), root_pipeline_data={})

    assert not result.result and "could not be sent" in str(result.exc)
    assert not models.State.objects.exists() and not models.Process.objects.exists()
    assert not models.Node.objects.exists() and not models.Data.objects.exists()
    assert not models.OutboxMessage.objects.exists()
