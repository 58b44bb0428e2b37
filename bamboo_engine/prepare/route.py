"""The queue and priority of a run, read from the options of ``run_pipeline`` by every runtime.

Every message of a run goes to the run's queue with the run's priority (Celery/AMQP message priority,
0 to 255 on queues declared with ``x-max-priority = 255``). ``0`` is a priority like any other: only a
missing or ``None`` priority takes the default.
"""

from typing import Any, Mapping, Tuple

from bamboo_engine.exceptions import ValueError as EngineValueError

DEFAULT_PRIORITY = 100
MAX_PRIORITY = 255


def run_route(options: Mapping[str, Any]) -> Tuple[str, int]:
    """``(queue, priority)`` of a run from its ``run_pipeline`` options.

    Raises:
        bamboo_engine.exceptions.ValueError: the priority is not an int from 0 to 255 (refused before
            anything is written: a broker would refuse it only when the first message is sent).
    """
    queue = options.get("queue") or ""
    priority = options.get("priority")
    if priority is None:
        return queue, DEFAULT_PRIORITY
    if isinstance(priority, bool) or not isinstance(priority, int) or not 0 <= priority <= MAX_PRIORITY:
        raise EngineValueError(f"priority must be an int from 0 to {MAX_PRIORITY}, got {priority!r}")
    return queue, priority
