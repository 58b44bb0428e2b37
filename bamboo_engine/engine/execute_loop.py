"""One ``execute`` message: push a process node by node until it sleeps, suspends, dies or hands over.

Per node: keep the process alive (wake, heartbeat), stop a child process at its
destination, record the current node, stop on a revoked root or a suspended pipeline, decide how the node
is entered (fresh, re-entry, retry, appointment pause, rerun limit), set it RUNNING, run its handler,
fire the finish hooks, and apply the handler's result.

The loop keeps what it already knows instead of reading it again: the process info (read once per
message; the pipeline stack is tracked locally as SubProcess nodes and end events push and pop it), the
node, and the state.
"""

import contextlib
import logging
import time
from typing import Any, List, Optional

from bamboo_engine import local
from bamboo_engine.engine import failsafe
from bamboo_engine.engine.hooks import NodeFinisher
from bamboo_engine.engine.node_entry import CHILD_PIPELINE_TYPES, NodeEntry, NodeEntryMixin
from bamboo_engine.engine.raised import count_raised
from bamboo_engine.engine.schedule_flow import NodeRun, ScheduleStep
from bamboo_engine.eri.models.handler import ExecuteResult
from bamboo_engine.eri.models.interrupt import ExecuteInterruptPoint
from bamboo_engine.eri.models.node import Node, NodeType
from bamboo_engine.eri.models.runtime import DispatchProcess, ProcessInfo, ScheduleType
from bamboo_engine.handler import HandlerFactory, NodeHandler, StepMemo, atomic_step
from bamboo_engine.interrupt import ExecuteInterrupter, ExecuteKeyPoint, ScheduleInterrupter
from bamboo_engine.metrics import (
    ENGINE_EXECUTE_EXCEPTION_COUNT,
    ENGINE_EXECUTE_POST_PROCESS_DURATION,
    ENGINE_EXECUTE_PRE_PROCESS_DURATION,
    ENGINE_NODE_EXECUTE_TIME,
    labelled,
    node_type_label,
    observe,
)
from bamboo_engine.retry_policy import auto_retry_header_for

logger = logging.getLogger("bamboo_engine")

END_EVENT_TYPES = frozenset({NodeType.EmptyEndEvent, NodeType.ExecutableEndEvent})


