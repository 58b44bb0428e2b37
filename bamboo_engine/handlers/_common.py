"""Helpers shared by the built-in handlers: result shapes, finishing and failing a node."""

import logging
from typing import Dict, List, Optional

from bamboo_engine import states
from bamboo_engine.config import Settings
from bamboo_engine.eri.models.handler import ExecuteResult, ScheduleResult
from bamboo_engine.eri.models.runtime import ContextValue, ContextValueType, DispatchProcess, ExecutionData
from bamboo_engine.handler import INNER_LOOP_KEY, LOOP_KEY

logger = logging.getLogger("bamboo_engine")


def _execute_result(
    should_sleep: bool = False,
    next_node_id: Optional[str] = None,
    should_die: bool = False,
    dispatch_processes: Optional[List[DispatchProcess]] = None,
) -> ExecuteResult:
    """An ExecuteResult of a node that needs no schedule."""
    return ExecuteResult(
        should_sleep=should_sleep,
        schedule_ready=False,
        schedule_type=None,
        schedule_after=-1,
        dispatch_processes=list(dispatch_processes or []),
        next_node_id=next_node_id,
        should_die=should_die,
    )


def sleep_result(dispatch_processes: Optional[List[DispatchProcess]] = None) -> ExecuteResult:
    """The process stops here (failed node, or waiting for forked children when given)."""
    return _execute_result(should_sleep=True, dispatch_processes=dispatch_processes)


def next_result(next_node_id: str) -> ExecuteResult:
    """The process continues with ``next_node_id``."""
    return _execute_result(next_node_id=next_node_id)


def die_result() -> ExecuteResult:
    """The process ends (root end event)."""
    return _execute_result(should_die=True)


def schedule_finished_result(next_node_id: Optional[str]) -> ScheduleResult:
    """The schedule is over: the node moved on to ``next_node_id`` or failed (None)."""
    return ScheduleResult(
        has_next_schedule=False, schedule_after=-1, schedule_done=True, next_node_id=next_node_id
    )


def finish_node(runtime, node_id: str, version: Optional[str], error_ignored: bool = False) -> None:
    """Set the node FINISHED with archive time (idempotent for a redelivered message)."""
    runtime.set_state(
        node_id=node_id,
        to_state=states.FINISHED,
        version=version,
        error_ignored=error_ignored,
        set_archive_time=True,
        ignore_boring_set=True,
    )


def fail_node_state(runtime, node_id: str, version: Optional[str]) -> None:
    """Set the node FAILED with archive time (idempotent for a redelivered message)."""
    runtime.set_state(
        node_id=node_id,
        to_state=states.FAILED,
        version=version,
        set_archive_time=True,
        ignore_boring_set=True,
    )


def fail_node(
    runtime,
    node_id: str,
    version: Optional[str],
    ex_data: str,
    inputs: Optional[dict] = None,
    outputs: Optional[dict] = None,
) -> ExecuteResult:
    """Record a handler failure: ``outputs["ex_data"]``, FAILED with archive time, process sleeps.

    Args:
        inputs: execution inputs to save with the outputs; None keeps the stored inputs untouched.
        outputs: other outputs to save along with ``ex_data``.
    """
    logger.info("node(%s) failed: %s", node_id, ex_data)
    outputs = dict(outputs or {})
    outputs["ex_data"] = ex_data
    if inputs is None:
        runtime.set_execution_data_outputs(node_id, outputs)
    else:
        runtime.set_execution_data(node_id, ExecutionData(inputs, outputs))
    fail_node_state(runtime, node_id, version)
    return sleep_result()


def is_interrupt_error(runtime, err: BaseException) -> bool:
    """Whether ``err`` is one of ``runtime.interrupt_errors()`` (those must reach the engine)."""
    try:
        errors = tuple(runtime.interrupt_errors())
    except Exception:  # noqa: BLE001 - a runtime without the method has no interrupt errors
        return False
    return bool(errors) and isinstance(err, errors)


def loop_inputs(loop: int, inner_loop: int) -> Dict[str, int]:
    """``_loop``/``_inner_loop`` as injected into inputs (with ``RERUN_INDEX_OFFSET``)."""
    offset = Settings.RERUN_INDEX_OFFSET
    return {LOOP_KEY: loop + offset, INNER_LOOP_KEY: inner_loop + offset}


def loop_context_values(data_outputs: Dict[str, str], loop: int, inner_loop: int) -> List[ContextValue]:
    """PLAIN values for the context keys the node maps ``_loop``/``_inner_loop`` to, if any."""
    counters = loop_inputs(loop, inner_loop)
    return [
        ContextValue(data_outputs[name], ContextValueType.PLAIN, value)
        for name, value in counters.items()
        if name in data_outputs
    ]
