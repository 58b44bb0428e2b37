"""What a node handler tells the engine to do next."""

from dataclasses import dataclass
from typing import Any, List, Optional

from bamboo_engine.eri.models.runtime import DispatchProcess, ScheduleType


def _schedule_type_from_json(value: Any) -> Optional[ScheduleType]:
    """Accept the enum, its int value (what :meth:`ExecuteResult.to_dict` writes) or its name."""
    if value is None or isinstance(value, ScheduleType):
        return value
    if isinstance(value, str):
        return ScheduleType[value]
    return ScheduleType(value)


@dataclass
class ExecuteResult:
    """Outcome of ``NodeHandler.execute``.

    Attributes:
        should_sleep: the process stops here (failed node, waiting for a schedule or for children).
        schedule_ready: the engine must create a schedule of ``schedule_type``.
        schedule_after: seconds before the first POLL schedule (-1 = none).
        dispatch_processes: forked children to join and dispatch.
        next_node_id: node the process continues with, if any.
        should_die: the process ends (root end event).
    """

    should_sleep: bool
    schedule_ready: bool
    schedule_type: Optional[ScheduleType]
    schedule_after: int
    dispatch_processes: List[DispatchProcess]
    next_node_id: Optional[str]
    should_die: bool = False

    def to_dict(self) -> dict:
        """A JSON-ready dict (``schedule_type`` as its int value)."""
        return {
            "should_sleep": self.should_sleep,
            "schedule_ready": self.schedule_ready,
            "schedule_type": self.schedule_type.value if self.schedule_type is not None else None,
            "schedule_after": self.schedule_after,
            "dispatch_processes": [dp.to_dict() for dp in self.dispatch_processes or []],
            "next_node_id": self.next_node_id,
            "should_die": self.should_die,
        }

    @classmethod
    def from_dict(cls, obj: dict) -> "ExecuteResult":
        return cls(
            should_sleep=obj["should_sleep"],
            schedule_ready=obj["schedule_ready"],
            schedule_type=_schedule_type_from_json(obj.get("schedule_type")),
            schedule_after=obj["schedule_after"],
            dispatch_processes=[DispatchProcess.from_dict(dp) for dp in obj.get("dispatch_processes") or []],
            next_node_id=obj.get("next_node_id"),
            should_die=obj.get("should_die", False),
        )


@dataclass
class ScheduleResult:
    """Outcome of ``NodeHandler.schedule``.

    Attributes:
        has_next_schedule: a POLL schedule runs again after ``schedule_after`` seconds.
        schedule_done: the node finished; the process continues with ``next_node_id``.
    """

    has_next_schedule: bool
    schedule_after: int
    schedule_done: bool
    next_node_id: Optional[str]

    def to_dict(self) -> dict:
        return {
            "has_next_schedule": self.has_next_schedule,
            "schedule_after": self.schedule_after,
            "schedule_done": self.schedule_done,
            "next_node_id": self.next_node_id,
        }

    @classmethod
    def from_dict(cls, obj: dict) -> "ScheduleResult":
        return cls(
            has_next_schedule=obj["has_next_schedule"],
            schedule_after=obj["schedule_after"],
            schedule_done=obj["schedule_done"],
            next_node_id=obj.get("next_node_id"),
        )
