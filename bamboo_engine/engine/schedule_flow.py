"""One ``schedule`` message: drop stale ones, take the schedule lock, run the handler, settle the schedule.

A message is dropped if its schedule is finished; it expires the schedule and is dropped
if the schedule's version is not the node's current version or the node is not RUNNING (this also stops
the POLL loop of a node that was forced to fail, without running its service again). A taken lock is
retried for callbacks (see :meth:`ScheduleStep._on_lock_taken`).
"""

import contextlib
import logging
import random
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Optional

from bamboo_engine import local, states
from bamboo_engine.engine import failsafe
from bamboo_engine.engine.hooks import NodeFinisher
from bamboo_engine.engine.raised import count_raised
from bamboo_engine.eri.models.handler import ScheduleResult
from bamboo_engine.eri.models.node import Node
from bamboo_engine.eri.models.runtime import CallbackData, ProcessInfo, Schedule, ScheduleType, State
from bamboo_engine.handler import HandlerFactory, NodeHandler, StepMemo, atomic_step
from bamboo_engine.interrupt import ScheduleInterrupter, ScheduleKeyPoint, is_interrupt_error
from bamboo_engine.metrics import (
    ENGINE_NODE_SCHEDULE_TIME,
    ENGINE_SCHEDULE_EXCEPTION_COUNT,
    ENGINE_SCHEDULE_POST_PROCESS_DURATION,
    ENGINE_SCHEDULE_PRE_PROCESS_DURATION,
    labelled,
    node_type_label,
    observe,
)

logger = logging.getLogger("bamboo_engine")


@dataclass
class NodeRun:
    """The run of the node a schedule belongs to: its counters and state version.

    Attributes:
        handler: the handler that executed the node in this worker and can poll from memory (inline
            first poll), else None.
    """

    loop: int
    inner_loop: int
    version: str
    handler: Optional[NodeHandler] = None


