"""Detection rules: what a process of a RUNNING pipeline waits for, and whether that can still come.

:func:`diagnose` returns a :class:`Finding` for a process that waits for a message nothing will send
any more (with the :class:`~pipeline.eri.healing.redispatch.Plan` that re-sends it), or for a process
in a state the healer can only report; None for a process that is fine (waiting for a callback, for
an operator after a failure, for children that are still running, ...).

A finding is only a suspicion: the healer acts on it once the process stayed unchanged for
``Finding.quiet_seconds`` (see :mod:`pipeline.eri.healing.watch`), so a message that is merely late is
not duplicated.
"""

import json
import logging
from dataclasses import dataclass
from typing import Any, Optional

from bamboo_engine import states
from bamboo_engine.eri.models.node import Node, NodeType
from bamboo_engine.eri.models.runtime import Schedule, ScheduleType
from pipeline.eri.continuation import FORK_TYPES, rerun_point, result_point, way_on
from pipeline.eri.healing.config import HealingConfig
from pipeline.eri.healing.redispatch import EXECUTE, SCHEDULE, Plan
from pipeline.eri.healing.snapshot import ProcessView
from pipeline.eri.models import CallbackData
from pipeline.eri.models import Node as NodeModel

logger = logging.getLogger(__name__)

NEVER_STARTED = "never_started"  # a root process whose first execute message never ran
LOST_EXECUTE = "lost_execute"  # the current node was never entered (no state, READY, a child's goal)
PARENT_NOT_WOKEN = "parent_not_woken"  # every child finished, the parent never went on
MISSING_SCHEDULE = "missing_schedule"  # an activity RUNNING, process asleep, its schedule never created
LOST_POLL = "lost_poll"  # a POLL schedule whose next message never came
LOST_CALLBACK = "lost_callback"  # a callback stored but never delivered to its schedule
NOT_MOVED_ON = "not_moved_on"  # the current node FINISHED, the process never went on
# Reported, not healed: re-sending could run a service twice while it may still be running.
SCHEDULE_LOCKED = "schedule_locked"  # a schedule locked by a poll/callback for a long time
NO_PROGRESS = "no_progress"  # anything else without progress (e.g. awake on a RUNNING node)

REASONS = (
    NEVER_STARTED,
    LOST_EXECUTE,
    PARENT_NOT_WOKEN,
    MISSING_SCHEDULE,
    LOST_POLL,
    LOST_CALLBACK,
    NOT_MOVED_ON,
    SCHEDULE_LOCKED,
    NO_PROGRESS,
)


@dataclass(frozen=True)
class Finding:
    """Why a process looks stuck; ``plan`` is None when the healer can only report it."""

    reason: str
    quiet_seconds: float
    plan: Optional[Plan] = None
    note: str = ""


def diagnose(view: ProcessView, runtime: Any, config: HealingConfig) -> Optional[Finding]:
    """What ``view`` waits for if it can no longer come; None when the process is fine."""
    if not view.current_node_id:
        return _never_started(view, config)
    if view.destination_id and view.current_node_id == view.destination_id:
        # A child whose branch is empty (or whose execute at its goal was lost): running it ends the child.
        return _execute_here(view, config, LOST_EXECUTE)
    state = view.state
    if state is None or state.name == states.READY:
        return _execute_here(view, config, LOST_EXECUTE)
    if state.name == states.FINISHED and _finished_before_last_message(view):
        # The process came back to a node it finished earlier (a loop) and was lost before entering it.
        return _execute_here(view, config, LOST_EXECUTE)
    node = runtime.get_node(view.current_node_id)
    forked = view.children.alive or view.children.dead
    if node.type in FORK_TYPES and state.name == states.FINISHED and forked and not unjoined(view):
        return _waiting_for_children(view, config)
    if state.name == states.FINISHED:
        return _not_moved_on(view, runtime, node, config)
    if state.name != states.RUNNING:
        return None  # FAILED, SUSPENDED...: an operator's turn, not a lost message
    if node.type != NodeType.ServiceActivity:
        return _report(view, config, NO_PROGRESS, f"{node.type.value} RUNNING without progress")
    return _activity(view, runtime, node, config)


def _finished_before_last_message(view: ProcessView) -> bool:
    """The current node was finished before the process's latest execute message started.

    A node finished by the latest message (or by a schedule message after it) was archived after the
    heartbeat that message wrote; one archived before it belongs to an earlier pass of a loop.
    """
    assert view.state is not None
    archived = view.state.archived_time
    return archived is not None and view.last_heartbeat is not None and view.last_heartbeat > archived


def _execute_here(view: ProcessView, config: HealingConfig, reason: str) -> Finding:
    plan = Plan(EXECUTE, view.process_id, view.current_node_id, view.root_pipeline_id, view.top_pipeline_id)
    return Finding(reason, config.confirm_seconds, plan)


def _report(view: ProcessView, config: HealingConfig, reason: str, note: str) -> Finding:
    return Finding(reason, config.confirm_seconds, None, note)


def _never_started(view: ProcessView, config: HealingConfig) -> Optional[Finding]:
    if view.parent_id != -1:
        return _report(view, config, NO_PROGRESS, "child process without a current node")
    start_event_id = root_start_event_id(view.root_pipeline_id)
    if start_event_id is None:
        return _report(view, config, NEVER_STARTED, "the root pipeline's start event is not stored")
    plan = Plan(EXECUTE, view.process_id, start_event_id, view.root_pipeline_id, view.root_pipeline_id)
    return Finding(NEVER_STARTED, config.confirm_seconds, plan)


