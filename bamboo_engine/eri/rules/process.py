"""Process rules: creating, parking, waking and ending processes, fork and the join handshake.

Every write is one conditional write of the rows it names (no read-modify-write), so concurrent workers
touching the same process never overwrite each other's fields. A write that names one process raises
``NotFoundError`` when it does not exist; the writes that answer a question (``wake_up``,
``wake_up_if_sleeping_at``, ``child_process_finish``) answer False instead, and ``batch_resume`` changes
the processes that exist.
"""

import abc
import datetime
from typing import Any, Dict, List, Optional, Tuple

from bamboo_engine.eri.interfaces.process import ProcessMixin
from bamboo_engine.eri.models.runtime import DispatchProcess
from bamboo_engine.eri.rules.storage import PROCESS, In, Increment, RuleStorage, SameAs


def new_process_row(
    root_pipeline_id: str,
    pipeline_stack: List[str],
    queue: str,
    priority: int,
    now: datetime.datetime,
    parent_id: int = -1,
    destination_id: str = "",
    current_node_id: str = "",
) -> Dict[str, Any]:
    """Every field of a new process: asleep (its first message wakes it), alive, no join pending."""
    return {
        "root_pipeline_id": root_pipeline_id,
        "pipeline_stack": list(pipeline_stack),
        "queue": queue,
        "priority": priority,
        "parent_id": parent_id,
        "ack_num": 0,
        "need_ack": -1,
        "asleep": True,
        "suspended": False,
        "frozen": False,
        "dead": False,
        "last_heartbeat": now,
        "destination_id": destination_id,
        "current_node_id": current_node_id,
        "suspended_by": "",
    }


class ProcessRules(ProcessMixin, RuleStorage):
    """The writers of :class:`~bamboo_engine.eri.interfaces.ProcessMixin` on a runtime's storage.

    A runtime supplies :meth:`_process_route`; a true ``CURRENT_NODE_BEATS`` (a capability declared on
    the runtime class) makes ``set_current_node`` write the heartbeat too.
    """

    CURRENT_NODE_BEATS: bool

    @abc.abstractmethod
    def _process_route(self, process_id: Any) -> Optional[Tuple[str, int]]:
        """``(queue, priority)`` of the process (fixed when it is created), or None when it does not
        exist."""

    def create_process(
        self, root_pipeline_id: str, pipeline_stack: List[str], queue: str, priority: int
    ) -> int:
        """Create the root process of a run (``prepare_run_pipeline``); its id."""
        row = new_process_row(root_pipeline_id, pipeline_stack, queue, priority, self._now())
        return self._insert_new_row(PROCESS, row)

    def fork(
        self, parent_id: str, root_pipeline_id: str, pipeline_stack: List[str], from_to: Dict[str, str]
    ) -> List[DispatchProcess]:
        """Children run on the parent's queue with its priority, each from its start node to the
        converge gateway ``destination_id``."""
        route = self._process_route(parent_id)
        if route is None:
            raise self._not_found(PROCESS, "process", parent_id)
        queue, priority = route
        now = self._now()
        rows = [
            new_process_row(
                root_pipeline_id,
                pipeline_stack,
                queue,
                priority,
                now,
                parent_id=int(parent_id),
                destination_id=destination_id,
                current_node_id=start_node_id,
            )
            for start_node_id, destination_id in from_to.items()
        ]
        with self._transaction():
            ids = self._insert_rows(PROCESS, rows)
        return [
            DispatchProcess(process_id=child_id, node_id=row["current_node_id"])
            for child_id, row in zip(ids, rows, strict=True)
        ]

    def join(self, process_id: int, children_id: List[str]) -> None:
        self._write_process(process_id, need_ack=len(children_id), ack_num=0)

    def child_process_finish(self, parent_id: int, process_id: int) -> bool:
        """End a child; True for exactly one caller: the one whose ack completed the parent's join.

        The child is ended with a conditional write (a second report of the same child changes nothing and
        answers False), the parent's counter is incremented in place, and the wake-up is a conditional
        write on ``ack_num = need_ack`` that also resets both, so after it no other child's wake-up
        matches. The counter was just incremented, so it is at least 1 and the equality implies a pending
        join. One transaction keeps "child dead" and "parent acked" together; it writes the child and then
        the parent, the same order for every child, so concurrent children queue on the parent instead of
        deadlocking.
        """
        with self._transaction():
            if not self._update_rows(PROCESS, {"id": process_id, "dead": False}, {"dead": True}):
                return False
            self._write_process(parent_id, ack_num=Increment(1))
            woken = self._update_rows(
                PROCESS,
                {"id": parent_id, "ack_num": SameAs("need_ack")},
                {"asleep": False, "ack_num": 0, "need_ack": -1},
            )
        return bool(woken)

    def beat(self, process_id: int) -> None:
        self._write_process(process_id, last_heartbeat=self._now())

    def wake_up(self, process_id: int) -> bool:  # type: ignore[override]
        """Wake a live process; False when it is dead or missing (the engine then drops the message)."""
        return bool(self._update_rows(PROCESS, {"id": process_id, "dead": False}, {"asleep": False}))

    def wake_up_at(self, process_id: int, node_id: str) -> bool:
        """One write: awake, at ``node_id`` (with the heartbeat, as ``set_current_node``); False when the
        process is dead or missing."""
        changes: Dict[str, Any] = {"asleep": False, "current_node_id": node_id}
        if self.CURRENT_NODE_BEATS:
            changes["last_heartbeat"] = self._now()
        return bool(self._update_rows(PROCESS, {"id": process_id, "dead": False}, changes))

    def wake_up_if_sleeping_at(self, process_id: int, node_id: str) -> bool:
        where = {"id": process_id, "asleep": True, "current_node_id": node_id}
        return bool(self._update_rows(PROCESS, where, {"asleep": False}))

    def sleep(self, process_id: int) -> None:
        self._write_process(process_id, asleep=True)

    def kill(self, process_id: int) -> None:
        # As upstream: the process stops where it is and is parked (forced_fail_activity), not ended.
        self._write_process(process_id, asleep=True)

    def die(self, process_id: int) -> None:
        self._write_process(process_id, dead=True)

    def suspend(self, process_id: int, by: str) -> None:
        self._write_process(process_id, suspended=True, suspended_by=by)

    def resume(self, process_id: int) -> None:
        self._write_process(process_id, suspended=False, suspended_by="")

    def batch_resume(self, process_id_list: List[int]) -> None:
        """Resume the listed processes that exist (one write)."""
        self._update_rows(PROCESS, {"id": In(process_id_list)}, {"suspended": False, "suspended_by": ""})

    def freeze(self, process_id: int) -> None:
        self._write_process(process_id, frozen=True)

    def set_current_node(self, process_id: int, node_id: str) -> None:
        if self.CURRENT_NODE_BEATS:
            self._write_process(process_id, current_node_id=node_id, last_heartbeat=self._now())
        else:
            self._write_process(process_id, current_node_id=node_id)

    def set_pipeline_stack(self, process_id: int, stack: List[str]) -> None:
        self._write_process(process_id, pipeline_stack=list(stack))

    def _write_process(self, process_id: Any, **changes: Any) -> None:
        self._write_row(PROCESS, {"id": process_id}, changes, "process")
