"""Which operator actions make sense for a pipeline, a node or a process as it is now.

The front ends offer these as buttons. The rule is a convenience for the operator, not a guard: every
action is checked again by the engine when it is applied.
"""

from dataclasses import dataclass
from typing import Collection, Iterable, List, Optional

from bamboo_engine import states
from bamboo_engine.eri.models.node import NodeType
from bamboo_engine.eri.models.runtime import ScheduleType
from pipeline.eri.operations import catalog

_CALLBACK_TYPES = frozenset({ScheduleType.CALLBACK.value, ScheduleType.MULTIPLE_CALLBACK.value})


def pipeline_actions(state_name: Optional[str]) -> List[str]:
    """Actions on a root pipeline in state ``state_name``."""
    if state_name == states.RUNNING:
        return [catalog.TASK_PAUSE, catalog.TASK_REVOKE]
    if state_name == states.SUSPENDED:
        return [catalog.TASK_RESUME, catalog.TASK_REVOKE]
    return []


def node_actions(
    node_type: str,
    state_name: Optional[str],
    can_retry: bool = True,
    can_skip: bool = True,
    schedule_type: Optional[int] = None,
    schedule_locked: bool = False,
    retry_pending: bool = False,
) -> List[str]:
    """Actions on a node of type ``node_type`` in state ``state_name``.

    Args:
        schedule_type: the ``ScheduleType`` value of the unfinished schedule of the node's current
            version, None when it has none.
        schedule_locked: that schedule is locked by a poll or callback.
        retry_pending: a FAILED activity waits for its automatic retry (``retry_policy``); a forced
            fail cancels it.
    """
    if state_name == states.FAILED:
        actions = _failed_node_actions(node_type, can_retry, can_skip)
        if retry_pending and node_type == NodeType.ServiceActivity.value:
            actions.append(catalog.NODE_FORCED_FAIL)
        return actions
    if state_name != states.RUNNING or node_type != NodeType.ServiceActivity.value:
        return []
    actions = [catalog.NODE_FORCED_FAIL]
    if schedule_type in _CALLBACK_TYPES:
        actions.append(catalog.NODE_CALLBACK)
    if schedule_locked:
        actions.append(catalog.NODE_RELEASE_SCHEDULE_LOCK)
    return actions


def _failed_node_actions(node_type: str, can_retry: bool, can_skip: bool) -> List[str]:
    if node_type == NodeType.ExclusiveGateway.value:
        return [catalog.NODE_SKIP_EXG]
    if node_type == NodeType.ConditionalParallelGateway.value:
        return [catalog.NODE_SKIP_CPG]
    if node_type != NodeType.ServiceActivity.value:
        return []
    offered = ((catalog.NODE_RETRY, can_retry), (catalog.NODE_SKIP, can_skip))
    return [name for name, allowed in offered if allowed]


def process_actions(root_state_name: Optional[str], dead: bool, suspended: bool, frozen: bool) -> List[str]:
    """Actions on a process: a live one of a RUNNING pipeline may be re-dispatched if it is stuck."""
    if root_state_name == states.RUNNING and not (dead or suspended or frozen):
        return [catalog.PROCESS_REDISPATCH]
    return []


#: Actions whose button asks the operator to confirm first.
CONFIRMED = frozenset({catalog.TASK_REVOKE, catalog.NODE_SKIP, catalog.NODE_FORCED_FAIL})


@dataclass(frozen=True)
class Button:
    """An action offered on a page; ``allowed`` is False when the user lacks its permission."""

    name: str
    label: str
    allowed: bool
    confirm: bool


def buttons(actions: Iterable[str], allowed: Collection[str]) -> List[Button]:
    """The buttons of ``actions``, enabled for the names in ``allowed``."""
    return [Button(name, catalog.BY_NAME[name].label, name in allowed, name in CONFIRMED) for name in actions]
