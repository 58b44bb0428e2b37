"""bamboo_engine.api: the result wrapper and the shapes of query results (incl. upstream quirks)."""

import datetime
import logging

import pytest

from bamboo_engine import api
from bamboo_engine.api import EngineAPIResult
from bamboo_engine.eri import (
    ContextValue,
    ContextValueType,
    Data,
    DataInput,
    ExecutionData,
    ExecutionHistory,
    ExecutionShortHistory,
    State,
)
from bamboo_engine.exceptions import InvalidOperationError, NotFoundError

T0 = datetime.datetime(2024, 1, 1, 12, 0, 0, tzinfo=datetime.UTC)


def make_state(node_id, root_id="root", parent_id="root", name="FINISHED", error_ignored=False, **kwargs):
    fields = dict(
        node_id=node_id,
        root_id=root_id,
        parent_id=parent_id,
        name=name,
        version="v" + node_id,
        loop=1,
        inner_loop=1,
        retry=0,
        skip=False,
        error_ignored=error_ignored,
        created_time=T0,
        started_time=T0,
        archived_time=T0 + datetime.timedelta(seconds=3),
    )
    fields.update(kwargs)
    return State(**fields)


class FakeRuntime:
    """Just the reads the query functions make, over plain lists and dicts."""

    def __init__(self, states=(), data=None, execution_data=None, histories=()):
        self.states = list(states)
        self.data = data or {}
        self.execution_data = execution_data or {}
        self.histories = list(histories)

    def get_state_by_root(self, root_id):
        return [s for s in self.states if s.root_id == root_id]

    def get_state_by_parent(self, parent_id):
        return [s for s in self.states if s.parent_id == parent_id]

    def get_state_or_none(self, node_id):
        return next((s for s in self.states if s.node_id == node_id), None)

    def get_state(self, node_id):
        state = self.get_state_or_none(node_id)
        if state is None:
            raise NotFoundError(f"state({node_id}) does not exist")
        return state

    def get_data(self, node_id):
        if node_id not in self.data:
            raise NotFoundError(f"data({node_id}) does not exist")
        return self.data[node_id]

    def get_execution_data(self, node_id):
        return self.execution_data[node_id]

    def get_execution_data_inputs(self, node_id):
        return self.execution_data[node_id].inputs

    def get_execution_data_outputs(self, node_id):
        return self.execution_data[node_id].outputs

    def get_histories(self, node_id, loop=-1):
        return [h for h in self.histories if h.node_id == node_id and loop in (-1, h.loop)]

    def get_short_histories(self, node_id, loop=-1):
        return [
            ExecutionShortHistory(
                h.id, h.node_id, h.started_time, h.archived_time, h.loop, h.skip, h.retry, h.version
            )
            for h in self.get_histories(node_id, loop)
        ]

    def get_node(self, node_id):
        return {"id": node_id}

    def get_context(self, pipeline_id):
        return [ContextValue("${a}", ContextValueType.PLAIN, 1)]

    def get_process_info_with_root_pipeline(self, pipeline_id):
        return ["process"]


# ---- the wrapper -----------------------------------------------------------------------------------


def test_result_repr_names_every_field():
    result = EngineAPIResult(True, "success", data={"k": 1})
    assert repr(result) == (
        "EngineAPIResult(result=True, message='success', exc=None, data={'k': 1}, exc_trace=None)"
    )


def test_wrapper_turns_an_exception_into_a_failed_result_and_logs_it(caplog):
    runtime = FakeRuntime()
    with caplog.at_level(logging.ERROR, logger="bamboo_engine"):
        result = api.get_pipeline_execution_time(runtime, "missing")
    assert result.result is False
    assert result.message == "fail"
    assert isinstance(result.exc, NotFoundError)
    assert result.data is None
    assert "NotFoundError" in result.exc_trace and "missing" in result.exc_trace
    assert any(record.name == "bamboo_engine" for record in caplog.records)


def test_wrapper_passes_an_api_result_through_unchanged():
    own = EngineAPIResult(False, "custom", data=42)
    wrapped = api._ensure_return_api_result(lambda: own)
    assert wrapped() is own


