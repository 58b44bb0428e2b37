"""Entering a node: the checks and state bookkeeping before its handler runs.

Stops the process on a revoked root or a suspended pipeline, and decides how the node is entered: fresh,
re-entry of a finished node (its last run archived first), retry, appointment pause, or over the rerun
limit; then sets it RUNNING and hands the counters and the new version to the handler.
"""

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Optional

from bamboo_engine import states
from bamboo_engine.engine.hooks import archive_run, retry_in_place
from bamboo_engine.eri.models.interrupt import ExecuteInterruptPoint
from bamboo_engine.eri.models.node import Node, NodeType
from bamboo_engine.eri.models.runtime import ProcessInfo, State
from bamboo_engine.handler import atomic_step
from bamboo_engine.interrupt import ExecuteInterrupter, ExecuteKeyPoint
from bamboo_engine.retry_policy import pending_retry

logger = logging.getLogger("bamboo_engine")

CHILD_PIPELINE_TYPES = frozenset({NodeType.SubProcess, NodeType.SubCanvas})
ENTERABLE_STATES = states.INVERTED_TRANSITION[states.RUNNING]


@dataclass(frozen=True)
class NodeEntry:
    """How the node was entered: the counters and state version the handler runs with."""

    loop: int
    inner_loop: int
    version: str
    attempt: int = 1  # of the node's retry_policy (bamboo_engine.retry_policy)


