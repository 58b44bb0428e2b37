"""Built-in node handlers, one module per node type.

Importing a handler module registers its handler with :class:`bamboo_engine.handler.HandlerFactory`;
:func:`register` imports them all (the ``pipeline.eri`` app calls it in ``ready()``, and
``HandlerFactory.get_handler`` calls it on first use).
"""

import importlib

from bamboo_engine.handler import HandlerFactory

BUILTIN_HANDLER_MODULES = (
    "empty_start_event",
    "empty_end_event",
    "executable_end_event",
    "service_activity",
    "subprocess",
    "subcanvas",
    "exclusive_gateway",
    "parallel_gateway",
    "conditional_parallel_gateway",
    "converge_gateway",
)


def register() -> None:
    """Import every built-in handler module so that each registers its handler."""
    for module in BUILTIN_HANDLER_MODULES:
        importlib.import_module(f"{__name__}.{module}")
    HandlerFactory._builtins_loaded = True
