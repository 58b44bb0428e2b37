"""What the healer reads: processes of RUNNING root pipelines whose heartbeat is old, with their context.

Everything is read in a handful of bulk queries per pass (processes, root states, current-node states,
schedules, children, callback counts), never per process.
"""

import json
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Dict, Iterable, List, Optional, Tuple

from django.db.models import Count

from bamboo_engine import states
from pipeline.eri.models import CallbackData, Process, Schedule, State

_PROCESS_FIELDS = (
    "id",
    "root_pipeline_id",
    "parent_id",
    "asleep",
    "last_heartbeat",
    "current_node_id",
    "destination_id",
    "pipeline_stack",
    "ack_num",
    "need_ack",
)


@dataclass(frozen=True)
class NodeState:
    """The state of a process's current node."""

    name: str
    version: str
    inner_loop: int
    error_ignored: bool
    archived_time: Optional[datetime] = None


@dataclass(frozen=True)
class ScheduleRow:
    """The schedule of the current node's current version."""

    id: int
    type: int
    finished: bool
    expired: bool
    scheduling: bool
    times: int


@dataclass(frozen=True)
class Children:
    """The processes forked by a process (all of its forks)."""

    alive: int = 0
    dead: int = 0
    # Where the newest child was heading: the converge gateway its parent continues at.
    destination_id: str = ""


@dataclass(frozen=True)
class ProcessView:
    """One process of a RUNNING root pipeline and what it is waiting for."""

    process_id: int
    root_pipeline_id: str
    parent_id: int
    asleep: bool
    last_heartbeat: Optional[datetime]
    current_node_id: str
    destination_id: str
    pipeline_stack: Tuple[str, ...]
    ack_num: int
    need_ack: int
    state: Optional[NodeState] = None
    schedule: Optional[ScheduleRow] = None
    children: Children = Children()
    callbacks: int = 0  # callback payloads stored for the current node version

    @property
    def top_pipeline_id(self) -> str:
        return self.pipeline_stack[-1] if self.pipeline_stack else self.root_pipeline_id

    def fingerprint_fields(self) -> list:
        """Everything that changes when the process makes progress."""
        state = self.state
        schedule = self.schedule
        return [
            self.asleep,
            self.last_heartbeat.isoformat() if self.last_heartbeat else None,
            self.current_node_id,
            [state.name, state.version, state.inner_loop] if state else None,
            [schedule.id, schedule.finished, schedule.expired, schedule.scheduling, schedule.times]
            if schedule
            else None,
            [self.ack_num, self.need_ack, self.children.alive, self.children.dead],
            self.callbacks,
        ]


def stale_processes(now: datetime, stale_seconds: float, limit: int) -> List[ProcessView]:
    """Live, not suspended, not frozen processes of RUNNING root pipelines with an old heartbeat."""
    rows = list(
        Process.objects.filter(
            dead=False,
            suspended=False,
            frozen=False,
            last_heartbeat__lt=now - timedelta(seconds=stale_seconds),
        )
        .order_by("last_heartbeat", "id")
        .values_list(*_PROCESS_FIELDS)[:limit]
    )
    running = _running_roots({row[1] for row in rows})
    views = [_view(row) for row in rows if row[1] in running]
    return _with_context(views)


def process_views(process_ids: Iterable[int]) -> List[ProcessView]:
    """The given processes with their context, whatever their heartbeat (an operator looking at one)."""
    rows = Process.objects.filter(id__in=list(process_ids)).order_by("id").values_list(*_PROCESS_FIELDS)
    return _with_context([_view(row) for row in rows])


def _running_roots(root_ids: Iterable[str]) -> set:
    ids = list(root_ids)
    if not ids:
        return set()
    return set(State.objects.filter(node_id__in=ids, name=states.RUNNING).values_list("node_id", flat=True))


def _view(row: tuple) -> ProcessView:
    pid, root, parent_id, asleep, heartbeat, current, destination, stack, ack_num, need_ack = row
    return ProcessView(
        process_id=pid,
        root_pipeline_id=root,
        parent_id=parent_id,
        asleep=asleep,
        last_heartbeat=heartbeat,
        current_node_id=current,
        destination_id=destination,
        pipeline_stack=tuple(json.loads(stack or "[]")),
        ack_num=ack_num,
        need_ack=need_ack,
    )


def _with_context(views: List[ProcessView]) -> List[ProcessView]:
    if not views:
        return views
    node_states = _states({view.current_node_id for view in views if view.current_node_id})
    schedules = _schedules(node_states)
    children = _children([view.process_id for view in views])
    callbacks = _callback_counts(node_states, schedules)
    out = []
    for view in views:
        state = node_states.get(view.current_node_id)
        key = (view.current_node_id, state.version) if state else None
        out.append(
            replace(
                view,
                state=state,
                schedule=schedules.get(key) if key else None,
                children=children.get(view.process_id, Children()),
                callbacks=callbacks.get(key, 0) if key else 0,
            )
        )
    return out


def _states(node_ids: set) -> Dict[str, NodeState]:
    rows = State.objects.filter(node_id__in=list(node_ids)).values_list(
        "node_id", "name", "version", "inner_loop", "error_ignored", "archived_time"
    )
    return {node_id: NodeState(*fields) for node_id, *fields in rows}


def _schedules(node_states: Dict[str, NodeState]) -> Dict[Tuple[str, str], ScheduleRow]:
    if not node_states:
        return {}
    rows = Schedule.objects.filter(node_id__in=list(node_states)).values_list(
        "node_id", "version", "id", "type", "finished", "expired", "scheduling", "schedule_times"
    )
    found = {}
    for node_id, version, *fields in rows:
        if node_states[node_id].version == version:
            found[(node_id, version)] = ScheduleRow(*fields)
    return found


def _children(process_ids: List[int]) -> Dict[int, Children]:
    rows = (
        Process.objects.filter(parent_id__in=process_ids)
        .order_by("id")
        .values_list("parent_id", "dead", "destination_id")
    )
    counts: Dict[int, Children] = {}
    for parent_id, dead, destination_id in rows:
        seen = counts.get(parent_id, Children())
        counts[parent_id] = Children(
            alive=seen.alive + (0 if dead else 1),
            dead=seen.dead + (1 if dead else 0),
            destination_id=destination_id,
        )
    return counts


def _callback_counts(
    node_states: Dict[str, NodeState], schedules: Dict[Tuple[str, str], ScheduleRow]
) -> Dict[Tuple[str, str], int]:
    waiting = [node_id for node_id, version in schedules if not schedules[(node_id, version)].finished]
    if not waiting:
        return {}
    rows = (
        CallbackData.objects.filter(node_id__in=waiting)
        .values_list("node_id", "version")
        .annotate(n=Count("id"))
    )
    return {(node_id, version): n for node_id, version, n in rows if node_states[node_id].version == version}