def test_wrapper_keeps_the_public_signature():
    import inspect

    signature = str(inspect.signature(api.get_pipeline_states))
    assert signature.startswith("(runtime: bamboo_engine.eri.interfaces")
    assert signature.split(" -> ")[0].endswith("root_id: str, flat_children=True)")
    assert api.get_pipeline_states.__module__ == "bamboo_engine.api"


# ---- states ----------------------------------------------------------------------------------------


def _tree_states():
    return [
        make_state("root", parent_id="", name="RUNNING", error_ignored=False),
        make_state("act1", error_ignored=False),
        make_state("sub", name="RUNNING"),
        make_state("sub_act", parent_id="sub", name="FAILED", error_ignored=True),
    ]


def test_pipeline_states_flat_with_quirks():
    data = api.get_pipeline_states(FakeRuntime(_tree_states()), "root").data
    record = data["root"]
    assert record["id"] == "root" and record["state"] == "RUNNING"
    assert record["root_id:"] == "root"
    assert "root_id" not in record
    # quirk: top-level parent_id is the root id, not ""
    assert record["parent_id"] == "root"
    # quirk: the root's error fields come from the last state iterated (sub_act)
    assert record["error_ignorable"] is True and record["error_ignored"] is True
    assert set(record["children"]) == {"act1", "sub", "sub_act"}
    child = record["children"]["sub_act"]
    assert child["parent_id"] == "sub" and child["error_ignorable"] is True
    assert set(child) == {
        "id", "state", "root_id:", "parent_id", "version", "loop", "retry", "skip",
        "error_ignorable", "error_ignored", "created_time", "started_time", "archived_time", "children",
    }  # fmt: skip
    assert child["children"] == {}


def test_pipeline_states_nested():
    data = api.get_pipeline_states(FakeRuntime(_tree_states()), "root", flat_children=False).data
    children = data["root"]["children"]
    assert set(children) == {"act1", "sub"}
    assert set(children["sub"]["children"]) == {"sub_act"}
    assert children["sub"]["children"]["sub_act"]["state"] == "FAILED"


def test_pipeline_states_of_unknown_root_is_empty():
    result = api.get_pipeline_states(FakeRuntime(_tree_states()), "other")
    assert result.result is True and result.data == {}


def test_children_states_one_level():
    data = api.get_children_states(FakeRuntime(_tree_states()), "sub").data
    assert set(data) == {"sub"}
    assert data["sub"]["parent_id"] == "root"
    assert set(data["sub"]["children"]) == {"sub_act"}
    assert api.get_children_states(FakeRuntime(_tree_states()), "nope").data == {}


# ---- data ------------------------------------------------------------------------------------------


def test_data_queries_shapes():
    runtime = FakeRuntime(
        data={
            "n": Data(inputs={"a": DataInput(True, "${x}"), "b": DataInput(False, 2)}, outputs={"o": "${o}"})
        },
        execution_data={"n": ExecutionData({"a": 1}, {"_result": True})},
    )
    assert api.get_data(runtime, "n").data == {
        "inputs": {"a": {"need_render": True, "value": "${x}"}, "b": {"need_render": False, "value": 2}},
        "outputs": {"o": "${o}"},
    }
    assert api.get_execution_data(runtime, "n").data == {"inputs": {"a": 1}, "outputs": {"_result": True}}
    assert api.get_execution_data_inputs(runtime, "n").data == {"a": 1}
    assert api.get_execution_data_outputs(runtime, "n").data == {"_result": True}


def test_histories_and_short_histories():
    history = ExecutionHistory("1", "n", T0, T0, 2, False, 1, "v1", {"i": 1}, {"o": 2})
    runtime = FakeRuntime(histories=[history])
    assert api.get_node_histories(runtime, "n").data == [
        {
            "id": "1", "node_id": "n", "started_time": T0, "archived_time": T0, "retry": 1, "loop": 2,
            "skip": False, "version": "v1", "inputs": {"i": 1}, "outputs": {"o": 2},
        }
    ]  # fmt: skip
    assert api.get_node_histories(runtime, "n", loop=1).data == []
    assert api.get_node_short_histories(runtime, "n", 2).data == [
        {
            "id": "1",
            "node_id": "n",
            "started_time": T0,
            "archived_time": T0,
            "loop": 2,
            "skip": False,
            "version": "v1",
        }
    ]


