"""Taking over a message whose worker died after claiming it (docs/delivery.md, "Worker death").

The dead run may have done anything between "claimed" and "done": nothing, part of a node, several
nodes. Re-running the message as it was would enter a node it already finished a second time (a new
loop, an ExecutionHistory row), so an execute takeover first reads what the dead run left behind:

* the process row: ``dead`` / ``asleep`` (the run stopped cleanly: it died, or slept with whatever
  it waits for already sent: ``atomic_step`` commits the sleep with the messages), the
  ``last_heartbeat`` (the engine beats when it starts pushing the first node of every message, so a beat
  older than the claim means the dead run never started) and ``current_node_id`` (set by the engine
  before it works on each node);
* the state of the current node, whose ``started_time`` says whether the dead run entered it.

It then resumes the run where it stopped. A schedule takeover only gives back the schedule lock the dead
run may hold; the engine's own checks drop the message if the schedule is over.
"""

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Optional

from bamboo_engine import states
from bamboo_engine.eri.models.handler import ExecuteResult
from bamboo_engine.eri.models.interrupt import (
    ExecuteInterruptPoint,
    HandlerExecuteData,
    ScheduleInterruptPoint,
)
from bamboo_engine.eri.models.node import Node, NodeType
from bamboo_engine.interrupt import ExecuteKeyPoint
from pipeline.eri.models import Process, Schedule, State

logger = logging.getLogger(__name__)

# Nodes with one way on once finished: a finished one is continued past without running it again.
_SINGLE_TARGET_TYPES = frozenset({NodeType.EmptyStartEvent, NodeType.ConvergeGateway})


@dataclass(frozen=True)
class ExecutePlan:
    """Where a taken-over execute message continues: the engine's ``execute`` arguments."""

    node_id: str
    parent_pipeline_id: Optional[str]
    recover_point: Any  # the message's own recover point (JSON text) or a synthesized point


@dataclass(frozen=True)
class _Left:
    """What the dead run left behind for one process."""

    asleep: bool
    started: bool
    current_node_id: str
    top_pipeline_id: str


@dataclass(frozen=True)
class _NodeState:
    name: str
    version: str
    inner_loop: int
    error_ignored: bool
    entered: bool  # set RUNNING by the dead run (or by a later one), not by an earlier message


def plan_execute_takeover(
    runtime: Any,
    process_id: int,
    node_id: str,
    parent_pipeline_id: Optional[str],
    recover_point: Any,
    claimed_at: Optional[datetime],
) -> Optional[ExecutePlan]:
    """Decide how a taken-over execute message continues; None drops it.

    Args:
        claimed_at: when the dead run claimed the message (None: unknown, assume it started).
    """
    left = _read_process(process_id, claimed_at)
    if left is None:
        logger.warning("takeover of process(%s): dead or missing, nothing to resume", process_id)
        return None
    if not left.started:
        # The dead run stopped before its first node: the message is still exactly what is to be done.
        return ExecutePlan(node_id, parent_pipeline_id, recover_point)
    current = left.current_node_id or node_id
    if left.asleep:
        # The engine puts a process to sleep in one transaction with the message it waits for (its
        # children, the first or next POLL): asleep means stopped cleanly or waiting with the message
        # sent. Nothing is left to resume.
        logger.info("takeover of process(%s): the run had stopped cleanly at %s", process_id, current)
        return None
    state = _read_state(current, claimed_at)
    node = runtime.get_node(current)
    if state is None or not state.entered:
        # The dead run moved to ``current`` but did not enter it: enter it as the run would have.
        own = recover_point if current == node_id else None
        return ExecutePlan(current, left.top_pipeline_id, own)
    if state.name == states.FINISHED:
        return _past_finished(process_id, node, state, left.top_pipeline_id)
    # RUNNING: continue that run with its version (the handler runs again: at-least-once side effects);
    # any other state: the engine sees the node is no longer RUNNING at that version and parks the process.
    return ExecutePlan(current, left.top_pipeline_id, _rerun_point(state))


