"""Handlers driven through whole pipelines on the in-memory runtime: registry, events, activities."""

import pytest

from bamboo_engine import states
from bamboo_engine.builder import (
    Data,
    EmptyEndEvent,
    EmptyStartEvent,
    ExecutableEndEvent,
    NodeOutput,
    ServiceActivity,
    Var,
    build_tree,
)
from bamboo_engine.config import Settings
from bamboo_engine.eri.models.node import Node, NodeType
from bamboo_engine.exceptions import NotFoundError, RenderInfrastructureError
from bamboo_engine.handler import INNER_LOOP_KEY, LOOP_KEY, HandlerFactory, NodeHandler, register_handler
from bamboo_engine.handlers import register
from bamboo_engine.plugin import Service
from bamboo_engine.template.render_backend import RenderBackend, reset_render_backend, set_render_backend
from bamboo_engine.validator.api import add_sink_type
from tests.unit.handler_helpers import (
    RecordingEndEvent,
    context,
    inputs,
    make_runtime,
    outputs,
    run,
    state,
)


def linear(*acts, data=None, end=None):
    start, end = EmptyStartEvent(), end or EmptyEndEvent()
    node = start
    for act in acts:
        node = node.extend(act)
    node.extend(end)
    return start, end, build_tree(start, data=data)


def activity(code, error_ignorable=False, **inputs):
    act = ServiceActivity(component_code=code, error_ignorable=error_ignorable)
    for key, var in inputs.items():
        act.component.inputs[key] = var
    return act


class TestRegistry:
    def test_register_covers_every_node_type(self):
        register()
        for node_type in NodeType:
            node = Node(node_type.value, node_type, [], [], {}, "p", "p")
            handler = HandlerFactory.get_handler(node, runtime=None, interrupter=None)
            assert isinstance(handler, NodeHandler)

    def test_unknown_type_names_node_and_type(self):
        node = Node("n-odd", "NoSuchType", [], [], {}, "p", "p")  # type: ignore[arg-type]
        with pytest.raises(NotFoundError, match=r"node\(n-odd\).*NoSuchType"):
            HandlerFactory.get_handler(node, runtime=None, interrupter=None)

    def test_register_handler_decorator_replaces_a_handler(self):
        original = HandlerFactory._handlers[NodeType.ConvergeGateway]
        try:

            @register_handler(NodeType.ConvergeGateway)
            class Custom(NodeHandler):
                def execute(self, process_info, loop, inner_loop, version, recover_point=None):
                    raise AssertionError

            node = Node("c", NodeType.ConvergeGateway, [], [], {}, "p", "p")
            assert isinstance(HandlerFactory.get_handler(node, None, None), Custom)
        finally:
            HandlerFactory.add_handler(NodeType.ConvergeGateway, original)

    def test_schedule_is_refused_by_non_scheduling_handlers(self):
        node = Node("c", NodeType.ConvergeGateway, [], [], {}, "p", "p")
        with pytest.raises(NotImplementedError, match=r"node\(c\)"):
            HandlerFactory.get_handler(node, None, None).schedule(None, 1, 1, None)

    def test_key_constants(self):
        assert (LOOP_KEY, INNER_LOOP_KEY) == ("_loop", "_inner_loop")


