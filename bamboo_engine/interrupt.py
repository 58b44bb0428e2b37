"""Interrupts: turning a runtime storage error in the middle of a step into a safe re-dispatch.

A worker step (one ``execute`` or ``schedule`` message) records its progress in a *check point* as it
goes. When a runtime call raises one of ``runtime.interrupt_errors()`` (for the Django runtime: database
errors), the interrupter re-sends the same message carrying that check point as ``recover_point`` and
raises :class:`InterruptException`, which the engine's entry points swallow. The redelivered message reads
the recover point and skips what the earlier attempt already did (never runs a service twice for one
version, never forks twice).
"""

import copy
import json
import traceback
from contextlib import contextmanager
from enum import Enum
from typing import Any, Iterator, Optional, Type, Union

from bamboo_engine import exceptions
from bamboo_engine.eri.models.event import ExecuteInterruptEvent, ScheduleInterruptEvent
from bamboo_engine.eri.models.interrupt import (
    ExecuteInterruptPoint,
    HandlerExecuteData,
    HandlerScheduleData,
    InterruptPoint,
    ScheduleInterruptPoint,
)

__all__ = [
    "ExecuteInterrupter",
    "ExecuteKeyPoint",
    "InterruptException",
    "Interrupter",
    "ScheduleInterrupter",
    "ScheduleKeyPoint",
]


def is_interrupt_error(runtime: Any, err: BaseException) -> bool:
    """Whether ``err`` is one of ``runtime.interrupt_errors()``: a storage hiccup the step is re-sent for.

    A runtime without that method has no interrupt errors.
    """
    try:
        errors = tuple(runtime.interrupt_errors())
    except Exception:  # noqa: BLE001 - no such method: nothing counts as an interrupt
        return False
    return bool(errors) and isinstance(err, errors)


class InterruptException(Exception):
    """The current step was interrupted and re-dispatched; the worker must stop processing it."""


class ExecuteKeyPoint(Enum):
    """Progress markers of an ``Engine.execute`` step (value = name, stored in the recover point)."""

    ENTRY = "ENTRY"
    START_PUSH_NODE = "START_PUSH_NODE"
    SET_NODE_RUNNING_PRE_CHECK_DONE = "SET_NODE_RUNNING_PRE_CHECK_DONE"
    SET_NODE_RUNNING_DONE = "SET_NODE_RUNNING_DONE"
    EXECUTE_NODE_DONE = "EXECUTE_NODE_DONE"
    EXECUTE_DONE_SET_SCHEDULE_DONE = "EXECUTE_DONE_SET_SCHEDULE_DONE"
    CPG_PROCESS_FORK_DONE = "CPG_PROCESS_FORK_DONE"
    PG_PROCESS_FORK_DONE = "PG_PROCESS_FORK_DONE"
    EXEC_EE_EVENT_EXECUTE_DONE = "EXEC_EE_EVENT_EXECUTE_DONE"
    SA_SERVICE_EXECUTE_DONE = "SA_SERVICE_EXECUTE_DONE"
    SP_SET_PIPELINE_STACK_DONE = "SP_SET_PIPELINE_STACK_DONE"


class ScheduleKeyPoint(Enum):
    """Progress markers of an ``Engine.schedule`` step (value = name, stored in the recover point)."""

    ENTRY = "ENTRY"
    VERSION_MISMATCH_CHECKED = "VERSION_MISMATCH_CHECKED"
    NODE_NOT_RUNNING_CHECKED = "NODE_NOT_RUNNING_CHECKED"
    APPLY_LOCK_DONE = "APPLY_LOCK_DONE"
    SCHEDULE_NODE_DONE = "SCHEDULE_NODE_DONE"
    RELEASE_LOCK_DONE = "RELEASE_LOCK_DONE"
    SA_SERVICE_SCHEDULE_DONE = "SA_SERVICE_SCHEDULE_DONE"
    SA_SERVICE_SCHEDULE_TIME_ADDED = "SA_SERVICE_SCHEDULE_TIME_ADDED"


PointArg = Union[None, str, dict, Enum, InterruptPoint]


