"""The Engine Runtime Interface: abstract classes a runtime implements, one module per concern."""

from bamboo_engine.eri.interfaces.config import ConfigMixin
from bamboo_engine.eri.interfaces.context import ContextMixin
from bamboo_engine.eri.interfaces.data import DataMixin
from bamboo_engine.eri.interfaces.history import ExecutionHistoryMixin
from bamboo_engine.eri.interfaces.hooks import EngineAPIHooksMixin, EngineRuntimeHooksMixin
from bamboo_engine.eri.interfaces.interrupt import EventMixin, InterruptMixin
from bamboo_engine.eri.interfaces.node import NodeMixin
from bamboo_engine.eri.interfaces.plugin import ExecutableEvent, PluginManagerMixin, Service, Variable
from bamboo_engine.eri.interfaces.process import ProcessMixin
from bamboo_engine.eri.interfaces.rollback import RollbackMixin
from bamboo_engine.eri.interfaces.runtime import EngineRuntimeInterface
from bamboo_engine.eri.interfaces.schedule import ScheduleMixin
from bamboo_engine.eri.interfaces.state import StateMixin
from bamboo_engine.eri.interfaces.task import TaskMixin

# The models the interface signatures use are published as names of this module as well.
from bamboo_engine.eri.models import (
    CallbackData,
    ContextValue,
    Data,
    DataInput,
    DispatchProcess,
    ExecuteInterruptEvent,
    ExecuteInterruptPoint,
    ExecutionData,
    ExecutionHistory,
    ExecutionShortHistory,
    HookType,
    Node,
    ProcessInfo,
    Schedule,
    ScheduleInterruptEvent,
    ScheduleInterruptPoint,
    ScheduleType,
    State,
    SuspendedProcessInfo,
)

__version__ = "7.2.0"


def version() -> str:
    """Version of the Engine Runtime Interface."""
    return __version__


__all__ = [
    "CallbackData",
    "ConfigMixin",
    "ContextMixin",
    "ContextValue",
    "Data",
    "DataInput",
    "DataMixin",
    "DispatchProcess",
    "EngineAPIHooksMixin",
    "EngineRuntimeHooksMixin",
    "EngineRuntimeInterface",
    "EventMixin",
    "ExecutableEvent",
    "ExecuteInterruptEvent",
    "ExecuteInterruptPoint",
    "ExecutionData",
    "ExecutionHistory",
    "ExecutionHistoryMixin",
    "ExecutionShortHistory",
    "HookType",
    "InterruptMixin",
    "Node",
    "NodeMixin",
    "PluginManagerMixin",
    "ProcessInfo",
    "ProcessMixin",
    "RollbackMixin",
    "Schedule",
    "ScheduleInterruptEvent",
    "ScheduleInterruptPoint",
    "ScheduleMixin",
    "ScheduleType",
    "Service",
    "State",
    "StateMixin",
    "SuspendedProcessInfo",
    "TaskMixin",
    "Variable",
    "__version__",
    "version",
]
