"""One ``execute`` message: push a process node by node until it sleeps, suspends, dies or hands over.

Per node (execution.md §5): keep the process alive (wake, heartbeat), stop a child process at its
destination, record the current node, stop on a revoked root or a suspended pipeline, decide how the node
is entered (fresh, re-entry, retry, appointment pause, rerun limit), set it RUNNING, run its handler,
fire the finish hooks, and apply the handler's result.

The loop keeps what it already knows instead of reading it again: the process info (read once per
message; the pipeline stack is tracked locally as SubProcess nodes and end events push and pop it), the
node, and the state.
"""

import logging
import time
from dataclasses import dataclass
from typing import Any, List, Optional

from bamboo_engine import local, states
from bamboo_engine.engine.hooks import NodeFinisher, execution_data_or_empty
from bamboo_engine.engine.schedule_flow import ScheduleStep
from bamboo_engine.eri.models.handler import ExecuteResult
from bamboo_engine.eri.models.interrupt import ExecuteInterruptPoint
from bamboo_engine.eri.models.node import Node, NodeType
from bamboo_engine.eri.models.runtime import DispatchProcess, ProcessInfo, ScheduleType, State
from bamboo_engine.handler import HandlerFactory
from bamboo_engine.interrupt import ExecuteInterrupter, ExecuteKeyPoint, ScheduleInterrupter
from bamboo_engine.metrics import (
    ENGINE_EXECUTE_POST_PROCESS_DURATION,
    ENGINE_EXECUTE_PRE_PROCESS_DURATION,
    ENGINE_NODE_EXECUTE_TIME,
    labelled,
    node_type_label,
    observe,
)

logger = logging.getLogger("bamboo_engine")

CHILD_PIPELINE_TYPES = frozenset({NodeType.SubProcess, NodeType.SubCanvas})
END_EVENT_TYPES = frozenset({NodeType.EmptyEndEvent, NodeType.ExecutableEndEvent})
ENTERABLE_STATES = states.INVERTED_TRANSITION[states.RUNNING]


@dataclass(frozen=True)
class NodeEntry:
    """How the node was entered: the counters and state version the handler runs with."""

    loop: int
    inner_loop: int
    version: str