class TestServiceActivity:
    def test_renders_inputs_and_maps_outputs(self):
        rt = make_runtime()
        act = activity(
            "echo",
            msg=Var(type=Var.SPLICE, value="hi ${name}"),
            obj=Var(type=Var.SPLICE, value="${cfg}"),
            raw=Var(type=Var.PLAIN, value="${name}"),
            lazy=Var(type=Var.LAZY, value="${name}", custom_type="upper"),
        )
        data = Data()
        data.inputs["${name}"] = Var(type=Var.PLAIN, value="bob")
        data.inputs["${cfg}"] = Var(type=Var.SPLICE, value={"who": "${name}"})
        data.inputs["${got}"] = NodeOutput(source_act=act.id, source_key="msg", type=Var.PLAIN)
        _, end, tree = linear(act, data=data)
        run(rt, tree, root_pipeline_data={"owner": "ops"})

        assert state(rt, act.id) == states.FINISHED
        assert state(rt, tree["id"]) == states.FINISHED
        seen = inputs(rt, act.id)
        assert seen["msg"] == "hi bob"
        assert seen["obj"] == {"who": "bob"}
        assert seen["raw"] == "${name}"
        assert seen["lazy"] == "BOB"
        assert (seen[LOOP_KEY], seen[INNER_LOOP_KEY]) == (1, 1)
        out = outputs(rt, act.id)
        assert out["_result"] is True and out["parent_owner"] == "ops"
        assert (out[LOOP_KEY], out[INNER_LOOP_KEY]) == (1, 1)
        assert context(rt, tree["id"])["${got}"] == "hi bob"

    def test_failure_sets_failed_keeps_outputs_and_maps_them(self):
        rt = make_runtime()
        act, after = activity("fail"), activity("echo")
        data = Data()
        data.inputs["${partial}"] = NodeOutput(source_act=act.id, source_key="partial", type=Var.PLAIN)
        _, end, tree = linear(act, after, data=data)
        run(rt, tree)

        assert state(rt, act.id) == states.FAILED
        assert rt.get_state(act.id).archived_time is not None
        out = outputs(rt, act.id)
        assert out["ex_data"] == "boom" and out["_result"] is False
        assert context(rt, tree["id"])["${partial}"] == "kept"
        assert not rt.has_state(after.id)
        assert state(rt, tree["id"]) == states.RUNNING

    def test_exception_gives_traceback_ex_data(self):
        rt = make_runtime()
        act = activity("raise")
        _, _, tree = linear(act)
        run(rt, tree)
        assert state(rt, act.id) == states.FAILED
        ex_data = outputs(rt, act.id)["ex_data"]
        assert "Traceback" in ex_data and "RuntimeError: kaboom" in ex_data

    def test_error_ignorable_finishes_and_continues(self):
        rt = make_runtime()
        act, after = activity("fail", error_ignorable=True), activity("echo")
        data = Data()
        data.inputs["${partial}"] = NodeOutput(source_act=act.id, source_key="partial", type=Var.PLAIN)
        _, end, tree = linear(act, after, data=data)
        run(rt, tree)

        act_state = rt.get_state(act.id)
        assert act_state.name == states.FINISHED and act_state.error_ignored is True
        assert outputs(rt, act.id)["_result"] is False
        assert context(rt, tree["id"])["${partial}"] == "kept"
        assert state(rt, after.id) == states.FINISHED
        assert state(rt, tree["id"]) == states.FINISHED

    def test_hydrate_failure_fails_with_spec_text(self):
        rt = make_runtime()
        act = activity("echo", v=Var(type=Var.SPLICE, value="${broken}"))
        data = Data()
        data.inputs["${broken}"] = Var(type=Var.LAZY, value="x", custom_type="not-registered")
        _, _, tree = linear(act, data=data)
        run(rt, tree)

        assert state(rt, act.id) == states.FAILED
        out = outputs(rt, act.id)
        assert out["ex_data"].startswith("inputs hydrate failed(")
        assert out["ex_data"].endswith("), check node log for details")
        assert "not-registered" in out["ex_data"]
        assert out["_result"] is False

    def test_loop_counters_are_written_to_mapped_context_keys(self):
        rt = make_runtime()
        act = activity("echo", seen=Var(type=Var.SPLICE, value="loop=${counter}"))
        data = Data()
        data.inputs["${counter}"] = NodeOutput(source_act=act.id, source_key="_loop", type=Var.PLAIN)
        _, _, tree = linear(act, data=data)
        run(rt, tree)
        assert inputs(rt, act.id)["seen"] == "loop=1"
        assert context(rt, tree["id"])["${counter}"] == 1


class TestStartEvent:
    def test_pre_render_keys_are_frozen_as_plain(self):
        rt = make_runtime()
        first = activity("echo", base=Var(type=Var.PLAIN, value="changed"))
        second = activity("echo", t=Var(type=Var.SPLICE, value="${t}"))
        data = Data(pre_render_keys=["${t}"])
        data.inputs["${base}"] = NodeOutput(source_act=first.id, source_key="base", type=Var.PLAIN)
        data.inputs["${t}"] = Var(type=Var.SPLICE, value="${base}-x")
        tree = build_tree(_chain(first, second), data=data)
        data_inputs = tree["data"]["inputs"]
        data_inputs["${base}"]["value"] = "b"
        data_inputs["${base}"]["need_initialization"] = True
        run(rt, tree)

        assert context(rt, tree["id"])["${base}"] == "changed"
        assert inputs(rt, second.id)["t"] == "b-x"
        frozen = [cv for cv in rt.get_context(tree["id"]) if cv.key == "${t}"][0]
        assert frozen.type.name == "PLAIN"

    def test_start_event_finishes_without_pre_render_keys(self):
        rt = make_runtime()
        start, _, tree = linear(activity("echo"))
        run(rt, tree)
        assert state(rt, start.id) == states.FINISHED


def _chain(*acts):
    start = EmptyStartEvent()
    node = start
    for act in acts:
        node = node.extend(act)
    node.extend(EmptyEndEvent())
    return start