def _load_point(point_cls: Type[Any], point: PointArg, what: str) -> Optional[Any]:
    """Accept a recover/check point as the model object, its JSON text or its decoded dict."""
    if point is None:
        return None
    if isinstance(point, point_cls):
        if isinstance(point.name, Enum):  # a key point given where its name belongs
            point.name = point.name.value
        return point
    if isinstance(point, Enum):
        return point_cls(name=point.value)
    if isinstance(point, dict):
        point = json.dumps(point)
    if isinstance(point, str):
        return point_cls.from_json(point)
    raise exceptions.ValueError(
        f"{what} must be a {point_cls.__name__}, its JSON text or dict, got {type(point).__name__}"
    )


def _copy_point(point: Any) -> Any:
    # A deep copy keeps the message we re-send independent of later mutation of the live check point.
    return copy.deepcopy(point)


class Interrupter:
    """Tracks the progress of one worker step and converts runtime interrupt errors into a re-dispatch.

    Handlers use only :meth:`check` and ``check_point.handler_data``; the engine wraps runtime work in
    :meth:`guard`.

    Attributes:
        runtime: the runtime the step runs against.
        current_node_id: node the step is working on (updated as the execute loop moves on).
        process_id: process of the step.
        check_point: progress of THIS attempt; sent as the recover point if the attempt is interrupted.
        recover_point: progress of the interrupted earlier attempt, or None for a fresh message.
        headers: message headers, re-sent unchanged with the re-dispatched message.
    """

    point_cls: Type[Any] = InterruptPoint
    handler_data_cls: Type[Any] = object

    def __init__(
        self,
        runtime: Any,
        current_node_id: str,
        process_id: int,
        check_point: PointArg = None,
        recover_point: PointArg = None,
        headers: Optional[dict] = None,
    ):
        self.runtime = runtime
        self.current_node_id = current_node_id
        self.process_id = process_id
        self.headers = headers
        self.recover_point: Any = _load_point(self.point_cls, recover_point, "recover_point")
        point = _load_point(self.point_cls, check_point, "check_point")
        if self.recover_point is not None:
            # Start from what the earlier attempt did, so an interrupt of this attempt keeps that progress.
            point = _copy_point(self.recover_point)
        if point is None:
            point = self.point_cls(name="ENTRY")
        if point.handler_data is None:
            point.handler_data = self.handler_data_cls()
        self.check_point: Any = point

    def check(self, key_point: Enum) -> None:
        """Record that the step reached ``key_point``."""
        self.check_point.name = key_point.value

    def check_and_set(self, key_point: Enum, **attrs: Any) -> None:
        """Record ``key_point`` and the facts the step established there (check point attributes)."""
        for name, value in attrs.items():
            setattr(self.check_point, name, value)
        self.check(key_point)

    def move_to_node(self, node_id: str) -> None:
        """Start tracking a new node: the recover point only ever applies to the message's first node."""
        self.current_node_id = node_id
        self.recover_point = None
        self.check_point = self.point_cls(name="START_PUSH_NODE", handler_data=self.handler_data_cls())

    @contextmanager
    def guard(self) -> Iterator[None]:
        """Run a block; an interrupt error inside re-dispatches the step and raises InterruptException."""
        try:
            yield
        except InterruptException:
            raise
        except Exception as err:
            if not is_interrupt_error(self.runtime, err):
                raise
            self.interrupt(err)

    def interrupt(self, err: Exception) -> None:
        """Re-dispatch the step with the current check point, report the event, stop the step.

        Raises:
            InterruptException: always.
        """
        self._redispatch(_copy_point(self.check_point))
        self._report(err, "".join(traceback.format_exception(err)))
        raise InterruptException(
            f"{type(self).__name__} interrupted at {self.check_point.name} of node {self.current_node_id} "
            f"(process {self.process_id}): {err!r}"
        ) from err

    def _redispatch(self, recover_point: Any) -> None:
        raise NotImplementedError

    def _report(self, err: Exception, exc_traceback: str) -> None:
        raise NotImplementedError


