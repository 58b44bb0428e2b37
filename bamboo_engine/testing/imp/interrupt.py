"""InterruptMixin and EventMixin: the runtime's "database errors" and the events about them."""

from typing import List, Tuple, Type

from bamboo_engine.eri.models.event import ExecuteInterruptEvent, ScheduleInterruptEvent
from bamboo_engine.testing.imp.base import StoreBacked


class InMemoryInterruptError(Exception):
    """Stands for a database/connection error of a real runtime.

    The engine turns it into an interrupt: the current execute/schedule message is re-dispatched with a
    recover point. Tests raise it with ``InMemoryRuntime.inject_interrupt``.
    """


class InterruptMixin(StoreBacked):
    def interrupt_errors(self) -> Tuple[Type[BaseException], ...]:
        return (InMemoryInterruptError,)


class EventMixin(StoreBacked):
    interrupt_events: List[object]

    def handle_execute_interrupt_event(self, event: ExecuteInterruptEvent):
        with self._store.lock:
            self.interrupt_events.append(event)

    def handle_schedule_interrupt_event(self, event: ScheduleInterruptEvent):
        with self._store.lock:
            self.interrupt_events.append(event)
