"""Component declaration, in-memory registration and ``ComponentLibrary`` lookups."""

import sys
import types

import pytest

from pipeline.component_framework.component import Component, ComponentDataError
from pipeline.component_framework.constants import LEGACY_PLUGINS_VERSION
from pipeline.component_framework.library import ComponentLibrary
from pipeline.core.data.base import DataObject
from pipeline.core.data.var import LazyVariable
from pipeline.core.flow.activity import Service
from pipeline.core.flow.io import IntItemSchema, StringItemSchema
from pipeline.exceptions import ComponentConflictError, ComponentNotExistException


class EchoService(Service):
    def inputs_format(self):
        return [self.InputItem(name="Text", key="text", type="string", schema=StringItemSchema("to echo"))]

    def outputs_format(self):
        return [self.OutputItem(name="Length", key="length", type="int", schema=IntItemSchema("characters"))]

    def execute(self, data, parent_data):
        data.set_outputs("length", len(data.get_one_of_inputs("text")))


def _declare(code="echo", version=None, module_attrs=None, **attrs):
    """Declare a component class inside a throwaway module (so module-level flags apply)."""
    module = types.ModuleType(f"fake_plugins_{code}_{version}")
    module.__dict__.update(module_attrs or {})
    sys.modules[module.__name__] = module
    body = {
        "name": "Echo",
        "code": code,
        "bound_service": EchoService,
        "__module__": module.__name__,
        **attrs,
    }
    if version:
        body["version"] = version
    try:
        return type(Component)("EchoComponent", (Component,), body)
    finally:
        del sys.modules[module.__name__]


def test_declaring_a_component_registers_it_under_code_and_legacy_version():
    component_cls = _declare()

    assert component_cls.version == LEGACY_PLUGINS_VERSION
    assert ComponentLibrary.get_component_class("echo") is component_cls
    assert ComponentLibrary.get_component_class("echo", "legacy") is component_cls
    assert ComponentLibrary("echo") is component_cls
    assert "echo" in ComponentLibrary.codes()
    assert component_cls in ComponentLibrary.component_list()


def test_versions_are_registered_side_by_side():
    legacy, v2 = _declare(), _declare(version="2.0", is_default_version=True)

    assert ComponentLibrary.versions("echo") == ["legacy", "2.0"]
    assert ComponentLibrary("echo", "2.0") is v2
    assert ComponentLibrary(component_code="echo", version="legacy") is legacy
    assert ComponentLibrary.versions("no_such_code") == []


def test_missing_code_or_version_raises_component_not_exist_with_details():
    _declare()

    with pytest.raises(
        ComponentNotExistException, match=r"'echo' version '9\.9'.*registered versions: \['legacy'\]"
    ):
        ComponentLibrary.get_component_class("echo", "9.9")
    with pytest.raises(ComponentNotExistException, match="'nope' version 'legacy' does not exist"):
        ComponentLibrary("nope")


def test_get_component_returns_an_instance_holding_the_data_dict():
    _declare()

    component = ComponentLibrary.get_component("echo", {"text": {"type": "plain", "value": "hi"}})

    assert isinstance(component, Component)
    assert component.data_dict == {"text": {"type": "plain", "value": "hi"}}
    assert isinstance(component.service(), EchoService)


def test_abstract_bases_without_code_name_or_service_are_not_registered():
    before = ComponentLibrary.component_list()

    class AbstractBase(Component):
        name = "Base"
        bound_service = EchoService

    assert ComponentLibrary.component_list() == before


def test_module_register_ignore_skips_registration():
    _declare(code="ignored", module_attrs={"__register_ignore__": True})

    assert "ignored" not in ComponentLibrary.codes()


def test_group_name_and_icon_come_from_the_module():
    grouped = _declare(
        code="grouped", module_attrs={"__group_name__": "Network", "__group_icon__": "net.png"}
    )
    plain = _declare(code="plain_group")

    assert (grouped.group_name, grouped.group_icon) == ("Network", "net.png")
    assert plain.group_name == "Fake_Plugins_Plain_Group_None"
    assert plain.group_icon == ""


def test_formats_describe_own_and_default_outputs():
    component_cls = _declare()

    assert component_cls.inputs_format() == [
        {
            "name": "Text",
            "key": "text",
            "type": "string",
            "schema": {"type": "string", "description": "to echo", "enum": []},
            "required": True,
        }
    ]
    assert [item["key"] for item in component_cls.outputs_format()] == [
        "length",
        "_result",
        "_loop",
        "_inner_loop",
    ]
    assert component_cls.get_output_schema("length").as_dict()["type"] == "int"
    assert component_cls.get_input_schema("text").description == "to echo"
    assert component_cls.get_input_schema("missing") is None


