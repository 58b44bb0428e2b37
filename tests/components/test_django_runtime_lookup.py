"""The Django runtime finds components, lazy variables and end events in the framework's registries."""

import pytest
from django.apps import apps

from bamboo_engine import states
from bamboo_engine.builder import (
    Data,
    EmptyStartEvent,
    ExecutableEndEvent,
    NodeOutput,
    ServiceActivity,
    Var,
    build_tree,
)
from playground.components.collections.end_events import PlaygroundEndEvent

pytestmark = pytest.mark.skipif(not apps.is_installed("pipeline.eri"), reason="needs the pipeline.eri app")


@pytest.fixture
def harness(transactional_db, monkeypatch):
    from pipeline.eri.imp import plugin
    from tests.django.harness import DjangoHarness

    real_lookups = {
        name: getattr(plugin, name) for name in ("component_class", "end_event_class", "variable_class")
    }
    instance = DjangoHarness(monkeypatch)
    # The harness swaps in stand-in registries; put the component framework's own back.
    for name, lookup in real_lookups.items():
        monkeypatch.setattr(plugin, name, lookup)
    return instance


def test_playground_plugins_run_through_the_django_runtime(harness):
    start = EmptyStartEvent()
    debug = ServiceActivity(component_code="debug_node")
    debug.component.inputs.param_1 = Var(type=Var.SPLICE, value="${shout}")
    factorial = ServiceActivity(component_code="factorial")
    factorial.component.inputs.n = Var(type=Var.PLAIN, value=4)
    end = ExecutableEndEvent(type="PlaygroundEndEvent")
    start.extend(debug).extend(factorial).extend(end)
    data = Data()
    data.inputs["${shout}"] = Var(type=Var.LAZY, value="hi", custom_type="upper_case")
    data.inputs["${result}"] = NodeOutput(
        source_act=factorial.id, source_key="factorial_of_n", type=Var.PLAIN
    )
    data.outputs = ["${result}"]
    tree = build_tree(start, data=data)
    PlaygroundEndEvent.executions.clear()

    root_id = harness.run_to_end(tree)

    assert harness.state_name(root_id) == states.FINISHED
    assert harness.outputs(debug.id) == {"param_1": "HI", "_loop": 1, "_inner_loop": 1, "_result": True}
    assert harness.outputs(factorial.id)["factorial_of_n"] == 24
    assert harness.outputs(root_id) == {"${result}": 24}
    assert PlaygroundEndEvent.executions == [(False, root_id, root_id)]


def test_unknown_component_fails_the_node_with_a_clear_message(harness):
    start, missing = EmptyStartEvent(), ServiceActivity(component_code="no_such_component")
    start.extend(missing).extend(ExecutableEndEvent(type="PlaygroundEndEvent"))
    tree = build_tree(start)

    harness.start(tree)
    harness.run_until_idle()

    assert harness.state_name(missing.id) == states.FAILED
    assert (
        "component 'no_such_component' version 'legacy' does not exist"
        in harness.outputs(missing.id)["ex_data"]
    )