class ExecuteInterrupter(Interrupter):
    """Interrupter of an ``Engine.execute`` step.

    Built by the runtime's task consumer for every execute message::

        ExecuteInterrupter(runtime, current_node_id, process_id, parent_pipeline_id, root_pipeline_id,
                           check_point, recover_point=None, headers=None)

    ``check_point`` may be None (a fresh ``ENTRY`` point is created), a key point or an
    :class:`ExecuteInterruptPoint`. ``recover_point`` is the message's
    recover point: an :class:`ExecuteInterruptPoint`, its JSON text, its decoded dict, or None/``"{}"``.
    On interrupt it calls ``runtime.execute(process_id, current_node_id, root_pipeline_id,
    parent_pipeline_id, recover_point=<check point>, headers=headers)`` and then
    ``runtime.handle_execute_interrupt_event(ExecuteInterruptEvent(...))``.
    """

    point_cls = ExecuteInterruptPoint
    handler_data_cls = HandlerExecuteData

    def __init__(
        self,
        runtime: Any,
        current_node_id: str,
        process_id: int,
        parent_pipeline_id: str,
        root_pipeline_id: str,
        check_point: PointArg = None,
        recover_point: PointArg = None,
        headers: Optional[dict] = None,
    ):
        self.parent_pipeline_id = parent_pipeline_id
        self.root_pipeline_id = root_pipeline_id
        super().__init__(runtime, current_node_id, process_id, check_point, recover_point, headers)

    def _redispatch(self, recover_point: ExecuteInterruptPoint) -> None:
        self.runtime.execute(
            process_id=self.process_id,
            node_id=self.current_node_id,
            root_pipeline_id=self.root_pipeline_id,
            parent_pipeline_id=self.parent_pipeline_id,
            recover_point=recover_point,
            headers=self.headers,
        )

    def _report(self, err: Exception, exc_traceback: str) -> None:
        self.runtime.handle_execute_interrupt_event(
            ExecuteInterruptEvent(
                name=self.check_point.name,
                process_id=self.process_id,
                node_id=self.current_node_id,  # type: ignore[arg-type]
                exception=err,
                exception_traceback=exc_traceback,
            )
        )


class ScheduleInterrupter(Interrupter):
    """Interrupter of an ``Engine.schedule`` step.

    Built by the runtime's task consumer for every schedule message::

        ScheduleInterrupter(runtime, current_node_id, process_id, schedule_id, callback_data_id,
                            check_point, recover_point=None, headers=None)

    ``check_point``/``recover_point`` accept the same forms as for :class:`ExecuteInterrupter`, with
    :class:`ScheduleInterruptPoint`. On interrupt it calls ``runtime.schedule(process_id, current_node_id,
    schedule_id, callback_data_id, recover_point=<check point>, headers=headers)`` and then
    ``runtime.handle_schedule_interrupt_event(ScheduleInterruptEvent(...))``.
    """

    point_cls = ScheduleInterruptPoint
    handler_data_cls = HandlerScheduleData

    def __init__(
        self,
        runtime: Any,
        current_node_id: str,
        process_id: int,
        schedule_id: Any,
        callback_data_id: Optional[int] = None,
        check_point: PointArg = None,
        recover_point: PointArg = None,
        headers: Optional[dict] = None,
    ):
        self.schedule_id = schedule_id
        self.callback_data_id = callback_data_id
        super().__init__(runtime, current_node_id, process_id, check_point, recover_point, headers)

    def _redispatch(self, recover_point: ScheduleInterruptPoint) -> None:
        self.runtime.schedule(
            process_id=self.process_id,
            node_id=self.current_node_id,
            schedule_id=self.schedule_id,
            callback_data_id=self.callback_data_id,
            recover_point=recover_point,
            headers=self.headers,
        )

    def _report(self, err: Exception, exc_traceback: str) -> None:
        self.runtime.handle_schedule_interrupt_event(
            ScheduleInterruptEvent(
                name=self.check_point.name,
                process_id=self.process_id,
                node_id=self.current_node_id,  # type: ignore[arg-type]
                exception=err,
                exception_traceback=exc_traceback,
            )
        )
