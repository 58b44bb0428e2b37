"""TaskMixin: "sending" execute/schedule messages to the local dispatcher, and consuming them."""

import contextlib
from typing import Iterator, Optional

from bamboo_engine.engine.messages import (
    execute_message,
    run_execute_message,
    run_schedule_message,
    schedule_message,
)
from bamboo_engine.eri.models.interrupt import ExecuteInterruptPoint, ScheduleInterruptPoint
from bamboo_engine.testing.dispatcher import Task
from bamboo_engine.testing.imp.base import StoreBacked

EXECUTE = "execute"
SCHEDULE = "schedule"


class TaskMixin(StoreBacked):
    @contextlib.contextmanager
    def atomic_step(self) -> Iterator[None]:
        """The engine's optional unit (``bamboo_engine.eri.interfaces.runtime``).

        Holds the store lock, so no other thread sees the unit half done (in the threads executor a
        task dispatched inside it starts once the unit is over), and, if the block raises, restores the
        execution data and context values it may have written (the engine's units write a node's
        results before its versioned final state; process, schedule and state rows are written last or
        not at all there, so they need no copy). Messages are not held back: nothing crashes between
        two statements in memory.
        """
        store = self._store
        with store.lock:
            saved = store.snapshot_results()
            try:
                yield
            except BaseException:
                store.restore_results(saved)
                raise

    def _headers(self, process_id: int, headers: Optional[dict], countdown: float) -> dict:
        # Same shape as the Django runtime's message headers.
        with self._store.lock:
            record = self._store.processes.get(int(process_id))
            route = (
                {"queue": record.queue, "priority": record.priority}
                if record
                else {"queue": "", "priority": 100}
            )
        result = dict(headers or {})
        result["route_info"] = route
        result["timestamp"] = self._now().timestamp() + countdown
        return result

    def execute(
        self,
        process_id: int,
        node_id: str,
        root_pipeline_id: str,
        parent_pipeline_id: str,
        recover_point: Optional[ExecuteInterruptPoint] = None,
        headers: Optional[dict] = None,
    ):
        kwargs = execute_message(process_id, node_id, root_pipeline_id, parent_pipeline_id, recover_point)
        kwargs["headers"] = self._headers(process_id, headers, 0)
        self._dispatcher.submit(EXECUTE, kwargs)

    def schedule(
        self,
        process_id: int,
        node_id: str,
        schedule_id: str,
        callback_data_id: Optional[int] = None,
        recover_point: Optional[ScheduleInterruptPoint] = None,
        headers: Optional[dict] = None,
    ):
        self._send_schedule(process_id, node_id, schedule_id, callback_data_id, recover_point, headers, 0)

    def set_next_schedule(
        self,
        process_id: int,
        node_id: str,
        schedule_id: str,
        schedule_after: int,
        callback_data_id: Optional[int] = None,
        headers: Optional[dict] = None,
    ):
        self._send_schedule(process_id, node_id, schedule_id, callback_data_id, None, headers, schedule_after)

    def _send_schedule(
        self, process_id, node_id, schedule_id, callback_data_id, recover_point, headers, delay
    ):
        kwargs = schedule_message(process_id, node_id, schedule_id, callback_data_id, recover_point)
        kwargs["headers"] = self._headers(process_id, headers, delay or 0)
        self._dispatcher.submit(SCHEDULE, kwargs, delay=delay or 0)

    # -- the consumer (what a Celery task body does) ---------------------------------------------

    def consume(self, task: Task) -> None:
        """Run one dispatched message through the engine (what a Celery task body does)."""
        if task.kind == EXECUTE:
            run_execute_message(self, **task.kwargs)
        else:
            run_schedule_message(self, **task.kwargs)
