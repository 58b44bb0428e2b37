"""Lazy variables (registry, signal, resolution in a run) and custom executable end events."""

import pytest

from bamboo_engine import api, states
from bamboo_engine.builder import (
    Data,
    EmptyStartEvent,
    ExecutableEndEvent,
    NodeOutput,
    ServiceActivity,
    Var,
    build_tree,
)
from pipeline.core.data.library import VariableLibrary, VariableNotExistError
from pipeline.core.data.var import LazyVariable, PlainVariable, SpliceVariable, Variable
from pipeline.core.flow import ExecutableEndEvent as PluginEndEvent
from pipeline.core.flow import FlowNodeClsFactory
from pipeline.core.flow.factory import NodeTypeConflictError, UnknownNodeTypeError
from pipeline.core.flow.signals import post_new_end_event_register
from pipeline.core.signals import pre_variable_register
from playground.components.collections.end_events import PlaygroundEndEvent, PlaygroundFailingEndEvent
from playground.components.collections.variables import UpperCaseVariable
from tests.components.helpers import outputs_of, register_components


class _Receiver:
    def __init__(self, signal):
        self.calls = []
        signal.connect(self, weak=False)
        self.signal = signal

    def __call__(self, sender, **kwargs):
        self.calls.append((sender, kwargs))

    def close(self):
        self.signal.disconnect(self)


def test_declaring_a_lazy_variable_registers_it_and_sends_pre_variable_register():
    receiver = _Receiver(pre_variable_register)
    try:

        class Doubled(LazyVariable):
            code = "test_doubled"

            def get_value(self):
                return self.value * 2

    finally:
        receiver.close()

    assert VariableLibrary.get_var_class("test_doubled") is Doubled
    assert receiver.calls == [(LazyVariable, {"signal": pre_variable_register, "variable_cls": Doubled})]
    assert VariableLibrary.get_var("test_doubled", "${d}", 21).get() == 42


def test_lazy_variables_without_code_are_not_registered():
    before = dict(VariableLibrary.variables)

    class AbstractVariable(LazyVariable):
        name = "abstract"

    assert VariableLibrary.variables == before
    assert VariableLibrary.get_var_class(None) is None


def test_unknown_variable_code_raises_a_typed_error():
    with pytest.raises(
        VariableNotExistError, match="lazy variable 'nope' \\(for \\${x}\\) is not registered"
    ):
        VariableLibrary.get_var("nope", "${x}", 1)


def test_plain_and_splice_variables():
    assert PlainVariable("a", "${b}").get() == "${b}"
    assert SpliceVariable("a", "hi ${b}", {"b": "there"}).get() == "hi there"
    assert Variable("a", 3).get() == 3
    assert isinstance(UpperCaseVariable("k", "v", {}, {}), SpliceVariable)


def test_variable_specific_exceptions_render_as_error_text(settings):
    class Picky(LazyVariable):
        code = "test_picky"

        def get_value(self):
            raise LookupError("no such host")

    assert Picky("k", "raw", {}, {}).get() == "raw"
    settings.VARIABLE_SPECIFIC_EXCEPTIONS = (LookupError,)
    assert Picky("k", "raw", {}, {}).get() == "Error: no such host"


def test_lazy_variable_resolves_in_a_run(runtime):
    start, activity = EmptyStartEvent(), ServiceActivity(component_code="debug_no_schedule_node")
    end = ExecutableEndEvent(type="PlaygroundEndEvent")
    activity.component.inputs.greeting = Var(type=Var.SPLICE, value="${shout}")
    start.extend(activity).extend(end)
    data = Data()
    data.inputs["${name}"] = Var(type=Var.PLAIN, value="bamboo")
    data.inputs["${shout}"] = Var(type=Var.LAZY, value="hello ${name}", custom_type="upper_case")
    data.inputs["${greeting}"] = NodeOutput(source_act=activity.id, source_key="greeting", type=Var.PLAIN)
    data.outputs = ["${greeting}"]
    tree = build_tree(start, data=data)
    register_components(runtime, "debug_no_schedule_node")
    runtime.register_compute_variable("upper_case", VariableLibrary.get_var_class("upper_case"))
    runtime.register_executable_end_event(
        "PlaygroundEndEvent", FlowNodeClsFactory.get_node_cls("PlaygroundEndEvent")
    )
    PlaygroundEndEvent.executions.clear()

    assert api.run_pipeline(runtime, tree, root_pipeline_data={"suffix": "!"}).result
    runtime.run_until_idle()

    assert runtime.get_state(tree["id"]).name == states.FINISHED
    assert outputs_of(runtime, activity.id)["greeting"] == "HELLO BAMBOO!"
    assert outputs_of(runtime, tree["id"]) == {"${greeting}": "HELLO BAMBOO!"}
    assert PlaygroundEndEvent.executions == [(False, tree["id"], tree["id"])]


def test_a_raising_end_event_fails_with_its_traceback(runtime):
    start, activity = EmptyStartEvent(), ServiceActivity(component_code="empty_node")
    end = ExecutableEndEvent(type="PlaygroundFailingEndEvent")
    start.extend(activity).extend(end)
    tree = build_tree(start)
    register_components(runtime, "empty_node")
    runtime.register_executable_end_event(
        "PlaygroundFailingEndEvent", FlowNodeClsFactory.get_node_cls("PlaygroundFailingEndEvent")
    )

    assert api.run_pipeline(runtime, tree).result
    runtime.run_until_idle()

    assert runtime.states(tree["id"])[end.id] == states.FAILED
    assert "PlaygroundEndEventError: end event of pipeline" in outputs_of(runtime, end.id)["ex_data"]


def test_register_node_sends_the_signal_and_lists_node_types():
    receiver = _Receiver(post_new_end_event_register)

    class AuditEndEvent(PluginEndEvent):
        def execute(self, in_subprocess, root_pipeline_id, current_pipeline_id):
            pass

    try:
        FlowNodeClsFactory.register_node("AuditEndEvent", AuditEndEvent)
    finally:
        receiver.close()

    assert receiver.calls == [
        (
            FlowNodeClsFactory,
            {"signal": post_new_end_event_register, "node_type": "AuditEndEvent", "node_cls": AuditEndEvent},
        )
    ]
    assert FlowNodeClsFactory.get_node_cls("AuditEndEvent") is AuditEndEvent
    without_start = FlowNodeClsFactory.node_types_without_start_event()
    without_start_end = FlowNodeClsFactory.node_types_without_start_end_event()
    assert "EmptyStartEvent" not in without_start and {"AuditEndEvent", "EmptyEndEvent"} <= set(without_start)
    assert {"ServiceActivity", "SubProcess", "ExclusiveGateway"} <= set(without_start_end)
    assert not {"AuditEndEvent", "EmptyEndEvent", "PlaygroundEndEvent", "EmptyStartEvent"} & set(
        without_start_end
    )


def test_register_node_refuses_to_replace_another_class():
    FlowNodeClsFactory.register_node("PlaygroundEndEvent", PlaygroundEndEvent)  # same class again: fine

    with pytest.raises(NodeTypeConflictError, match="'PlaygroundEndEvent' is already registered"):
        FlowNodeClsFactory.register_node("PlaygroundEndEvent", PlaygroundFailingEndEvent)
    with pytest.raises(NodeTypeConflictError, match="'ServiceActivity' is already registered"):
        FlowNodeClsFactory.register_node("ServiceActivity", PlaygroundEndEvent)
    with pytest.raises(UnknownNodeTypeError, match="node type 'Nope' is not registered"):
        FlowNodeClsFactory.get_node_cls("Nope")