class ScheduleStep:
    """Runs one schedule of ``schedule_id`` for the node ``node_id`` of process ``process_id``.

    Args:
        engine: the engine (for ``hook_dispatch`` and the ``CALLBACK_LOCK_*`` settings).
        interrupter: the message's interrupter.
        headers: the message headers (re-sent, with the retry counter, when a callback retries).
        finisher: the finish bookkeeping of the calling execute step, when run inline.
        memo: the calling execute step's shared reads, when run inline.
    """

    kind = failsafe.SCHEDULE

    def __init__(
        self,
        engine: Any,
        process_id: int,
        node_id: str,
        schedule_id: Any,
        interrupter: ScheduleInterrupter,
        headers: Optional[dict],
        callback_data_id: Optional[int] = None,
        finisher: Optional[NodeFinisher] = None,
        memo: Optional[StepMemo] = None,
    ):
        self.engine = engine
        self.finisher = finisher
        self.memo = memo or StepMemo()
        self.runtime = engine.runtime
        self.process_id = process_id
        self.node_id = node_id
        self.schedule_id = schedule_id
        self.interrupter = interrupter
        self.headers = headers
        self.callback_data_id = callback_data_id
        self.process_info: ProcessInfo = None  # type: ignore[assignment]  # set by run/run_inline
        self._handler: Optional[NodeHandler] = None
        self._callback: Optional[CallbackData] = None  # this message's callback data, once read
        # Inline first poll from memory: no lock is taken, and the process must sleep before waiting.
        self._warm = False
        self._before_wait: Optional[Callable[[], None]] = None
        # What the step has read so far, for the failure net.
        self._schedule_row: Optional[Schedule] = None
        self._run: Optional[NodeRun] = None
        self._node: Optional[Node] = None

    def run(self, process_info: ProcessInfo) -> None:
        """Message entry: run the schedule; when the node moved on, dispatch execute at the next node."""
        self.process_info = process_info
        with self.interrupter.guard():
            next_node_id = self._schedule()
            if next_node_id is not None:
                # One unit: the process is woken exactly when the next node's message is sent, so a
                # crash takeover of this message can tell whether it went out (asleep at the finished
                # node: it did not). A process that moved on meanwhile (a re-sent step) is left alone.
                with atomic_step(self.runtime):
                    self.runtime.wake_up_if_sleeping_at(self.process_id, self.node_id)
                    self.runtime.execute(
                        process_id=self.process_id,
                        node_id=next_node_id,
                        root_pipeline_id=process_info.root_pipeline_id,
                        parent_pipeline_id=process_info.top_pipeline_id,
                    )

    def run_inline(
        self,
        process_info: ProcessInfo,
        node: Node,
        schedule: Schedule,
        warm_run: Optional[NodeRun] = None,
        before_wait: Optional[Callable[[], None]] = None,
    ) -> Optional[str]:
        """Run from an execute step that holds the process, node and fresh schedule already.

        Args:
            warm_run: the node run whose handler still holds what it executed with; the poll then
                skips the state check and the lock: the schedule was created a moment ago by this
                worker and no message about it exists yet, so nobody else can be scheduling it.
            before_wait: puts the process to sleep; called (with ``warm_run``) before the node waits
                for a later poll, when it failed, and before an interrupt re-sends the poll.

        Returns:
            The node the process continues with, if the node finished; the caller goes on with it.
        """
        self.process_info = process_info
        self._warm = warm_run is not None
        self._before_wait = before_wait
        # Everything from here on is under this step's own interrupter: once the execute step recorded
        # the schedule as created, only a schedule message may carry the poll further.
        with self.interrupter.guard(), self._asleep_on_interrupt():
            return self._schedule(node, schedule, warm_run)

    @contextlib.contextmanager
    def _asleep_on_interrupt(self) -> Iterator[None]:
        """A re-sent schedule message must find the process asleep, as it always does."""
        try:
            yield
        except Exception as err:
            if is_interrupt_error(self.runtime, err):
                self._wait_quietly()
            raise

    def failure_target(self) -> failsafe.FailureTarget:
        """The node to fail when this step raised unexpectedly: the one of its schedule, at its version."""
        info = self.process_info or self.runtime.get_process_info(self.process_id)
        if self._run is not None:
            version = self._run.version
        elif self._schedule_row is not None:
            version = self._schedule_row.version
        else:
            version = self.runtime.get_schedule(self.schedule_id).version
        point = self.interrupter.check_point
        holds_lock = bool(point.lock_get) and not point.lock_released and not self._warm
        return failsafe.FailureTarget(
            kind=self.kind,
            process_id=self.process_id,
            node_id=self.node_id,
            root_pipeline_id=info.root_pipeline_id,
            parent_pipeline_id=info.top_pipeline_id,
            version=version,
            node=self._node,
            locked_schedule_id=self.schedule_id if holds_lock else None,
        )

    # -- phases ----------------------------------------------------------------------------------

    def _schedule(
        self, node: Optional[Node] = None, schedule: Optional[Schedule] = None, run: Optional[NodeRun] = None
    ) -> Optional[str]:
        started = time.perf_counter()
        recover_point = self.interrupter.recover_point
        if recover_point is not None and recover_point.schedule_result is not None:
            return self._settle(node or self.runtime.get_node(self.node_id), recover_point.schedule_result)
        if schedule is None:
            schedule = self.runtime.get_schedule(self.schedule_id)
        self._schedule_row = schedule
        if run is None:
            run = self._checked_run(schedule)
            if run is None:
                return None
        self._run = run
        node = self._node = node if node is not None else self.runtime.get_node(self.node_id)
        labelled(ENGINE_SCHEDULE_PRE_PROCESS_DURATION, type=node.type.value).observe(
            time.perf_counter() - started
        )
        result = self._run_handler(node, run, schedule)
        with observe(ENGINE_SCHEDULE_POST_PROCESS_DURATION, type=node.type.value):
            return self._settle(node, result)

    def _checked_run(self, schedule: Schedule) -> Optional[NodeRun]:
        """The node run if the schedule is live and this worker got its lock; None drops the message."""
        recover_point = self.interrupter.recover_point
        state: Optional[State]
        if recover_point is not None and recover_point.lock_get:
            state = self._state_under_recovered_lock(schedule)
        else:
            state = self._current_state(schedule)
            if state is not None and not self._acquire_lock(schedule):
                return None
        if state is None:
            return None
        return NodeRun(state.loop, state.inner_loop, state.version)

    def _current_state(self, schedule: Schedule) -> Optional[State]:
        """The node state if the schedule is still live; otherwise drop (and expire) the schedule."""
        if schedule.finished or schedule.expired:
            logger.info(
                "schedule(%s) of node(%s) is already over, drop the message", schedule.id, self.node_id
            )
            return None
        state = self.runtime.get_state(self.node_id)
        version_mismatch = schedule.version != state.version
        self.interrupter.check_and_set(
            ScheduleKeyPoint.VERSION_MISMATCH_CHECKED, version_mismatch=version_mismatch
        )
        node_not_running = state.name != states.RUNNING
        self.interrupter.check_and_set(
            ScheduleKeyPoint.NODE_NOT_RUNNING_CHECKED, node_not_running=node_not_running
        )
        if not version_mismatch and node_not_running and self._settled_by_this_run(state):
            return self._resume_settled(state, lock_held=False)
        if version_mismatch or node_not_running:
            logger.info(
                "schedule(%s) of node(%s) is stale (version %s, state %s %s), expire it",
                schedule.id,
                self.node_id,
                schedule.version,
                state.name,
                state.version,
            )
            self.runtime.expire_schedule(schedule.id)
            return None
        return state

    def _state_under_recovered_lock(self, schedule: Schedule) -> Optional[State]:
        """The interrupted attempt passed the checks and still holds the lock: do not ask for it again,
        but give it back if the node changed meanwhile (e.g. it was forced to fail)."""
        state = self.runtime.get_state(self.node_id)
        if state.version == schedule.version and state.name == states.RUNNING:
            return state
        if state.version == schedule.version and self._settled_by_this_run(state):
            return self._resume_settled(state, lock_held=True)
        self.runtime.expire_schedule(schedule.id)
        self.runtime.release_schedule_lock(schedule.id)
        return None

    def _settled_by_this_run(self, state: State) -> bool:
        """Whether the interrupted attempt of this message wrote the node's final state itself.

        The attempt called the service (recorded in the recover point) and the state, still of the
        schedule's version, is final: the attempt was interrupted after the write went through. Every
        operator action on a node gives its state a new version, so a final state of the schedule's
        version found by a recovered message that had run the service is its own.
        """
        recover_point = self.interrupter.recover_point
        return (
            recover_point is not None
            and bool(recover_point.handler_data.service_scheduled)
            and state.name in (states.FINISHED, states.FAILED)
        )

    def _resume_settled(self, state: State, lock_held: bool) -> Optional[State]:
        """Go on from the interrupted attempt's own final write.

        FINISHED: the handler runs again from the recover point (the service is not called again, its
        writes are idempotent for the version) so the schedule is finished and the process goes on.
        FAILED: the node waits for an operator, as after any failed schedule: the lock is given back
        and the schedule left as it is.
        """
        if state.name == states.FINISHED:
            logger.info("node(%s) finished before its schedule was interrupted, go on", self.node_id)
            return state
        logger.info("node(%s) failed before its schedule was interrupted, the process waits", self.node_id)
        if lock_held:
            self.runtime.release_schedule_lock(self.schedule_id)
        self._wait()
        return None

    def _acquire_lock(self, schedule: Schedule) -> bool:
        lock_get = bool(self.runtime.apply_schedule_lock(schedule.id)) or self._lock_of_interrupted_poll(
            schedule
        )
        self.interrupter.check_and_set(ScheduleKeyPoint.APPLY_LOCK_DONE, lock_get=lock_get)
        if not lock_get:
            self._on_lock_taken(schedule)
        return lock_get

    def _lock_of_interrupted_poll(self, schedule: Schedule) -> bool:
        """Whether the lock held on a POLL schedule is this message's own: its interrupted attempt passed
        the checks and was taking the lock when the error came, so its UPDATE may have committed.

        A POLL schedule has one message in flight at a time (each poll sends the next), so the holder
        can only be that attempt; nobody else would give the lock back. Callback schedules are not
        assumed: another callback may hold their lock.
        """
        point = self.interrupter.recover_point
        if point is None or point.node_not_running is None or point.lock_get is not None:
            return False
        if ScheduleType(schedule.type) != ScheduleType.POLL:
            return False
        logger.warning(
            "schedule(%s) of node(%s): lock taken by this poll's interrupted attempt, going on under it",
            schedule.id,
            self.node_id,
        )
        return True

    def _run_handler(self, node: Node, run: NodeRun, schedule: Schedule) -> ScheduleResult:
        callback_data = self._callback = self._callback_data()
        handler = run.handler
        if handler is None:
            handler = HandlerFactory.get_handler(node, self.runtime, self.interrupter)
            handler.memo = self.memo
        else:
            handler.interrupter = self.interrupter  # its progress now belongs to this poll
        self._handler = handler
        local.set_node_info(local.CurrentNodeInfo(node_id=node.id, version=run.version, loop=run.loop))
        type_label = node_type_label(node)
        with (
            observe(ENGINE_NODE_SCHEDULE_TIME, type=type_label),
            count_raised(self.runtime, ENGINE_SCHEDULE_EXCEPTION_COUNT, type_label),
        ):
            result = handler.schedule(
                self.process_info,
                run.loop,
                run.inner_loop,
                schedule,
                callback_data,
                self.interrupter.recover_point,
            )
        self.interrupter.check_and_set(ScheduleKeyPoint.SCHEDULE_NODE_DONE, schedule_result=result)
        return result

    def _settle(self, node: Node, result: ScheduleResult) -> Optional[str]:
        """Finish/unlock the schedule, start the next poll, or report the node it moved on to."""
        recover_point = self.interrupter.recover_point
        if recover_point is None or not recover_point.lock_released:
            handler_data = self.interrupter.check_point.handler_data
            if handler_data is not None and handler_data.schedule_times_deferred:
                # The handler left the count of this run to the write that ends the schedule.
                if result.schedule_done:
                    self.runtime.finish_polled_schedule(self.schedule_id)
                else:
                    self.runtime.add_schedule_times(self.schedule_id)
            elif result.schedule_done:
                self.runtime.finish_schedule(self.schedule_id)
            if not self._warm:
                self.runtime.release_schedule_lock(self.schedule_id)
            self.interrupter.check_and_set(ScheduleKeyPoint.RELEASE_LOCK_DONE, lock_released=True)
        if result.has_next_schedule:
            # Asleep implies sent: an inline poll's process sleeps in one unit with the next POLL.
            with atomic_step(self.runtime):
                self._wait()
                self.runtime.set_next_schedule(
                    process_id=self.process_id,
                    node_id=self.node_id,
                    schedule_id=self.schedule_id,
                    schedule_after=result.schedule_after,
                )
            return None
        if not result.schedule_done or result.next_node_id is None:
            self._wait()
            return None
        finisher = self.finisher or NodeFinisher(self.engine, self.process_info.root_pipeline_id)
        service = getattr(self._handler, "service", None)
        # A recovered result skipped the handler, and with it the read of the callback data.
        callback = self._callback if self._handler is not None else self._callback_data()
        top_pipeline_id = self.process_info.top_pipeline_id
        if not finisher.finished(node, top_pipeline_id, service=service, callback_data=callback):
            finisher.start_reserved_rollback(self.process_id, node)
            return None
        return result.next_node_id

    def _wait(self) -> None:
        """The node waits (next poll, failed): a process polled inline goes to sleep first."""
        if self._before_wait is not None:
            self._before_wait()
            self._before_wait = None

    def _wait_quietly(self) -> None:
        try:
            self._wait()
        except Exception:  # the interrupt being handled is the error that matters
            logger.exception("process(%s) could not be put to sleep after an interrupt", self.process_id)

    # -- a taken lock ----------------------------------------------------------------------------

    def _on_lock_taken(self, schedule: Schedule) -> None:
        """Another worker is scheduling this node right now.

        MULTIPLE_CALLBACK: every callback must be delivered, so re-send after a short random delay.
        CALLBACK: re-send only if the service says the callback may be retried, a bounded number of times.
        POLL: the lock holder will start the next poll itself; this duplicate is dropped.
        """
        schedule_type = ScheduleType(schedule.type)
        if schedule_type == ScheduleType.MULTIPLE_CALLBACK:
            self._resend(random.randint(1, 5), self.headers)
        elif schedule_type == ScheduleType.CALLBACK:
            self._retry_callback()
        else:
            logger.info(
                "schedule(%s) of node(%s) is locked, drop the duplicate poll", schedule.id, self.node_id
            )

    def _retry_callback(self) -> None:
        engine = self.engine
        headers = dict(self.headers or {})
        retry_times = int(headers.get(engine.CALLBACK_LOCK_RETRY_HEADER) or 0)
        if retry_times >= engine.CALLBACK_LOCK_RETRY_LIMIT:
            logger.warning(
                "callback of node(%s) dropped: schedule still locked after %s retries",
                self.node_id,
                retry_times,
            )
            return
        node = self.runtime.get_node(self.node_id)
        service = self.runtime.get_service(code=node.code, version=node.version, name=node.name)
        if not service.callback_lock_retryable(self._callback_data()):
            logger.info(
                "callback of node(%s) dropped: schedule locked and the service does not retry", self.node_id
            )
            return
        low, high = engine.CALLBACK_LOCK_RETRY_DELAY_RANGES[retry_times]
        headers[engine.CALLBACK_LOCK_RETRY_HEADER] = retry_times + 1
        self._resend(random.randint(low, high), headers)

    def _resend(self, delay: int, headers: Optional[dict]) -> None:
        self.runtime.set_next_schedule(
            process_id=self.process_id,
            node_id=self.node_id,
            schedule_id=self.schedule_id,
            schedule_after=delay,
            callback_data_id=self.callback_data_id,
            headers=headers,
        )

    def _callback_data(self) -> Optional[CallbackData]:
        if self.callback_data_id is None:
            return None
        return self.runtime.get_callback_data(self.callback_data_id)
