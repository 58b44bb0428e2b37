"""Hook types and the interrupt events a runtime is told about."""

from dataclasses import dataclass
from enum import Enum


class HookType(Enum):
    """Points at which the engine calls ``Service.hook_dispatch`` (value = lower-case name)."""

    PRE_RESUME_NODE = "pre_resume_node"
    POST_RESUME_NODE = "post_resume_node"
    PRE_PAUSE_NODE = "pre_pause_node"
    POST_PAUSE_NODE = "post_pause_node"
    PRE_RETRY_NODE = "pre_retry_node"
    POST_RETRY_NODE = "post_retry_node"
    PRE_SKIP_NODE = "pre_skip_node"
    POST_SKIP_NODE = "post_skip_node"
    PRE_FORCED_FAIL_ACTIVITY = "pre_forced_fail_activity"
    POST_FORCED_FAIL_ACTIVITY = "post_forced_fail_activity"
    PRE_CALLBACK = "pre_callback"
    POST_CALLBACK = "post_callback"
    NODE_EXECUTE_FAIL = "node_execute_fail"
    NODE_SCHEDULE_FAIL = "node_schedule_fail"
    NODE_EXECUTE_EXCEPTION = "node_execute_exception"
    NODE_SCHEDULE_EXCEPTION = "node_schedule_exception"
    NODE_ENTER = "node_enter"
    NODE_FINISH = "node_finish"
    EXECUTE = "execute"
    SCHEDULE = "schedule"
    PRE_EXECUTE = "pre_execute"
    POST_EXECUTE = "post_execute"
    PRE_SCHEDULE = "pre_schedule"
    POST_SCHEDULE = "post_schedule"


@dataclass(frozen=True)
class InterruptEvent:
    """A runtime error interrupted an engine step; the step was re-dispatched with a recover point.

    Attributes:
        name: name of the interrupter that caught the error.
        node_id: id of the node being run (typed ``int`` in the published signature; it holds the node id).
        exception_traceback: formatted traceback of ``exception``.
    """

    name: str
    process_id: int
    node_id: int
    exception: Exception
    exception_traceback: str


@dataclass(frozen=True)
class ExecuteInterruptEvent(InterruptEvent):
    """An interrupted ``Engine.execute``."""


@dataclass(frozen=True)
class ScheduleInterruptEvent(InterruptEvent):
    """An interrupted ``Engine.schedule``."""
