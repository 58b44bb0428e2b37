"""Message rules: what an execute or schedule message carries and where it goes.

Every runtime sends the same keyword arguments (:func:`execute_message`, :func:`schedule_message`) with the
same headers: ``route_info`` (the queue and priority of the process, fixed when the process was created)
and ``timestamp`` (the send time plus the delay of a delayed schedule). A message for a process that does
not exist has no route: sending it raises ``NotFoundError``. A runtime supplies the transport only
(:meth:`TaskRules._send_message`); how a received message is run is ``bamboo_engine.engine.messages``.
"""

import abc
from typing import Any, Dict, Optional, Tuple

from bamboo_engine import fence
from bamboo_engine.eri.interfaces.task import TaskMixin
from bamboo_engine.eri.models.interrupt import ExecuteInterruptPoint, ScheduleInterruptPoint
from bamboo_engine.eri.rules.storage import PROCESS, RuleStorage

NO_RECOVER_POINT = "{}"
#: Kinds of message a runtime sends (its transport maps them to task names).
EXECUTE = "execute"
SCHEDULE = "schedule"


def execute_message(
    process_id: int,
    node_id: str,
    root_pipeline_id: str,
    parent_pipeline_id: str,
    recover_point: Optional[ExecuteInterruptPoint] = None,
) -> dict:
    """Keyword arguments of an execute message (``headers`` is added when it is sent)."""
    return {
        "process_id": process_id,
        "node_id": node_id,
        "root_pipeline_id": root_pipeline_id,
        "parent_pipeline_id": parent_pipeline_id,
        "recover_point": recover_point.to_json() if recover_point is not None else NO_RECOVER_POINT,
    }


def schedule_message(
    process_id: int,
    node_id: str,
    schedule_id: Any,
    callback_data_id: Optional[int] = None,
    recover_point: Optional[ScheduleInterruptPoint] = None,
) -> dict:
    """Keyword arguments of a schedule message (``headers`` is added when it is sent)."""
    return {
        "process_id": process_id,
        "node_id": node_id,
        "schedule_id": schedule_id,
        "callback_data_id": callback_data_id,
        "recover_point": recover_point.to_json() if recover_point is not None else NO_RECOVER_POINT,
    }


class TaskRules(TaskMixin, RuleStorage):
    """The senders of :class:`~bamboo_engine.eri.interfaces.TaskMixin`; the runtime is the transport."""

    @abc.abstractmethod
    def _process_route(self, process_id: Any) -> Optional[Tuple[str, int]]:
        """``(queue, priority)`` of the process, or None when it does not exist."""

    @abc.abstractmethod
    def _send_message(
        self, kind: str, kwargs: Dict[str, Any], queue: str, priority: int, countdown: float
    ) -> None:
        """Send one message of ``kind`` (:data:`EXECUTE`, :data:`SCHEDULE`), due in ``countdown`` seconds."""

    def execute(
        self,
        process_id: int,
        node_id: str,
        root_pipeline_id: str,
        parent_pipeline_id: str,
        recover_point: Optional[ExecuteInterruptPoint] = None,
        headers: Optional[dict] = None,
    ) -> None:
        kwargs = execute_message(process_id, node_id, root_pipeline_id, parent_pipeline_id, recover_point)
        if fence.emit_enabled():
            headers = fence.dispatch_headers(headers, fence.execute_fence_of(self, process_id))
        self._dispatch(EXECUTE, process_id, kwargs, headers, 0)

    def execute_later(
        self,
        process_id: int,
        node_id: str,
        root_pipeline_id: str,
        parent_pipeline_id: str,
        countdown: float,
        headers: Optional[dict] = None,
    ) -> None:
        """An execute message due in ``countdown`` seconds (the ``DELAYED_EXECUTE`` capability)."""
        kwargs = execute_message(process_id, node_id, root_pipeline_id, parent_pipeline_id)
        self._dispatch(EXECUTE, process_id, kwargs, headers, max(countdown, 0))

    def schedule(
        self,
        process_id: int,
        node_id: str,
        schedule_id: str,
        callback_data_id: Optional[int] = None,
        recover_point: Optional[ScheduleInterruptPoint] = None,
        headers: Optional[dict] = None,
    ) -> None:
        kwargs = schedule_message(process_id, node_id, schedule_id, callback_data_id, recover_point)
        self._dispatch(
            SCHEDULE, process_id, kwargs, self._fenced_schedule(schedule_id, callback_data_id, headers), 0
        )

    def set_next_schedule(
        self,
        process_id: int,
        node_id: str,
        schedule_id: str,
        schedule_after: int,
        callback_data_id: Optional[int] = None,
        headers: Optional[dict] = None,
    ) -> None:
        """A schedule message due in ``schedule_after`` seconds (a negative delay is due now)."""
        kwargs = schedule_message(process_id, node_id, schedule_id, callback_data_id)
        headers = self._fenced_schedule(schedule_id, callback_data_id, headers)
        self._dispatch(SCHEDULE, process_id, kwargs, headers, max(schedule_after, 0))

    def _fenced_schedule(self, schedule_id: Any, callback_data_id: Optional[int], headers: Optional[dict]):
        # POLL messages only: each callback carries its own data and is never a copy of another one.
        if callback_data_id is None and fence.emit_enabled():
            return fence.dispatch_headers(headers, fence.schedule_fence_of(self, schedule_id))
        return headers

    def _dispatch(
        self, kind: str, process_id: int, kwargs: Dict[str, Any], headers: Optional[dict], countdown: float
    ) -> None:
        route = self._process_route(process_id)
        if route is None:
            raise self._not_found(PROCESS, "process", process_id)
        queue, priority = route
        message_headers = dict(headers or {})
        message_headers["route_info"] = {"queue": queue, "priority": priority}
        message_headers["timestamp"] = self._now().timestamp() + countdown
        kwargs["headers"] = message_headers
        self._send_message(kind, kwargs, queue, priority, countdown)
