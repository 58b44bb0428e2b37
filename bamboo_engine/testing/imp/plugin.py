"""PluginManagerMixin: services, end events and compute variables registered on the runtime."""

import inspect
from typing import Any, Dict, Tuple

from bamboo_engine.eri.interfaces import ExecutableEvent, Service, Variable
from bamboo_engine.exceptions import NotFoundError
from bamboo_engine.plugin import ExecutableEndEventAdapter, LazyVariable, LazyVariableAdapter, ServiceAdapter
from bamboo_engine.plugin import Service as PluginService

LEGACY_VERSION = "legacy"


class PluginManagerMixin:
    _services: Dict[Tuple[str, str], Any]
    _end_events: Dict[str, Any]
    _compute_variables: Dict[str, Any]

    def register_service(self, code: str, service_cls: Any, version: str = LEGACY_VERSION) -> None:
        """Register a plugin-style :class:`bamboo_engine.plugin.Service` or an ERI ``Service`` subclass."""
        if not (inspect.isclass(service_cls) and issubclass(service_cls, PluginService | Service)):
            raise TypeError(f"service {code}/{version} must be a plugin Service or ERI Service subclass")
        self._services[(code, version)] = service_cls

    def register_executable_end_event(self, code: str, event_cls: Any) -> None:
        """Register an end-event class for the tree's ``end_event.type == code``."""
        self._end_events[code] = event_cls

    def register_compute_variable(self, code: str, variable_cls: Any) -> None:
        """Register a :class:`bamboo_engine.plugin.LazyVariable` subclass for ``custom_type == code``."""
        self._compute_variables[code] = variable_cls

    def get_service(self, code: str, version: str, name: str = None, inner_loop: int = -1) -> Service:
        key = (code, version or LEGACY_VERSION)
        service_cls = self._services.get(key)
        if service_cls is None:
            known = sorted(f"{c}/{v}" for c, v in self._services)
            raise NotFoundError(f"service {key[0]}/{key[1]} is not registered (registered: {known})")
        if issubclass(service_cls, Service):
            return service_cls()
        return ServiceAdapter(service_cls(name=name), inner_loop=inner_loop)

    def get_executable_end_event(self, code: str) -> ExecutableEvent:
        event_cls = self._end_events.get(code)
        if event_cls is None:
            raise NotFoundError(f"executable end event {code} is not registered")
        if issubclass(event_cls, ExecutableEvent):
            return event_cls()
        return ExecutableEndEventAdapter(event_cls())

    def get_compute_variable(
        self, code: str, key: str, value: Variable, additional_data: dict, inner_loop: int = -1
    ) -> Variable:
        variable_cls = self._compute_variables.get(code)
        if variable_cls is None:
            raise NotFoundError(f"compute variable {code} (for {key}) is not registered")
        if issubclass(variable_cls, LazyVariable):
            return LazyVariableAdapter(variable_cls, key, value, additional_data, inner_loop)
        return variable_cls(key, value, additional_data, inner_loop)