class TestEndEvents:
    def test_root_end_event_publishes_outputs_and_finishes_pipeline(self):
        rt = make_runtime()
        act = activity("echo", v=Var(type=Var.PLAIN, value=7))
        data = Data(outputs=["${v}", "${greeting}"])
        data.inputs["${v}"] = NodeOutput(source_act=act.id, source_key="v", type=Var.PLAIN)
        data.inputs["${who}"] = Var(type=Var.PLAIN, value="you")
        data.inputs["${greeting}"] = Var(type=Var.SPLICE, value="hello ${who}")
        _, end, tree = linear(act, data=data)
        run(rt, tree)

        expected = {"${v}": 7, "${greeting}": "hello you"}
        assert outputs(rt, end.id) == expected
        assert outputs(rt, tree["id"]) == expected
        assert state(rt, end.id) == states.FINISHED
        assert state(rt, tree["id"]) == states.FINISHED

    def test_executable_end_event_runs_then_finishes(self):
        add_sink_type("RecordingEnd")
        RecordingEndEvent.calls.clear()
        rt = make_runtime()
        _, end, tree = linear(activity("echo"), end=ExecutableEndEvent(type="RecordingEnd"))
        run(rt, tree)
        assert RecordingEndEvent.calls == [(False, tree["id"], tree["id"])]
        assert state(rt, end.id) == states.FINISHED
        assert state(rt, tree["id"]) == states.FINISHED

    def test_executable_end_event_exception_fails_with_traceback(self):
        add_sink_type("RaisingEnd")
        rt = make_runtime()
        _, end, tree = linear(activity("echo"), end=ExecutableEndEvent(type="RaisingEnd"))
        run(rt, tree)
        assert state(rt, end.id) == states.FAILED
        ex_data = outputs(rt, end.id)["ex_data"]
        assert "Traceback" in ex_data and "end event exploded" in ex_data
        assert state(rt, tree["id"]) == states.RUNNING


class HookService(Service):
    __need_run_hook__ = True
    seen = []

    def execute(self, data, parent_data):
        HookService.seen.append("execute")
        return True

    def node_enter(self, data, parent_data):
        HookService.seen.append("node_enter")

    def pre_execute(self, data, parent_data):
        HookService.seen.append("pre_execute")
        data.set_outputs("from_pre_execute", True)

    def post_execute(self, data, parent_data):
        HookService.seen.append("post_execute")
        raise RuntimeError("hook errors are swallowed")


class BrokenBackend(RenderBackend):
    def render_fragments(self, fragments, context):
        raise RenderInfrastructureError("render workers are gone")


class TestServiceActivityDetails:
    def test_unknown_service_fails_the_node_with_a_clear_message(self):
        rt = make_runtime()
        act = activity("nobody-registered-this")
        _, _, tree = linear(act)
        run(rt, tree)
        assert state(rt, act.id) == states.FAILED
        ex_data = outputs(rt, act.id)["ex_data"]
        assert (
            f"service(code=nobody-registered-this, version=legacy) of node({act.id}) load failed" in ex_data
        )

    def test_rerun_index_offset_applies_to_inputs_only(self, monkeypatch):
        monkeypatch.setattr(Settings, "RERUN_INDEX_OFFSET", 10)
        rt = make_runtime()
        act = activity("echo")
        _, _, tree = linear(act)
        run(rt, tree)
        assert (inputs(rt, act.id)[LOOP_KEY], inputs(rt, act.id)[INNER_LOOP_KEY]) == (11, 11)
        assert (outputs(rt, act.id)[LOOP_KEY], outputs(rt, act.id)[INNER_LOOP_KEY]) == (1, 1)

    def test_service_hooks_run_in_order_and_errors_are_swallowed(self):
        HookService.seen = []
        rt = make_runtime()
        rt.register_service("hooked", HookService)
        act = activity("hooked")
        _, end, tree = linear(act)
        run(rt, tree)
        assert HookService.seen[:4] == ["node_enter", "pre_execute", "execute", "post_execute"]
        assert outputs(rt, act.id)["from_pre_execute"] is True
        assert state(rt, end.id) == states.FINISHED

    def test_render_infrastructure_failure_fails_the_node_cleanly(self):
        rt = make_runtime()
        act = activity("echo", msg=Var(type=Var.SPLICE, value="hi ${name}"))
        data = Data()
        data.inputs["${name}"] = Var(type=Var.PLAIN, value="bob")
        _, _, tree = linear(act, data=data)
        set_render_backend(BrokenBackend())
        try:
            run(rt, tree)
        finally:
            reset_render_backend()
        assert state(rt, act.id) == states.FAILED
        ex_data = outputs(rt, act.id)["ex_data"]
        assert "render infrastructure error: render workers are gone" in ex_data
