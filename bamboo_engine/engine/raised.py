"""Counting the node handlers that raise (``engine_{execute,schedule}_exception_count``)."""

import contextlib
from typing import Any, Iterator

from bamboo_engine.interrupt import InterruptException, is_interrupt_error
from bamboo_engine.metrics import inc_counter


@contextlib.contextmanager
def count_raised(runtime: Any, counter: Any, type_label: str) -> Iterator[None]:
    """Bump ``counter`` (label ``type``) when the block raises something other than an interrupt.

    Plugin exceptions are caught by the handlers (they fail the node and count there); what reaches
    this is a handler or runtime error, which the worker's failure net then turns into a FAILED node
    (:mod:`bamboo_engine.engine.failsafe`). Interrupts (an ``InterruptException`` or one of
    ``runtime.interrupt_errors()``) are retried, not failures.
    """
    try:
        yield
    except InterruptException:
        raise
    except Exception as err:
        if not is_interrupt_error(runtime, err):
            inc_counter(counter, type=type_label)
        raise
