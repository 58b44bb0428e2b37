"""Taking over a message whose worker died after claiming it (docs/delivery.md, "Worker death").

The dead run may have done anything between "claimed" and "done": nothing, part of a node, several
nodes. Re-running the message as it was would enter a node it already finished a second time (a new
loop, an ExecutionHistory row), so an execute takeover first reads what the dead run left behind:

* the process row: ``dead`` / ``asleep`` (the run stopped cleanly: it died, or slept with whatever
  it waits for already stored: ``atomic_step`` commits the sleep with the messages in the outbox), the
  ``last_heartbeat`` (written with ``current_node_id`` each time the engine moves the process to a node,
  so a beat older than the claim means the dead run never reached a node of its message: the process
  may be awake, but it still points where it was before the message, e.g. at the finished fork of a
  converge wake-up) and ``current_node_id`` (set by the engine before it works on each node);
* the state of the current node, whose ``started_time`` says whether the dead run entered it.

It then resumes the run where it stopped, past a finished node without entering it again
(:mod:`pipeline.eri.continuation`). A schedule takeover gives back the schedule lock the dead run may
hold, and continues the process itself when the dead run finished the node but never sent the next
node's execute message; otherwise the engine's own checks drop the message if the schedule is over.
"""

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Optional

from bamboo_engine import states
from bamboo_engine.eri.models.handler import ExecuteResult
from bamboo_engine.eri.models.interrupt import ScheduleInterruptPoint
from bamboo_engine.eri.models.node import Node
from pipeline.eri.continuation import END_EVENT_TYPES, finish_end_event, rerun_point, result_point, way_on
from pipeline.eri.models import Process, Schedule, State

logger = logging.getLogger(__name__)


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
        # stored in the outbox. Nothing is left to resume.
        logger.info("takeover of process(%s): the run had stopped cleanly at %s", process_id, current)
        return None
    state = _read_state(current, claimed_at)
    node = runtime.get_node(current)
    if state is None or not state.entered:
        # The dead run moved to ``current`` but did not enter it: enter it as the run would have.
        own = recover_point if current == node_id else None
        return ExecutePlan(current, left.top_pipeline_id, own)
    if state.name == states.FINISHED:
        return _past_finished(runtime, process_id, node, state, left.top_pipeline_id)
    # RUNNING: continue that run with its version (the handler runs again: at-least-once side effects);
    # any other state: the engine sees the node is no longer RUNNING at that version and parks the process.
    return ExecutePlan(current, left.top_pipeline_id, rerun_point(state.version))


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


def _past_finished(
    runtime: Any, process_id: int, node: Node, state: _NodeState, top_pipeline_id: str
) -> Optional[ExecutePlan]:
    """The dead run finished ``node`` but its process had not moved on: apply the finished result again.

    The engine then fires the node's finish hooks and continues where the node leads, without entering
    it again (:mod:`pipeline.eri.continuation` reads where that is from the rows the node left).
    """
    result: Optional[ExecuteResult]
    if node.type in END_EVENT_TYPES:
        result = finish_end_event(runtime, node)
    else:
        result = way_on(runtime, process_id, node, state.inner_loop, state.error_ignored, top_pipeline_id)
    if result is None:
        logger.warning(
            "takeover of process(%s): %s node(%s) finished before the worker died and its way on is not "
            "in the rows (its messages went out, or its conditions no longer choose one flow): dropped",
            process_id,
            node.type.value,
            node.id,
        )
        return None
    return ExecutePlan(node.id, top_pipeline_id, result_point(state.version, result))


@dataclass(frozen=True)
class ScheduleTakeoverPlan:
    """A taken-over schedule message whose node finished: run this execute step instead."""

    root_pipeline_id: str
    execute: ExecutePlan


def plan_schedule_takeover(
    runtime: Any, process_id: int, node_id: str, schedule_id: Any
) -> Optional[ScheduleTakeoverPlan]:
    """The dead run finished the node but did not send the next node's execute message: continue past it.

    The schedule step sends that message in one unit with waking the process, so a process still asleep
    at the node, whose schedule is finished and whose state is FINISHED at the schedule's version, is
    one whose message never went out. None otherwise: the engine runs the message as usual (and drops it
    when the schedule is over).
    """
    schedule = Schedule.objects.filter(id=schedule_id).values_list("finished", "version").first()
    if schedule is None or not schedule[0]:
        return None
    process = (
        Process.objects.filter(id=process_id, dead=False, asleep=True, current_node_id=node_id)
        .values_list("root_pipeline_id", "pipeline_stack")
        .first()
    )
    state = _read_state(node_id, None)
    if process is None or state is None or state.name != states.FINISHED or state.version != schedule[1]:
        return None
    plan = _past_finished(runtime, process_id, runtime.get_node(node_id), state, json.loads(process[1])[-1])
    return ScheduleTakeoverPlan(process[0], plan) if plan is not None else None


def release_dead_schedule_lock(schedule_id: Any, recover_point: Any) -> bool:
    """Give back the schedule lock a dead run may hold; True if it was held.

    Not when the message itself carries the lock (an interrupted attempt's recover point with
    ``lock_get``): the engine then continues under that lock without asking for it again.
    """
    point = ScheduleInterruptPoint.from_json(recover_point) if isinstance(recover_point, str) else None
    if point is not None and point.lock_get:
        return False
    return bool(Schedule.objects.filter(id=schedule_id, scheduling=True).update(scheduling=False))