class ExecuteStep:
    """Runs one execute message for ``process_id`` starting at ``node_id``.

    Args:
        engine: the engine (for ``hook_dispatch`` and class-level settings).
        interrupter: the message's interrupter; its recover point applies to the first node only.
    """

    # The heartbeat is for the stuck-process detector; one write per message plus one per interval is
    # enough, a write per node would double the process-row traffic of a long chain.
    HEARTBEAT_INTERVAL = 10.0

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
        self._asleep = True  # process rows rest asleep between messages
        self._last_beat: Optional[float] = None

    def run(self) -> None:
        """Push the process from the message's node until it stops."""
        with self.interrupter.guard():
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
        self._keep_alive()
        if node_id == self.process_info.destination_id:
            self._finish_child()
            return None
        self.runtime.set_current_node(self.process_id, node_id)
        node = self.runtime.get_node(node_id)
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
        result = self._run_handler(node, entry_or_none, recover_point)
        with observe(ENGINE_EXECUTE_POST_PROCESS_DURATION, type=node.type.value):
            return self._after_handler(node, entry_or_none, result)

    def _keep_alive(self) -> None:
        if self._asleep:
            self.runtime.wake_up(self.process_id)
            self._asleep = False
        now = time.monotonic()
        if self._last_beat is None or now - self._last_beat >= self.HEARTBEAT_INTERVAL:
            self.runtime.beat(self.process_id)
            self._last_beat = now

    def _finish_child(self) -> None:
        """A child process reached its converge gateway; the last child hands the parent over.

        ``child_process_finish`` ends the child and returns True only for the last one, after it woke the
        parent. This worker then dispatches the parent at the converge gateway (the child's destination):
        the parent still points at its parallel gateway, so nobody else knows where it must go on.
        """
        info = self.process_info
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

    # -- entering the node -----------------------------------------------------------------------

    def _enter(self, node: Node, recover_point: Optional[ExecuteInterruptPoint]) -> Optional[NodeEntry]:
        """Checks and state bookkeeping before the handler; None when the process stopped instead."""
        if recover_point is not None and recover_point.running_node_version:
            return self._reenter_after_interrupt(node, recover_point.running_node_version)
        # One read answers both "is a pipeline on the stack revoked/suspended" and "does the node have
        # a state"; the full state is read only for nodes that have one (re-entry, retry, appointment).
        names = self.runtime.batch_get_state_name([*self.process_info.pipeline_stack, node.id])
        if self._stopped_by_pipelines(names):
            return None
        state_name = names.get(node.id)
        self.interrupter.check_and_set(
            ExecuteKeyPoint.SET_NODE_RUNNING_PRE_CHECK_DONE, state_already_exist=state_name is not None
        )
        entry: Optional[NodeEntry]
        if state_name is None:
            entry = self._set_running(node, loop=1, inner_loop=1)
        else:
            recovering = (
                recover_point is not None
                and recover_point.name == ExecuteKeyPoint.SET_NODE_RUNNING_PRE_CHECK_DONE.value
            )
            entry = self._enter_existing(node, self.runtime.get_state(node.id), recovering)
        if entry is not None:
            self.interrupter.check_and_set(
                ExecuteKeyPoint.SET_NODE_RUNNING_DONE, running_node_version=entry.version
            )
            self.runtime.node_enter(self.process_info.root_pipeline_id, node.id)
        return entry

    def _stopped_by_pipelines(self, names: dict) -> bool:
        if names.get(self.process_info.root_pipeline_id) == states.REVOKED:
            self.runtime.die(self.process_id)
            return True
        for pipeline_id in self.process_info.pipeline_stack:
            if names.get(pipeline_id) == states.SUSPENDED:
                self.runtime.suspend(self.process_id, by=pipeline_id)
                return True
        return False

    def _enter_existing(self, node: Node, state: State, recovering: bool) -> Optional[NodeEntry]:
        if state.name == states.FINISHED and node.type not in CHILD_PIPELINE_TYPES:
            limit = self.runtime.node_rerun_limit(self.process_info.root_pipeline_id, node.id)
            if state.loop > limit:
                self._fail_rerun_limit(node, limit)
                return None
        if state.name == states.SUSPENDED:
            # An appointment pause: the state was created before the node ran, without root/parent.
            self.runtime.set_state_root_and_parent(
                node.id,
                root_id=self.process_info.root_pipeline_id,
                parent_id=self.process_info.top_pipeline_id,
            )
            self.runtime.suspend(self.process_id, by=node.id)
            return None
        if state.name == states.RUNNING and recovering:
            # The interrupted attempt's set RUNNING went through; adopt it rather than sleeping on it.
            return NodeEntry(state.loop, state.inner_loop, state.version)
        if state.name not in ENTERABLE_STATES:
            self._sleep()
            return None
        if state.name == states.FINISHED:
            return self._reenter(node, state)
        if state.name == states.READY and node.loop_enabled:
            return self._set_running(node, loop=1, inner_loop=1)
        return self._set_running(node, loop=state.loop, inner_loop=state.inner_loop)

    def _reenter(self, node: Node, state: State) -> NodeEntry:
        """A finished node is entered again (graph cycle or node loop): archive the last run first."""
        data = execution_data_or_empty(self.runtime, node.id)
        self.runtime.add_history(
            node_id=node.id,
            started_time=state.started_time,
            archived_time=state.archived_time,
            loop=state.loop,
            skip=state.skip,
            retry=state.retry,
            version=state.version,
            inputs=data.inputs or {},
            outputs=data.outputs or {},
        )
        return self._set_running(
            node,
            loop=state.loop + 1,
            inner_loop=state.inner_loop + 1,
            refresh_version=True,
            reset_skip=True,
            reset_error_ignored=True,
            reset_retry=not node.loop_enabled,
            clear_archived_time=True,
        )

    def _set_running(self, node: Node, loop: int, inner_loop: int, **flags: bool) -> NodeEntry:
        version = self.runtime.set_state(
            node_id=node.id,
            to_state=states.RUNNING,
            loop=loop,
            inner_loop=inner_loop,
            root_id=self.process_info.root_pipeline_id,
            parent_id=self.process_info.top_pipeline_id,
            set_started_time=True,
            **flags,
        )
        return NodeEntry(loop, inner_loop, version)

    def _reenter_after_interrupt(self, node: Node, running_version: str) -> Optional[NodeEntry]:
        """The interrupted attempt had set the node RUNNING; continue with that run if it is still current."""
        state = self.runtime.get_state(node.id)
        if state.name == states.RUNNING and state.version == running_version:
            return NodeEntry(state.loop, state.inner_loop, state.version)
        logger.info("node(%s) changed while its execute was interrupted (now %s), stop", node.id, state.name)
        self._sleep()
        return None

    def _fail_rerun_limit(self, node: Node, limit: int) -> None:
        self.runtime.set_execution_data_outputs(
            node.id, {"ex_data": f"node execution exceed rerun limit {limit}"}
        )
        self.runtime.set_state(
            node_id=node.id,
            to_state=states.FAILED,
            root_id=self.process_info.root_pipeline_id,
            parent_id=self.process_info.top_pipeline_id,
            set_archive_time=True,
        )
        self._sleep()

    # -- running the node and applying the result ------------------------------------------------

    def _run_handler(
        self, node: Node, entry: NodeEntry, recover_point: Optional[ExecuteInterruptPoint]
    ) -> ExecuteResult:
        handler = HandlerFactory.get_handler(node, self.runtime, self.interrupter)
        local.set_node_info(local.CurrentNodeInfo(node_id=node.id, version=entry.version, loop=entry.loop))
        with observe(ENGINE_NODE_EXECUTE_TIME, type=node_type_label(node)):
            result = handler.execute(
                self.process_info, entry.loop, entry.inner_loop, entry.version, recover_point
            )
        self.interrupter.check_and_set(ExecuteKeyPoint.EXECUTE_NODE_DONE, execute_result=result)
        return result

    def _after_handler(self, node: Node, entry: NodeEntry, result: ExecuteResult) -> Optional[str]:
        self._track_stack(node, result)
        if _moved_on(node, result) and not self.finisher.finished(node, self.process_info.top_pipeline_id):
            self.finisher.start_reserved_rollback(self.process_id, node)
            return None
        return self._apply(node, entry, result)

    def _track_stack(self, node: Node, result: ExecuteResult) -> None:
        """Mirror the handler's pipeline stack push/pop in the loop's copy (idempotent)."""
        if result.next_node_id is None or result.should_sleep:
            return
        stack = self.process_info.pipeline_stack
        if node.type in CHILD_PIPELINE_TYPES and stack[-1] != node.id:
            stack.append(node.id)
        elif node.type in END_EVENT_TYPES and len(stack) > 1 and stack[-1] == node.parent_pipeline_id:
            stack.pop()

    def _apply(self, node: Node, entry: NodeEntry, result: ExecuteResult) -> Optional[str]:
        if result.should_sleep:
            self._sleep()
        if result.schedule_ready:
            next_node_id = self._start_schedule(node, entry, result)
            if next_node_id is not None:
                return next_node_id
        if result.dispatch_processes:
            self._dispatch_children(result.dispatch_processes)
        if result.should_die:
            self.runtime.die(self.process_id)
            return None
        return None if result.should_sleep else result.next_node_id

    def _start_schedule(self, node: Node, entry: NodeEntry, result: ExecuteResult) -> Optional[str]:
        """Create the node's schedule and start polling; returns the next node if an inline poll finished."""
        recover_point = self.interrupter.recover_point
        if recover_point is not None and recover_point.set_schedule_done:
            return None
        schedule_type = ScheduleType(result.schedule_type)
        schedule = self.runtime.set_schedule(
            process_id=self.process_id, node_id=node.id, version=entry.version, schedule_type=schedule_type
        )
        inline = (
            schedule_type == ScheduleType.POLL
            and result.schedule_after <= 0
            and self.engine.INLINE_FIRST_POLL
        )
        if schedule_type == ScheduleType.POLL and not inline:
            self.runtime.set_next_schedule(
                process_id=self.process_id,
                node_id=node.id,
                schedule_id=schedule.id,
                schedule_after=result.schedule_after,
            )
        self.interrupter.check_and_set(ExecuteKeyPoint.EXECUTE_DONE_SET_SCHEDULE_DONE, set_schedule_done=True)
        return self._poll_inline(node, schedule) if inline else None

    def _poll_inline(self, node: Node, schedule: Any) -> Optional[str]:
        """Run a due-now first POLL in this worker instead of a broker round trip.

        The step is the same one a schedule message runs (version check, lock, handler, finish), so the
        guarantees are the same; only the message, the process read and the node read are saved. When the
        node finished, the loop continues with the next node (the process is woken at its push).
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
        )
        return step.run_inline(self.process_info, node, schedule)

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


def _moved_on(node: Node, result: ExecuteResult) -> bool:
    """The node finished and the process continues past it (a SubProcess only enters its child)."""
    return (
        not result.should_sleep
        and not result.should_die
        and result.next_node_id is not None
        and result.next_node_id != node.id
        and node.type not in CHILD_PIPELINE_TYPES
    )