def test_debug_infos_collect_errors_instead_of_failing():
    runtime = FakeRuntime(states=[make_state("n")])
    info = api.get_node_debug_info(runtime, "n").data
    assert info["node"] == {"id": "n"} and info["state"].node_id == "n" and info["data"] is None
    assert len(info["err"]) == 1 and "data(n) does not exist" in info["err"][0]
    debug = api.get_pipeline_debug_info(runtime, "root").data
    assert debug["processes"] == ["process"] and debug["context_values"][0].key == "${a}"


# ---- execution time --------------------------------------------------------------------------------


def test_execution_time_of_an_archived_node():
    data = api.get_node_execution_time(FakeRuntime([make_state("n")]), "n").data
    end = T0 + datetime.timedelta(seconds=3)
    assert data == {"state": "FINISHED", "start_time": T0, "archived_time": end, "execution_time": 3.0}


def test_execution_time_of_a_running_pipeline_counts_to_now():
    started = datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=1)
    state = make_state("root", parent_id="", name="RUNNING", started_time=started, archived_time=None)
    data = api.get_pipeline_execution_time(FakeRuntime([state]), "root").data
    assert data["archived_time"] is None
    assert 3600 <= data["execution_time"] < 3600 * 2


def test_execution_time_of_a_node_that_never_started_is_zero():
    state = make_state("n", name="READY", started_time=None, archived_time=None)
    assert api.get_node_execution_time(FakeRuntime([state]), "n").data["execution_time"] == 0.0


@pytest.mark.parametrize("name", ["run_pipeline", "callback", "preview_node_inputs", "update_context_values"])
def test_every_public_function_is_wrapped(name):
    assert hasattr(getattr(api, name), "__wrapped__")


# ---- preview_node_inputs ---------------------------------------------------------------------------


class _Computed:
    def __init__(self, value):
        self.value = value

    def get(self):
        return self.value


class PreviewRuntime(FakeRuntime):
    """Resolves compute variables of code ``upper``; records the pipeline data they were given."""

    def __init__(self):
        super().__init__()
        self.pipeline_data_seen = []

    def get_compute_variable(self, code, key, value, additional_data, inner_loop=-1):
        assert code == "upper", f"unknown compute variable {code}"
        self.pipeline_data_seen.append(additional_data)
        return _Computed(str(value.get()).upper())


def _var(type_, value, **extra):
    return {"type": type_, "value": value, **extra}


def _preview_tree():
    child_canvas = {
        "id": "canvas",
        "data": {"inputs": {}},
        "activities": {
            "d": {
                "id": "d",
                "type": "ServiceActivity",
                "component": {"inputs": {"y": _var("splice", "${q}")}},
            }
        },
    }
    child = {
        "id": "sp",
        "data": {
            "inputs": {"${p}": _var("plain", "default", is_param=True), "${q}": _var("splice", "${p}!")}
        },
        "activities": {
            "c": {
                "id": "c",
                "type": "ServiceActivity",
                "component": {"inputs": {"x": _var("splice", "${q}")}},
            },
            "canvas": {"id": "canvas", "type": "SubCanvas", "pipeline": child_canvas},
        },
        "gateways": {},
    }
    return {
        "id": "root",
        "data": {
            "inputs": {
                "${a}": _var("plain", 1),
                "${b}": _var("splice", "b-${a}"),
                "${broken}": _var("lazy", "x", custom_type="unknown"),
            }
        },
        "activities": {
            "act": {
                "id": "act",
                "type": "ServiceActivity",
                "component": {
                    "inputs": {
                        "k1": _var("splice", "${b}"),
                        "k2": _var("plain", "${a}"),
                        "k3": _var("lazy", "v-${a}", custom_type="upper"),
                        "k4": _var("splice", {"nested": "${a}"}),
                        "k5": _var("splice", "${b}", need_render=False),
                    }
                },
            },
            "sp": {
                "id": "sp",
                "type": "SubProcess",
                "params": {"${p}": _var("splice", "${a}-sub")},
                "pipeline": child,
            },
        },
        "gateways": {"eg": {"id": "eg", "type": "ExclusiveGateway"}},
    }