class ExecuteStep(NodeEntryMixin):
    """Runs one execute message for ``process_id`` starting at ``node_id``.

    Args:
        engine: the engine (for ``hook_dispatch`` and class-level settings).
        interrupter: the message's interrupter; its recover point applies to the first node only.
    """

    # The heartbeat is for the stuck-process detector; one write per message plus one per interval is
    # enough, a write per node would double the process-row traffic of a long chain.
    HEARTBEAT_INTERVAL = 10.0
    kind = failsafe.EXECUTE

    def __init__(
        self,
        engine: Any,
        process_id: int,
        node_id: str,
        root_pipeline_id: str,
        interrupter: ExecuteInterrupter,
        headers: Optional[dict],
    ):
        self.engine = engine
        self.runtime = engine.runtime
        self.process_id = process_id
        self.node_id = node_id
        self.root_pipeline_id = root_pipeline_id
        self.interrupter = interrupter
        self.headers = headers
        self.process_info: ProcessInfo = None  # type: ignore[assignment]  # read by run()
        self.finisher = NodeFinisher(engine, root_pipeline_id)
        self.memo = StepMemo()
        self._asleep = True  # process rows rest asleep between messages
        self._last_beat: Optional[float] = None
        # Where the step stands, for the failure net: the node read last, and the node being set RUNNING.
        self._node: Optional[Node] = None
        self._entering: Optional[str] = None
        self._handing_over = False
        # An automatic retry (retry_policy) this message runs: the header, for its first node only.
        self._auto_retry = auto_retry_header_for(headers, node_id)

    def run(self) -> None:
        """Push the process from the message's node until it stops."""
        with self.interrupter.guard():
            if self._auto_retry is not None and not self._auto_retry_current():
                return
            self.process_info = self.runtime.get_process_info(self.process_id)
        node_id: Optional[str] = self.node_id
        while node_id is not None:
            with self.interrupter.guard():
                next_node_id = self._push(node_id)
            if next_node_id is not None:
                self.interrupter.move_to_node(next_node_id)
                self.interrupter.parent_pipeline_id = self.process_info.top_pipeline_id
            node_id = next_node_id

    # -- one node --------------------------------------------------------------------------------

    def _push(self, node_id: str) -> Optional[str]:
        """Run one node; returns the node to continue with, or None when the process stopped."""
        started = time.perf_counter()
        self.interrupter.check(ExecuteKeyPoint.START_PUSH_NODE)
        at_node = self._asleep and node_id != self.process_info.destination_id
        if not self._keep_alive(node_id if at_node else None):
            return None
        if node_id == self.process_info.destination_id:
            self._finish_child()
            return None
        if not at_node:
            self.runtime.set_current_node(self.process_id, node_id)
        node = self._node = self.runtime.get_node(node_id)
        recover_point: Optional[ExecuteInterruptPoint] = self.interrupter.recover_point
        if recover_point is not None and recover_point.execute_result is not None:
            entry = NodeEntry(0, 0, recover_point.running_node_version or "")
            return self._after_handler(node, entry, recover_point.execute_result)

        entry_or_none = self._enter(node, recover_point)
        if entry_or_none is None:
            return None
        labelled(ENGINE_EXECUTE_PRE_PROCESS_DURATION, type=node.type.value).observe(
            time.perf_counter() - started
        )
        handler = HandlerFactory.get_handler(node, self.runtime, self.interrupter)
        handler.memo = self.memo
        handler.attempt = entry_or_none.attempt
        result = self._run_handler(handler, entry_or_none, recover_point)
        with observe(ENGINE_EXECUTE_POST_PROCESS_DURATION, type=node.type.value):
            return self._after_handler(node, entry_or_none, result, handler)

    def _keep_alive(self, node_id: Optional[str] = None) -> bool:
        """Wake the process (once per message) and beat; False when the process is dead.

        With ``node_id``, the wake-up also makes it the current node (``wake_up_at``: one write on a
        runtime that offers it, and the heartbeat with it on one that declares ``CURRENT_NODE_BEATS``):
        the caller then does not call ``set_current_node`` for that node. Not for a child process whose
        message starts at its destination: it ends there without becoming its current node.

        A runtime declaring ``CURRENT_NODE_BEATS`` records the heartbeat in ``set_current_node``, which
        follows for every node: the engine never beats for it.
        A runtime whose ``wake_up`` knows the row is dead (it ended, e.g. a redelivered message of a
        finished process) may return False instead of waking it: the message is then dropped before it
        writes anything on the dead row. None (the ERI's declared result) means "woken".
        """
        now = time.monotonic()
        if self._asleep:
            if node_id is not None:
                woken = self.runtime.wake_up_at(self.process_id, node_id)
            else:
                woken = self.runtime.wake_up(self.process_id)
            if woken is False:
                logger.info(
                    "process(%s) is dead, drop its execute message at node(%s)", self.process_id, self.node_id
                )
                return False
            self._asleep = False
        if self.runtime.CURRENT_NODE_BEATS:
            return True
        if self._last_beat is None or now - self._last_beat >= self.HEARTBEAT_INTERVAL:
            self.runtime.beat(self.process_id)
            self._last_beat = now
        return True

    def _finish_child(self) -> None:
        """A child process reached its converge gateway; the last child hands the parent over.

        ``child_process_finish`` ends the child and returns True only for the last one, after it woke the
        parent. This worker then dispatches the parent at the converge gateway (the child's destination):
        the parent still points at its parallel gateway, so nobody else knows where it must go on.
        """
        info = self.process_info
        self._handing_over = True
        # One unit: a parent woken without its message would be awake with nothing to run it.
        with atomic_step(self.runtime):
            if self.runtime.child_process_finish(info.parent_id, self.process_id):
                self.runtime.execute(
                    process_id=info.parent_id,
                    node_id=info.destination_id,
                    root_pipeline_id=info.root_pipeline_id,
                    parent_pipeline_id=info.top_pipeline_id,
                )

    def _sleep(self) -> None:
        self.runtime.sleep(self.process_id)
        self._asleep = True

    def failure_target(self) -> failsafe.FailureTarget:
        """The node to fail when this step raised unexpectedly: the one it was pushing."""
        if self._handing_over:
            return failsafe.no_target(
                self.kind,
                self.process_id,
                "the child process was handing over at its converge gateway (healing re-sends it)",
            )
        info = self.process_info or self.runtime.get_process_info(self.process_id)
        node_id = self.interrupter.current_node_id
        node = self._node if self._node is not None and self._node.id == node_id else None
        return failsafe.FailureTarget(
            kind=self.kind,
            process_id=self.process_id,
            node_id=node_id,
            root_pipeline_id=info.root_pipeline_id,
            parent_pipeline_id=info.top_pipeline_id,
            version=self.interrupter.check_point.running_node_version,
            own_running=self._entering == node_id,
            node=node,
            sleep_process=True,
        )

    # -- running the node and applying the result ------------------------------------------------

    def _run_handler(
        self, handler: NodeHandler, entry: NodeEntry, recover_point: Optional[ExecuteInterruptPoint]
    ) -> ExecuteResult:
        node = handler.node
        local.set_node_info(local.CurrentNodeInfo(node_id=node.id, version=entry.version, loop=entry.loop))
        type_label = node_type_label(node)
        with (
            observe(ENGINE_NODE_EXECUTE_TIME, type=type_label),
            count_raised(self.runtime, ENGINE_EXECUTE_EXCEPTION_COUNT, type_label),
        ):
            result = handler.execute(
                self.process_info, entry.loop, entry.inner_loop, entry.version, recover_point
            )
        self.interrupter.check_and_set(ExecuteKeyPoint.EXECUTE_NODE_DONE, execute_result=result)
        return result

    def _after_handler(
        self, node: Node, entry: NodeEntry, result: ExecuteResult, handler: Optional[NodeHandler] = None
    ) -> Optional[str]:
        """Finish hooks if the node moved on, then apply the result (``handler`` is None when an
        interrupted attempt's recorded result is applied)."""
        self._track_stack(node, result)
        if _moved_on(node, result) or _ended_run(node, result):
            # getattr: a handler registered by a plugin may not have called NodeHandler.__init__
            service = getattr(handler, "service", None)
            if not self.finisher.finished(node, self.process_info.top_pipeline_id, service=service):
                self.finisher.start_reserved_rollback(self.process_id, node)
                return None
        return self._apply(node, entry, result, handler)

    def _track_stack(self, node: Node, result: ExecuteResult) -> None:
        """Mirror the handler's pipeline stack push/pop in the loop's copy (idempotent)."""
        if result.next_node_id is None or result.should_sleep:
            return
        stack = self.process_info.pipeline_stack
        if node.type in CHILD_PIPELINE_TYPES and stack[-1] != node.id:
            stack.append(node.id)
        elif node.type in END_EVENT_TYPES and len(stack) > 1 and stack[-1] == node.parent_pipeline_id:
            stack.pop()

    def _apply(
        self, node: Node, entry: NodeEntry, result: ExecuteResult, handler: Optional[NodeHandler]
    ) -> Optional[str]:
        if result.schedule_ready:
            return self._start_schedule(node, entry, result, handler)
        if result.dispatch_processes:
            # Asleep implies sent: the sleep, the join and the children's messages are one unit.
            with atomic_step(self.runtime):
                if result.should_sleep:
                    self._sleep()
                self._dispatch_children(result.dispatch_processes)
        elif result.should_sleep:
            self._sleep()
        if result.should_die:
            self.runtime.die(self.process_id)
            return None
        return None if result.should_sleep else result.next_node_id

    def _start_schedule(
        self, node: Node, entry: NodeEntry, result: ExecuteResult, handler: Optional[NodeHandler]
    ) -> Optional[str]:
        """Create the node's schedule and start polling; returns the next node if an inline poll finished.

        A first poll due at once runs inline. When the handler still holds what it executed with, the
        process stays awake through it (the poll puts it to sleep if the node ends up waiting), saving
        the sleep/wake pair, the state check, the lock and the re-reads of a schedule message.
        """
        schedule_type = ScheduleType(result.schedule_type)
        # Inline only from the handler's memory: a poll that needs the reads of a message (after a
        # redelivery) is sent as one, so a sleeping process always has its message in flight.
        inline = (
            schedule_type == ScheduleType.POLL
            and result.schedule_after <= 0
            and self.engine.INLINE_FIRST_POLL
            and handler is not None
            and handler.ready_for_inline_schedule()
        )
        recover_point = self.interrupter.recover_point
        if recover_point is not None and recover_point.set_schedule_done:
            if not inline:
                self._sleep()
            return None
        # Asleep implies sent: the sleep, the schedule row and its first POLL message are one unit (an
        # inline poll keeps the process awake and sends nothing: no unit needed).
        with atomic_step(self.runtime) if not inline else contextlib.nullcontext():
            if not inline:
                self._sleep()
            schedule = self.runtime.set_schedule(
                process_id=self.process_id,
                node_id=node.id,
                version=entry.version,
                schedule_type=schedule_type,
            )
            if schedule_type == ScheduleType.POLL and not inline:
                self.runtime.set_next_schedule(
                    process_id=self.process_id,
                    node_id=node.id,
                    schedule_id=schedule.id,
                    schedule_after=result.schedule_after,
                )
        self.interrupter.check_and_set(ExecuteKeyPoint.EXECUTE_DONE_SET_SCHEDULE_DONE, set_schedule_done=True)
        if not inline:
            return None
        return self._poll_inline(
            node, schedule, NodeRun(entry.loop, entry.inner_loop, entry.version, handler)
        )

    def _poll_inline(self, node: Node, schedule: Any, warm_run: NodeRun) -> Optional[str]:
        """Run a due-now first POLL in this worker instead of a broker round trip.

        The step is the one a schedule message runs, so the guarantees are the same; only the message,
        the process read and the node read are saved (and, with ``warm_run``, the checks and re-reads
        that only a message needs). When the node finished, the loop continues with the next node.
        """
        interrupter = ScheduleInterrupter(self.runtime, node.id, self.process_id, schedule.id, None, None)
        step = ScheduleStep(
            self.engine,
            self.process_id,
            node.id,
            schedule.id,
            interrupter,
            headers=None,
            finisher=self.finisher,
            memo=self.memo,
        )
        return step.run_inline(self.process_info, node, schedule, warm_run, self._sleep)

    def _dispatch_children(self, children: List[DispatchProcess]) -> None:
        # Join first: a fast child must find the parent already waiting for it.
        self.runtime.join(self.process_id, [child.process_id for child in children])
        for child in children:
            self.runtime.execute(
                process_id=child.process_id,
                node_id=child.node_id,
                root_pipeline_id=self.process_info.root_pipeline_id,
                parent_pipeline_id=self.process_info.top_pipeline_id,
            )


def _ended_run(node: Node, result: ExecuteResult) -> bool:
    """The node is the end event that finished the root pipeline (its process ends with it)."""
    return result.should_die and not result.should_sleep and node.type in END_EVENT_TYPES


def _moved_on(node: Node, result: ExecuteResult) -> bool:
    """The node finished and the process continues past it (a SubProcess only enters its child)."""
    return (
        not result.should_sleep
        and not result.should_die
        and result.next_node_id is not None
        and result.next_node_id != node.id
        and node.type not in CHILD_PIPELINE_TYPES
    )
