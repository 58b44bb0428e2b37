"""Built-in node handlers, one module per node type.

Importing a handler module registers its handler with :class:`bamboo_engine.handler.HandlerFactory`, and
importing this package imports them all. The engine's worker (:mod:`bamboo_engine.engine.worker`)
imports it, so the built-ins are registered before the first step runs; the registry itself
(:mod:`bamboo_engine.handler`) knows nothing of them.
"""

from bamboo_engine.handlers import (
    conditional_parallel_gateway,
    converge_gateway,
    empty_end_event,
    empty_start_event,
    exclusive_gateway,
    executable_end_event,
    parallel_gateway,
    service_activity,
    subcanvas,
    subprocess,
)

__all__ = [
    "conditional_parallel_gateway",
    "converge_gateway",
    "empty_end_event",
    "empty_start_event",
    "exclusive_gateway",
    "executable_end_event",
    "parallel_gateway",
    "register",
    "service_activity",
    "subcanvas",
    "subprocess",
]


def register() -> None:
    """Make sure the built-in handlers are registered (importing this package already did it).

    Kept for callers that register explicitly, such as the ``pipeline.eri`` app's ``ready()``.
    """
