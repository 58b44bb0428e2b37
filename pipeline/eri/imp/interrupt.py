"""InterruptMixin and EventMixin: which errors interrupt an engine step, and signals about interrupts."""

from typing import Tuple, Type

from django.db import InterfaceError, InternalError, OperationalError

from bamboo_engine.eri.models.event import ExecuteInterruptEvent, ScheduleInterruptEvent
from pipeline.eri import signals


class InterruptMixin:
    """Database and connection errors interrupt a step; the engine re-dispatches it with a recover point."""

    def interrupt_errors(self) -> Tuple[Type[BaseException], ...]:
        return (OperationalError, InternalError, InterfaceError)


class EventMixin:
    """Forwards interrupt events as the ``execute_interrupt`` / ``schedule_interrupt`` signals.

    The event is also the signal's sender, as upstream sends it (receivers filter on nothing else).
    """

    def handle_execute_interrupt_event(self, event: ExecuteInterruptEvent):
        signals.execute_interrupt.send(sender=event, event=event)

    def handle_schedule_interrupt_event(self, event: ScheduleInterruptEvent):
        signals.schedule_interrupt.send(sender=event, event=event)
