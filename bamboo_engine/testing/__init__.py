"""In-memory ERI runtime for unit-testing pipelines without Django (see docs/in-memory-runtime.md)."""

from bamboo_engine.prepare import PreparedPipeline, prepare_pipeline
from bamboo_engine.testing.clock import ManualClock, RealClock
from bamboo_engine.testing.dispatcher import Task
from bamboo_engine.testing.helpers import InjectedInterrupt
from bamboo_engine.testing.imp.interrupt import InMemoryInterruptError
from bamboo_engine.testing.runtime import InMemoryRuntime

__all__ = [
    "InMemoryInterruptError",
    "InMemoryRuntime",
    "InjectedInterrupt",
    "ManualClock",
    "PreparedPipeline",
    "RealClock",
    "Task",
    "prepare_pipeline",
]
