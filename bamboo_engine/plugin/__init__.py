"""Pure-Python plugin authoring API: services, data objects, interval generators, end events, lazy
variables, and the adapters that turn them into ERI objects."""

from bamboo_engine.plugin.adapter import ServiceAdapter
from bamboo_engine.plugin.data import DataObject
from bamboo_engine.plugin.end_event import ExecutableEndEvent, ExecutableEndEventAdapter
from bamboo_engine.plugin.interval import (
    AbstractIntervalGenerator,
    DefaultIntervalGenerator,
    LinearIntervalGenerator,
    NullIntervalGenerator,
    SquareIntervalGenerator,
    StaticIntervalGenerator,
)
from bamboo_engine.plugin.io import InputItem, OutputItem
from bamboo_engine.plugin.service import Service
from bamboo_engine.plugin.variable import (
    LazyVariable,
    LazyVariableAdapter,
    PlainVariable,
    SpliceVariable,
    Variable,
)

__all__ = [
    "AbstractIntervalGenerator",
    "DataObject",
    "DefaultIntervalGenerator",
    "ExecutableEndEvent",
    "ExecutableEndEventAdapter",
    "InputItem",
    "LazyVariable",
    "LazyVariableAdapter",
    "LinearIntervalGenerator",
    "NullIntervalGenerator",
    "OutputItem",
    "PlainVariable",
    "Service",
    "ServiceAdapter",
    "SpliceVariable",
    "SquareIntervalGenerator",
    "StaticIntervalGenerator",
    "Variable",
]
