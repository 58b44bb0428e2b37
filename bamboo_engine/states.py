"""The node state machine: state names, named sets of states and one transition table."""

from enum import Enum
from typing import Dict, FrozenSet, Union


class StateType(Enum):
    """Every state a node or pipeline can be in (value = name)."""

    CREATED = "CREATED"
    LOOP_READY = "LOOP_READY"
    READY = "READY"
    RUNNING = "RUNNING"
    SUSPENDED = "SUSPENDED"
    BLOCKED = "BLOCKED"
    FINISHED = "FINISHED"
    FAILED = "FAILED"
    REVOKED = "REVOKED"
    ROLLING_BACK = "ROLLING_BACK"
    ROLL_BACK_SUCCESS = "ROLL_BACK_SUCCESS"
    ROLL_BACK_FAILED = "ROLL_BACK_FAILED"


CREATED = StateType.CREATED.value
LOOP_READY = StateType.LOOP_READY.value
READY = StateType.READY.value
RUNNING = StateType.RUNNING.value
SUSPENDED = StateType.SUSPENDED.value
BLOCKED = StateType.BLOCKED.value
FINISHED = StateType.FINISHED.value
FAILED = StateType.FAILED.value
REVOKED = StateType.REVOKED.value
ROLLING_BACK = StateType.ROLLING_BACK.value
ROLL_BACK_SUCCESS = StateType.ROLL_BACK_SUCCESS.value
ROLL_BACK_FAILED = StateType.ROLL_BACK_FAILED.value

# quirk: "ALL_STATES" is the published set, which leaves out CREATED, LOOP_READY and the roll-back results.
ALL_STATES: FrozenSet[str] = frozenset(
    {READY, RUNNING, SUSPENDED, BLOCKED, FINISHED, FAILED, REVOKED, ROLLING_BACK}
)
ARCHIVED_STATES: FrozenSet[str] = frozenset({FINISHED, FAILED, REVOKED})
SLEEP_STATES: FrozenSet[str] = frozenset({SUSPENDED, REVOKED})
CHILDREN_IGNORE_STATES: FrozenSet[str] = frozenset({BLOCKED})

# from state -> the states it may move to. A state row is created directly in its first state, so
# CREATED never occurs; it is listed (with BLOCKED and REVOKED) as a dead end to make the table total.
TRANSITION: Dict[str, FrozenSet[str]] = {
    CREATED: frozenset(),
    READY: frozenset({RUNNING, SUSPENDED}),
    LOOP_READY: frozenset({RUNNING, SUSPENDED}),
    RUNNING: frozenset({FINISHED, FAILED, REVOKED, SUSPENDED, ROLLING_BACK}),
    SUSPENDED: frozenset({READY, REVOKED, RUNNING, ROLLING_BACK}),
    BLOCKED: frozenset(),
    FINISHED: frozenset({RUNNING, FAILED, ROLLING_BACK}),
    FAILED: frozenset({READY, FINISHED, LOOP_READY}),
    REVOKED: frozenset(),
    ROLLING_BACK: frozenset({ROLL_BACK_SUCCESS, ROLL_BACK_FAILED}),
    ROLL_BACK_SUCCESS: frozenset({READY, FINISHED}),
    ROLL_BACK_FAILED: frozenset({READY, FINISHED, ROLLING_BACK}),
}

# The states from which the engine loop sets an existing node RUNNING itself. Not the full inverse of
# TRANSITION: a SUSPENDED node (an appointment) is handled by suspending the process instead.
INVERTED_TRANSITION: Dict[str, FrozenSet[str]] = {RUNNING: frozenset({READY, FINISHED, LOOP_READY})}


def _state_name(state: Union[str, StateType]) -> str:
    return state.value if isinstance(state, StateType) else state


def can_transit(from_state: Union[str, StateType], to_state: Union[str, StateType]) -> bool:
    """Whether an existing state row may move from ``from_state`` to ``to_state``.

    Unknown state names cannot move anywhere (False), so callers raise their own typed error.
    """
    return _state_name(to_state) in TRANSITION.get(_state_name(from_state), frozenset())