class NodeEntryMixin:
    """The node-entry half of :class:`~bamboo_engine.engine.execute_loop.ExecuteStep`."""

    if TYPE_CHECKING:
        runtime: Any
        process_id: int
        process_info: ProcessInfo
        interrupter: ExecuteInterrupter
        _entering: Optional[str]
        _auto_retry: Optional[dict]

        def _sleep(self) -> None: ...

    def _enter(self, node: Node, recover_point: Optional[ExecuteInterruptPoint]) -> Optional[NodeEntry]:
        """Checks and state bookkeeping before the handler; None when the process stopped instead."""
        auto_retry, self._auto_retry = self._auto_retry, None  # the message's first node only
        entry = self._enter_node(node, recover_point, auto_retry)
        if entry is not None and auto_retry is not None:
            return NodeEntry(entry.loop, entry.inner_loop, entry.version, int(auto_retry["attempt"]))
        return entry

    def _enter_node(
        self, node: Node, recover_point: Optional[ExecuteInterruptPoint], auto_retry: Optional[dict]
    ) -> Optional[NodeEntry]:
        if recover_point is not None and recover_point.running_node_version:
            return self._reenter_after_interrupt(node, recover_point.running_node_version)
        if recover_point is None and auto_retry is None:
            fresh = self._enter_fresh(node)
            if fresh is not None:
                return fresh
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
            entry = self._enter_existing(node, self.runtime.get_state(node.id), recovering, auto_retry)
        if entry is not None:
            self.interrupter.check_and_set(
                ExecuteKeyPoint.SET_NODE_RUNNING_DONE, running_node_version=entry.version
            )
        return entry

    def _enter_fresh(self, node: Node) -> Optional[NodeEntry]:
        """Set a node entered the first time RUNNING in one write (``set_running_if_fresh``); None when
        the runtime wrote nothing (the node has a state, a pipeline on the stack stops the process, or
        the runtime cannot): the caller then reads and decides as for any node.

        The check point says "pre-check done, no state" before the write, as it does before the
        ``set_state`` of the read-then-write path: an interrupt raised by the write (which may have
        committed) is recovered by adopting the RUNNING state found then, never by entering the node a
        second time. The state can only belong to another run if a concurrent message inserted it in
        the same instant, which the read-then-write path cannot tell apart either. When nothing was
        written, the check point goes back to the start of the node, so that the read that follows is
        recovered as a fresh entry.
        """
        self.interrupter.check_and_set(
            ExecuteKeyPoint.SET_NODE_RUNNING_PRE_CHECK_DONE, state_already_exist=False
        )
        # Until the write returns, a RUNNING state of the node is this step's own (for the failure net).
        self._entering = node.id
        version = self.runtime.set_running_if_fresh(
            node.id,
            list(self.process_info.pipeline_stack),
            loop=1,
            inner_loop=1,
            root_id=self.process_info.root_pipeline_id,
            parent_id=self.process_info.top_pipeline_id,
        )
        self._entering = None
        if version is None:
            self.interrupter.check(ExecuteKeyPoint.START_PUSH_NODE)
            return None
        self.interrupter.check_and_set(ExecuteKeyPoint.SET_NODE_RUNNING_DONE, running_node_version=version)
        return NodeEntry(1, 1, version)

    def _stopped_by_pipelines(self, names: dict) -> bool:
        if names.get(self.process_info.root_pipeline_id) == states.REVOKED:
            self.runtime.die(self.process_id)
            return True
        for pipeline_id in self.process_info.pipeline_stack:
            if names.get(pipeline_id) == states.SUSPENDED:
                self.runtime.suspend(self.process_id, by=pipeline_id)
                return True
        return False

    def _enter_existing(
        self, node: Node, state: State, recovering: bool, auto_retry: Optional[dict] = None
    ) -> Optional[NodeEntry]:
        if state.name == states.FAILED and auto_retry is not None and auto_retry["version"] == state.version:
            return self._retry_automatically(node, state)
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
        archive_run(self.runtime, state)
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

    def _auto_retry_current(self) -> bool:
        """Whether this message's automatic retry is still due; else it is dropped untouched.

        Checked before the step touches the process: a retry cancelled by an operator (retry, skip,
        forced fail: the node has a new version or no pending retry) must not move a process that went
        on meanwhile. A message re-sent after an interrupt, or taken over after a worker died (it has a
        recover point), goes on: the node entry decides from the state, as for any message.
        """
        header = self._auto_retry
        assert header is not None
        if self.interrupter.recover_point is not None:
            return True
        state = self.runtime.get_state_or_none(header["node_id"])
        if state is not None and state.name == states.FAILED and state.version == header["version"]:
            pending = pending_retry(self.runtime.get_execution_data_outputs(header["node_id"]))
            if pending is not None and pending.get("next_attempt") == header["attempt"]:
                return True
        logger.info(
            "node(%s) automatic retry %s of version %s was cancelled (now %s), message dropped",
            header["node_id"],
            header["attempt"],
            header["version"],
            "no state" if state is None else f"{state.name} {state.version}",
        )
        return False

    def _retry_automatically(self, node: Node, state: State) -> NodeEntry:
        """The node's retry_policy retries it: as ``retry_node`` (history, new version), then RUNNING.

        One unit, so the node is never seen READY by a later copy of the message: it is FAILED with
        the retry pending (the retry runs) or RUNNING at the new version (a takeover continues it).
        """
        with atomic_step(self.runtime):
            retry_in_place(self.runtime, state)
            return self._set_running(node, loop=state.loop, inner_loop=state.inner_loop)

    def _set_running(self, node: Node, loop: int, inner_loop: int, **flags: bool) -> NodeEntry:
        # Until set_state returns, a RUNNING state of the node is this step's own (for the failure net).
        self._entering = node.id
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
        self._entering = None
        return NodeEntry(loop, inner_loop, version)

    def _reenter_after_interrupt(self, node: Node, running_version: str) -> Optional[NodeEntry]:
        """The interrupted attempt had set the node RUNNING; continue with that run if it is still current.

        The run is still current while the state carries the version it wrote. That state may already
        be FINISHED: the attempt was interrupted after its handler's own final write went through (an
        event or gateway finished, an end event finished but not yet its pipeline). The handler then
        runs again: its writes are idempotent for the same version and what it already did is in the
        recover point (service calls, forks, end-event code), so the process goes on as if nothing had
        happened. A FAILED state of the same version was written by the run too; a failed node waits
        for an operator, which is what the process does then. Every operator action on a node
        (retry, skip, forced fail) gives the state a new version, so nothing else can be mistaken for
        the run's own write.
        """
        state = self.runtime.get_state(node.id)
        if state.version == running_version and state.name in (states.RUNNING, states.FINISHED):
            return NodeEntry(state.loop, state.inner_loop, state.version)
        if state.version == running_version and state.name == states.FAILED:
            logger.info("node(%s) failed before its execute was interrupted, the process waits", node.id)
        else:
            logger.info(
                "node(%s) changed while its execute was interrupted (now %s), stop", node.id, state.name
            )
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
