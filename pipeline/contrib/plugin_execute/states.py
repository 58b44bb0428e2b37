"""States of a plugin execute task and the transitions between them, as data.

``READY`` (queued) → ``RUNNING`` (a worker claimed it; ``execute`` then possibly ``schedule`` rounds) →
``FINISHED`` or ``FAILED``. ``forced_fail`` also fails a ``READY`` task; ``retry`` sends a ``FAILED``
task back to ``READY`` with the next invoke count. ``FINISHED`` is final.
"""

from typing import Dict, FrozenSet

READY = "READY"
RUNNING = "RUNNING"
FINISHED = "FINISHED"
FAILED = "FAILED"

ALL_STATES: FrozenSet[str] = frozenset({READY, RUNNING, FINISHED, FAILED})
#: States in which the task will still change by itself (a worker owns it or will).
ACTIVE_STATES: FrozenSet[str] = frozenset({READY, RUNNING})
ARCHIVED_STATES: FrozenSet[str] = frozenset({FINISHED, FAILED})

TRANSITIONS: Dict[str, FrozenSet[str]] = {
    READY: frozenset({RUNNING, FAILED}),
    RUNNING: frozenset({FINISHED, FAILED}),
    FAILED: frozenset({READY}),
    FINISHED: frozenset(),
}


def can_transit(from_state: str, to_state: str) -> bool:
    """Whether a task in ``from_state`` may move to ``to_state``."""
    return to_state in TRANSITIONS.get(from_state, frozenset())