def _read_process(process_id: int, claimed_at: Optional[datetime]) -> Optional[_Left]:
    row = (
        Process.objects.filter(id=process_id)
        .values_list("dead", "asleep", "last_heartbeat", "current_node_id", "pipeline_stack")
        .first()
    )
    if row is None or row[0]:
        return None
    _dead, asleep, heartbeat, current_node_id, stack = row
    started = claimed_at is None or heartbeat is None or heartbeat >= claimed_at
    return _Left(asleep, started, current_node_id, json.loads(stack)[-1])


def _read_state(node_id: str, claimed_at: Optional[datetime]) -> Optional[_NodeState]:
    row = (
        State.objects.filter(node_id=node_id)
        .values_list("name", "version", "inner_loop", "error_ignored", "started_time")
        .first()
    )
    if row is None:
        return None
    name, version, inner_loop, error_ignored, started_time = row
    entered = claimed_at is None or (started_time is not None and started_time >= claimed_at)
    return _NodeState(name, version, inner_loop, error_ignored, entered)


def _rerun_point(state: _NodeState) -> ExecuteInterruptPoint:
    """A recover point that continues the node's RUNNING run (same version) from its start."""
    return ExecuteInterruptPoint(
        name=ExecuteKeyPoint.SET_NODE_RUNNING_DONE.value,
        state_already_exist=True,
        running_node_version=state.version,
        handler_data=HandlerExecuteData(),
    )


def _past_finished(
    process_id: int, node: Node, state: _NodeState, top_pipeline_id: str
) -> Optional[ExecutePlan]:
    """The dead run finished ``node`` but had not moved on: apply the finished result again.

    The engine then fires the node's finish hooks and continues with the next node, without running the
    node again. Only nodes whose way on is determined by the node and its state qualify.
    """
    next_node_id = _next_of_finished(node, state)
    if next_node_id is None:
        logger.warning(
            "takeover of process(%s): %s node(%s) finished before the worker died; where it went on is "
            "not recorded, left to the stuck-process healing",
            process_id,
            node.type.value,
            node.id,
        )
        return None
    result = ExecuteResult(
        should_sleep=False,
        schedule_ready=False,
        schedule_type=None,
        schedule_after=-1,
        dispatch_processes=[],
        next_node_id=next_node_id,
    )
    point = ExecuteInterruptPoint(
        name=ExecuteKeyPoint.EXECUTE_NODE_DONE.value,
        state_already_exist=True,
        running_node_version=state.version,
        execute_result=result,
        handler_data=HandlerExecuteData(),
    )
    return ExecutePlan(node.id, top_pipeline_id, point)


def _next_of_finished(node: Node, state: _NodeState) -> Optional[str]:
    if node.type == NodeType.ServiceActivity:
        # A failure ignored by ``error_ignorable`` leaves for the first target, even inside a loop.
        if state.error_ignored and getattr(node, "error_ignorable", False):
            return node.target_nodes[0]
        # Itself while a node loop goes on: the engine then re-enters it, as the dead run would have.
        return node.next_node_id_in_loop(state.inner_loop)
    if node.type in _SINGLE_TARGET_TYPES and node.target_nodes:
        return node.target_nodes[0]
    return None


def release_dead_schedule_lock(schedule_id: Any, recover_point: Any) -> bool:
    """Give back the schedule lock a dead run may hold; True if it was held.

    Not when the message itself carries the lock (an interrupted attempt's recover point with
    ``lock_get``): the engine then continues under that lock without asking for it again.
    """
    point = ScheduleInterruptPoint.from_json(recover_point) if isinstance(recover_point, str) else None
    if point is not None and point.lock_get:
        return False
    return bool(Schedule.objects.filter(id=schedule_id, scheduling=True).update(scheduling=False))