def test_preview_renders_like_a_run_would():
    tree = _preview_tree()
    runtime = PreviewRuntime()
    result = api.preview_node_inputs(runtime, tree, "act", root_pipeline_data={"operator": "me"})
    assert result.result, result.exc_trace
    # the unrelated broken lazy variable is never resolved
    assert result.data == {"k1": "b-1", "k2": "${a}", "k3": "V-1", "k4": {"nested": 1}, "k5": "${b}"}
    assert runtime.pipeline_data_seen == [{"operator": "me"}]
    assert tree["activities"]["act"]["component"]["inputs"]["k4"]["value"] == {"nested": "${a}"}


def test_preview_parent_params_override_pipeline_inputs():
    result = api.preview_node_inputs(
        PreviewRuntime(), _preview_tree(), "act", parent_params={"${a}": _var("plain", 7)}
    )
    assert result.data["k1"] == "b-7"


def test_preview_through_a_subprocess_stack():
    result = api.preview_node_inputs(PreviewRuntime(), _preview_tree(), "c", subprocess_stack=["sp"])
    assert result.result, result.exc_trace
    assert result.data == {"x": "1-sub!"}


def test_preview_through_a_subcanvas_sees_the_parent_context():
    result = api.preview_node_inputs(
        PreviewRuntime(), _preview_tree(), "d", subprocess_stack=["sp", "canvas"]
    )
    assert result.result, result.exc_trace
    assert result.data == {"y": "1-sub!"}


def test_preview_of_a_subprocess_renders_its_params():
    assert api.preview_node_inputs(PreviewRuntime(), _preview_tree(), "sp").data == {"${p}": "1-sub"}


@pytest.mark.parametrize(
    "node_id, stack, exc_type, fragment",
    [
        ("eg", [], InvalidOperationError, "eg"),
        ("act", ["act"], InvalidOperationError, "act"),
        ("ghost", [], NotFoundError, "ghost"),
        ("c", ["ghost"], NotFoundError, "ghost"),
    ],
)
def test_preview_refuses_bad_targets(node_id, stack, exc_type, fragment):
    result = api.preview_node_inputs(PreviewRuntime(), _preview_tree(), node_id, subprocess_stack=stack)
    assert result.result is False and isinstance(result.exc, exc_type) and fragment in str(result.exc)


# ---- against the in-memory runtime -----------------------------------------------------------------


def test_states_of_a_real_run_with_a_subprocess():
    from tests.unit.api_control_support import Tree, make_runtime, start

    rt = make_runtime()
    child = Tree("sp", start="s_start", end="s_end").act("s_a", "empty").link("s_start", "s_a", "s_end")
    start(rt, Tree().subprocess("sp", child).act("a", "empty").link("start", "sp", "a", "end").build())

    flat = api.get_pipeline_states(rt, "root").data["root"]
    assert flat["state"] == "FINISHED" and flat["parent_id"] == "root" and flat["root_id:"] == "root"
    assert {"start", "sp", "s_start", "s_a", "s_end", "a", "end"} <= set(flat["children"])
    nested = api.get_pipeline_states(rt, "root", flat_children=False).data["root"]["children"]
    assert "s_a" not in nested and set(nested["sp"]["children"]) == {"s_start", "s_a", "s_end"}
    children = api.get_children_states(rt, "sp").data["sp"]
    assert children["parent_id"] == "root" and set(children["children"]) == {"s_start", "s_a", "s_end"}

    timing = api.get_node_execution_time(rt, "s_a").data
    assert timing["state"] == "FINISHED" and timing["execution_time"] >= 0
    assert timing["archived_time"] >= timing["start_time"]
    assert api.get_pipeline_execution_time(rt, "root").data["state"] == "FINISHED"
    debug = api.get_pipeline_debug_info(rt, "root").data
    assert isinstance(debug["processes"], list) and isinstance(debug["context_values"], list)
    node_debug = api.get_node_debug_info(rt, "s_a").data
    assert (
        node_debug["node"].id == "s_a" and node_debug["state"].name == "FINISHED" and node_debug["err"] == []
    )
