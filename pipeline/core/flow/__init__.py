"""Flow-level plugin API: ``Service``, interval generators, custom end events and their registry."""

from pipeline.core.flow.activity import (
    AbstractIntervalGenerator,
    DefaultIntervalGenerator,
    LinearIntervalGenerator,
    NullIntervalGenerator,
    Service,
    SquareIntervalGenerator,
    StaticIntervalGenerator,
)
from pipeline.core.flow.event import ExecutableEndEvent
from pipeline.core.flow.factory import FlowNodeClsFactory

__all__ = [
    "AbstractIntervalGenerator",
    "DefaultIntervalGenerator",
    "ExecutableEndEvent",
    "FlowNodeClsFactory",
    "LinearIntervalGenerator",
    "NullIntervalGenerator",
    "Service",
    "SquareIntervalGenerator",
    "StaticIntervalGenerator",
]