def root_start_event_id(root_pipeline_id: str) -> Optional[str]:
    """The start event of the root pipeline, from the stored node details."""
    rows = NodeModel.objects.filter(root_pipeline_id=root_pipeline_id).values_list("detail", flat=True)
    for text in rows.iterator():
        detail = json.loads(text)
        if (
            detail.get("type") == NodeType.EmptyStartEvent.value
            and detail.get("parent_pipeline_id") == root_pipeline_id
        ):
            return detail["id"]
    return None


def _waiting_for_children(view: ProcessView, config: HealingConfig) -> Optional[Finding]:
    """A parent at its fork: fine while a child lives; once all are dead it should have gone on."""
    if view.children.alive:
        return None  # each child is looked at on its own
    converge_id = view.children.destination_id
    plan = Plan(EXECUTE, view.process_id, converge_id, view.root_pipeline_id, view.top_pipeline_id)
    return Finding(PARENT_NOT_WOKEN, config.confirm_seconds, plan)


def _not_moved_on(view: ProcessView, runtime: Any, node: Node, config: HealingConfig) -> Finding:
    assert view.state is not None
    result = way_on(
        runtime, view.process_id, node, view.state.inner_loop, view.state.error_ignored, view.top_pipeline_id
    )
    if result is None:
        # End events, subprocesses, a gateway whose conditions no longer choose one flow: the rows do not
        # say where the process went on (a crash takeover finishes end events itself).
        return _report(view, config, NOT_MOVED_ON, f"{node.type.value} finished, next node unknown")
    plan = Plan(
        EXECUTE,
        view.process_id,
        node.id,
        view.root_pipeline_id,
        view.top_pipeline_id,
        recover_point=result_point(view.state.version, result),
    )
    return Finding(NOT_MOVED_ON, config.confirm_seconds, plan)


def unjoined(view: ProcessView) -> bool:
    """An awake process with live children it never joined: its fork died before its last unit.

    Its children have never been sent; the parent's re-dispatch sends them (``not_moved_on``), so the
    children themselves must not be re-dispatched as well.
    """
    return not view.asleep and view.need_ack <= 0 and view.children.alive > 0


def _activity(view: ProcessView, runtime: Any, node: Node, config: HealingConfig) -> Optional[Finding]:
    """A RUNNING activity: waits for its schedule, unless the schedule is lost or over."""
    assert view.state is not None
    schedule = view.schedule
    if schedule is None:
        if not view.asleep:
            return _report(view, config, NO_PROGRESS, "activity RUNNING, process awake, no heartbeat")
        # The engine puts the process to sleep before it creates the schedule: a worker died between.
        plan = Plan(
            EXECUTE,
            view.process_id,
            node.id,
            view.root_pipeline_id,
            view.top_pipeline_id,
            recover_point=rerun_point(view.state.version),
        )
        return Finding(MISSING_SCHEDULE, config.confirm_seconds, plan)
    if schedule.finished or schedule.expired:
        return _report(view, config, NO_PROGRESS, "activity RUNNING but its schedule is over")
    if schedule.scheduling:
        return _report(view, config, SCHEDULE_LOCKED, f"schedule {schedule.id} locked, no progress")
    if schedule.type == ScheduleType.POLL.value:
        return _lost_poll(view, runtime, node, config)
    if schedule.type == ScheduleType.CALLBACK.value and view.callbacks > schedule.times:
        return _lost_callback(view, config)
    return None  # waiting for a callback


def _lost_poll(view: ProcessView, runtime: Any, node: Node, config: HealingConfig) -> Finding:
    assert view.schedule is not None
    interval = poll_interval(runtime, node, view, fallback=config.stale_seconds)
    quiet = max(config.confirm_seconds, interval + config.poll_grace_seconds)
    if not view.asleep:
        # Awake on a POLL node: an inline first poll may still be running in its execute worker.
        quiet += config.stale_seconds
    plan = Plan(SCHEDULE, view.process_id, node.id, view.root_pipeline_id, schedule_id=view.schedule.id)
    return Finding(LOST_POLL, quiet, plan)


def poll_interval(runtime: Any, node: Node, view: ProcessView, fallback: float) -> float:
    """Seconds the service waits before the poll after ``view.schedule.times`` polls (its generator);
    ``fallback`` when the service cannot tell."""
    assert view.schedule is not None and view.state is not None
    try:
        service = runtime.get_service(code=node.code, version=node.version, name=node.name)  # type: ignore
        schedule = None
        if view.schedule.times > 0:
            schedule = Schedule(
                id=view.schedule.id,
                type=ScheduleType.POLL,
                process_id=view.process_id,
                node_id=node.id,
                finished=False,
                expired=False,
                version=view.state.version,
                times=view.schedule.times,
            )
        after = service.schedule_after(schedule, None, None)
    except Exception:  # an unknown interval must not stop the pass; wait longer instead
        logger.exception("poll interval of node(%s) unknown, assuming %s s", node.id, fallback)
        return fallback
    return float(after) if after and after > 0 else 0.0


def _lost_callback(view: ProcessView, config: HealingConfig) -> Finding:
    assert view.schedule is not None and view.state is not None
    latest = (
        CallbackData.objects.filter(node_id=view.current_node_id, version=view.state.version)
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
    )
    plan = Plan(
        SCHEDULE,
        view.process_id,
        view.current_node_id,
        view.root_pipeline_id,
        schedule_id=view.schedule.id,
        callback_data_id=latest,
    )
    return Finding(LOST_CALLBACK, config.confirm_seconds, plan)
