"""PipelinePluginManagerMixin: services, end events and compute variables of the component framework.

The lookups go through three module-level functions — the registries of the component framework
(``ComponentLibrary``, ``VariableLibrary``, ``FlowNodeClsFactory``), imported when first used. They are
the seams tests replace (``monkeypatch.setattr(plugin, "component_class", ...)``) to run services
without the component framework.
"""

from typing import Any

from bamboo_engine.eri.interfaces import ExecutableEvent, Service, Variable
from pipeline.eri.imp.end_event import ExecutableEndEventWrapper
from pipeline.eri.imp.service import ServiceWrapper
from pipeline.eri.imp.variable import VariableWrapper
from pipeline.exceptions import ComponentNotExistException


def component_class(code: str, version: str) -> Any:
    """The ``Component`` class registered for ``(code, version)``.

    Raises:
        ComponentNotExistException: nothing is registered under that code and version.
    """
    from pipeline.component_framework.library import ComponentLibrary

    return ComponentLibrary.get_component_class(code, version)


def variable_class(code: str) -> Any:
    """The ``LazyVariable`` class registered for ``code``."""
    from pipeline.core.data.library import VariableLibrary

    return VariableLibrary.get_var_class(code)


def end_event_class(code: str) -> Any:
    """The ``ExecutableEndEvent`` class registered for ``code``."""
    from pipeline.core.flow import FlowNodeClsFactory

    return FlowNodeClsFactory.get_node_cls(code)


class PipelinePluginManagerMixin:
    """Looks plugins up in the component framework's registries."""

    def get_service(self, code: str, version: str, name: str = None, inner_loop: int = -1) -> Service:
        component_cls = component_class(code, version)
        if component_cls is None:
            raise ComponentNotExistException(f"component {code}/{version} is not registered")
        return ServiceWrapper(component_cls.bound_service(name=name), inner_loop)

    def get_executable_end_event(self, code: str) -> ExecutableEvent:
        event_cls = end_event_class(code)
        if event_cls is None:
            raise ComponentNotExistException(f"executable end event {code} is not registered")
        return ExecutableEndEventWrapper(event_cls(id=None))

    def get_compute_variable(
        self, code: str, key: str, value: Variable, additional_data: dict, inner_loop: int = -1
    ) -> Variable:
        variable_cls = variable_class(code)
        if variable_cls is None:
            raise ComponentNotExistException(f"compute variable {code} (for {key}) is not registered")
        return VariableWrapper(variable_cls, key, value, additional_data, inner_loop)