def test_form_is_embedded_reads_embedded_form():
    assert _declare(code="embedded", embedded_form=True).form_is_embedded() is True
    assert _declare(code="not_embedded").form_is_embedded() is False


def test_data_for_execution_resolves_plain_splice_and_lazy_inputs():
    class Shout(LazyVariable):
        code = "test_shout"

        def get_value(self):
            return f"{self.value.upper()}{self.pipeline_data.get('mark', '')}"

    component = _declare()(
        {
            "plain": {"type": "plain", "value": "${name}"},
            "splice": {"type": "splice", "value": "hello ${name}"},
            "implicit_splice": {"value": "${name}!"},
            "lazy": {"type": "lazy", "custom_type": "test_shout", "value": "hi ${name}"},
            "bare": 42,
        }
    )

    data = component.data_for_execution({"name": "bamboo"}, {"mark": "!"})

    assert isinstance(data, DataObject)
    assert data.get_inputs() == {
        "plain": "${name}",
        "splice": "hello bamboo",
        "implicit_splice": "bamboo!",
        "lazy": "HI BAMBOO!",
        "bare": 42,
    }


def test_data_for_execution_names_the_bad_input():
    with pytest.raises(ComponentDataError, match="echo: input 'text' has no data"):
        _declare()({"text": None}).data_for_execution({}, {})
    with pytest.raises(ComponentDataError, match="input 'v' uses unknown lazy variable 'nope'"):
        _declare()({"v": {"type": "lazy", "custom_type": "nope", "value": 1}}).data_for_execution({}, {})


def test_playground_components_are_all_registered():
    assert {
        "example_component",
        "factorial",
        "debug_node",
        "debug_no_schedule_node",
        "empty_node",
        "sleep_timer",
        "callback_node",
        "multi_callback_node",
        "fail_node",
        "raise_node",
    } <= set(ComponentLibrary.codes())
    assert ComponentLibrary("debug_node").group_name == "Debug"


# ------------------------------------------------------------------ shipped examples and conflicts
def _declare_in(module_name, class_name="EchoComponent", code="echo", version=None):
    """A component class declared in module ``module_name`` (shipped example or project module)."""
    module = types.ModuleType(module_name)
    sys.modules[module_name] = module
    body = {"name": "Echo", "code": code, "bound_service": EchoService, "__module__": module_name}
    if version:
        body["version"] = version
    try:
        return type(Component)(class_name, (Component,), body)
    finally:
        del sys.modules[module_name]


EXAMPLES = "pipeline.components.collections.fake_examples"


def test_a_project_component_replaces_a_shipped_example_of_the_same_code():
    _declare_in(EXAMPLES)
    mine = _declare_in("my_app.components.collections.echo")

    assert ComponentLibrary("echo") is mine


def test_a_shipped_example_never_replaces_a_project_component():
    mine = _declare_in("my_app.components.collections.echo")
    _declare_in(EXAMPLES)

    assert ComponentLibrary("echo") is mine


def test_two_project_components_with_the_same_code_and_version_raise_naming_both():
    _declare_in("my_app.components.collections.a")

    with pytest.raises(ComponentConflictError) as raised:
        _declare_in("my_app.components.collections.b", class_name="OtherEcho")

    message = str(raised.value)
    assert "'echo' version 'legacy' is declared twice" in message
    assert "my_app.components.collections.a.EchoComponent" in message
    assert "my_app.components.collections.b.OtherEcho" in message


def test_the_same_code_under_another_version_is_no_conflict():
    legacy = _declare_in("my_app.components.collections.a")
    v2 = _declare_in("my_app.components.collections.b", version="2.0")

    assert (ComponentLibrary("echo"), ComponentLibrary("echo", "2.0")) == (legacy, v2)


def test_a_class_declared_again_by_its_own_module_replaces_itself():
    _declare_in("my_app.components.collections.a")
    again = _declare_in("my_app.components.collections.a")  # importlib.reload of the module

    assert ComponentLibrary("echo") is again


def test_the_shipped_examples_are_registered_with_the_playground_one_replacing_example_component():
    from pipeline.components.collections.examples import PipeExampleComponent, SimpleExampleComponent

    assert ComponentLibrary("pipe_example_component") is PipeExampleComponent
    # The playground declares its own example_component (an echo); the project's class wins.
    assert ComponentLibrary("example_component") is not SimpleExampleComponent
    assert ComponentLibrary("example_component").__module__ == "playground.components.collections.examples"
