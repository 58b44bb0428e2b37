"""Which runtime errors interrupt an engine step, and how the runtime hears about interrupts."""

from abc import ABC, abstractmethod
from typing import Tuple, Type

from bamboo_engine.eri.interfaces._export import public
from bamboo_engine.eri.models.event import ExecuteInterruptEvent, ScheduleInterruptEvent


@public
class InterruptMixin(ABC):
    """Declares the runtime's transient errors."""

    # The published annotation is ``Tuple[Exception]``; the value is really a tuple of exception
    # classes (used in ``except``), which is what we annotate so callers type-check.
    @abstractmethod
    def interrupt_errors(self) -> Tuple[Type[BaseException], ...]:
        """Exception classes that make the engine re-dispatch the step with a recover point."""


# quirk: EventMixin is not a base of EngineRuntimeInterface, yet runtimes are expected to implement it.
@public
class EventMixin(ABC):
    """Receives interrupt events."""

    @abstractmethod
    def handle_execute_interrupt_event(self, event: ExecuteInterruptEvent) -> None:
        """An ``Engine.execute`` step was interrupted and re-dispatched."""

    @abstractmethod
    def handle_schedule_interrupt_event(self, event: ScheduleInterruptEvent) -> None:
        """An ``Engine.schedule`` step was interrupted and re-dispatched."""
