"""Node handler base class and the registry mapping node types to handlers.

Built-in handlers live in :mod:`bamboo_engine.handlers`, one module per node type, each registered with
:func:`register_handler`; importing the package registers them all. This module imports none of them.
"""

import contextlib
import copy
from abc import ABCMeta, abstractmethod
from typing import Any, Callable, ContextManager, Dict, Optional, Type, TypeVar

from bamboo_engine.context import root_pipeline_inputs
from bamboo_engine.eri.models.handler import ExecuteResult, ScheduleResult
from bamboo_engine.eri.models.interrupt import ExecuteInterruptPoint, ScheduleInterruptPoint
from bamboo_engine.eri.models.node import Node, NodeType
from bamboo_engine.eri.models.runtime import CallbackData, ProcessInfo, Schedule
from bamboo_engine.exceptions import InvalidOperationError, NotFoundError

LOOP_KEY = "_loop"
INNER_LOOP_KEY = "_inner_loop"


def atomic_step(runtime) -> ContextManager[Any]:
    """The runtime's ``atomic_step()`` unit when it declares ``ATOMIC_STEP``, else a no-op.

    Inside the unit the runtime's writes take effect together or not at all, and messages sent inside it
    leave only once it completed (see ``bamboo_engine.eri.interfaces.runtime``). The engine groups
    "put the process to sleep / join / wake" with the dispatches that go with it, and a node's results
    with its final versioned state. Never put service or plugin code inside: the unit may hold a database
    transaction or a lock.
    """
    return runtime.atomic_step() if runtime.ATOMIC_STEP else contextlib.nullcontext()


class ScheduleNotSupportedError(InvalidOperationError, NotImplementedError):
    """``schedule`` was called on a handler whose node type never schedules."""


class StepMemo:
    """Reads the handlers of one engine step (one message) share instead of repeating them.

    Only data that does not change while a run is in flight is kept: the root pipeline's inputs (the
    services' ``root_pipeline_data``). Each caller gets its own copy, so a service mutating what it was
    given cannot leak into the next node, just as with a fresh read.
    """

    def __init__(self) -> None:
        self._root_inputs: Dict[str, Dict[str, Any]] = {}

    def root_pipeline_inputs(self, runtime, root_pipeline_id: str) -> Dict[str, Any]:
        """``{key: value}`` of the root pipeline's data inputs, read at most once per step."""
        if root_pipeline_id not in self._root_inputs:
            self._root_inputs[root_pipeline_id] = root_pipeline_inputs(runtime, root_pipeline_id)
        return copy.deepcopy(self._root_inputs[root_pipeline_id])


class NodeHandler(metaclass=ABCMeta):
    """Runs one node of one type.

    Args:
        node: the node to run.
        runtime: the engine runtime.
        interrupter: the engine's interrupter; handlers record progress in
            ``interrupter.check_point.handler_data`` and call ``interrupter.check(key_point)``.

    Attributes:
        memo: reads shared with the other handlers of the same engine step; the engine replaces the
            private default with the step's own.
        service: the service the handler ran, if any (the engine hands it to the NODE_FINISH hook so
            the plugin registry is not asked twice).
        attempt: which attempt of the node's ``retry_policy`` this execute is (1 unless the engine
            runs it as an automatic retry); the engine sets it before ``execute``.
    """

    attempt: int = 1

    def __init__(self, node: Node, runtime, interrupter):
        self.node = node
        self.runtime = runtime
        self.interrupter = interrupter
        self.memo = StepMemo()
        self.service: Any = None

    @abstractmethod
    def execute(
        self,
        process_info: ProcessInfo,
        loop: int,
        inner_loop: int,
        version: str,
        recover_point: Optional[ExecuteInterruptPoint] = None,
    ) -> ExecuteResult:
        """Run the node; the engine has already set it RUNNING with ``version``.

        Args:
            process_info: the process running the node.
            loop: times the node was entered in this root run.
            inner_loop: times the node was entered in the current (sub)pipeline run.
            version: the node's current state version.
            recover_point: the check point of an interrupted earlier attempt, whose completed steps
                must not be repeated.
        """

    def ready_for_inline_schedule(self) -> bool:
        """Whether :meth:`schedule` can run right now from what :meth:`execute` keeps in memory.

        The engine then runs the first poll in the same worker without the reads and the lock a
        schedule message needs (nobody else can know about the schedule yet).
        """
        return False

    def schedule(
        self,
        process_info: ProcessInfo,
        loop: int,
        inner_loop: int,
        schedule: Schedule,
        callback_data: Optional[CallbackData] = None,
        recover_point: Optional[ScheduleInterruptPoint] = None,
    ) -> ScheduleResult:
        """Run one schedule of the node; only scheduling node types override this.

        Raises:
            ScheduleNotSupportedError: always, for node types that never schedule.
        """
        raise ScheduleNotSupportedError(
            f"node({self.node.id}) of type {_type_name(self.node.type)} does not support schedule"
        )


HandlerClass = TypeVar("HandlerClass", bound=Type[NodeHandler])


class HandlerFactory:
    """Registry of handler classes by node type."""

    _handlers: Dict[NodeType, Type[NodeHandler]] = {}

    @classmethod
    def add_handler(cls, type: NodeType, handler_cls: Type[NodeHandler]) -> None:  # noqa: A002
        """Register ``handler_cls`` for nodes of ``type`` (a later registration replaces it)."""
        cls._handlers[NodeType(type)] = handler_cls

    @classmethod
    def get_handler(cls, node: Node, runtime, interrupter) -> NodeHandler:
        """A handler instance for ``node``.

        Raises:
            NotFoundError: no handler is registered for the node's type.
        """
        node_type = _as_node_type(node.type)
        handler_cls = cls._handlers.get(node_type) if node_type is not None else None
        if handler_cls is None:
            raise NotFoundError(f"no handler registered for node({node.id}) of type {_type_name(node.type)}")
        return handler_cls(node, runtime, interrupter)


def register_handler(type: NodeType) -> Callable[[HandlerClass], HandlerClass]:  # noqa: A002
    """Class decorator registering a :class:`NodeHandler` subclass for node ``type``."""

    def decorator(handler_cls: HandlerClass) -> HandlerClass:
        HandlerFactory.add_handler(type, handler_cls)
        return handler_cls

    return decorator


def _as_node_type(value) -> Optional[NodeType]:
    if isinstance(value, NodeType):
        return value
    try:
        return NodeType(value)
    except ValueError:
        return None


def _type_name(value) -> str:
    return value.value if isinstance(value, NodeType) else str(value)
