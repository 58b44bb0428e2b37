"""Helpers shared by the built-in handlers: result shapes, finishing and failing a node."""

import contextlib
import logging
from typing import Callable, Dict, List, Optional

from bamboo_engine import states
from bamboo_engine.config import Settings
from bamboo_engine.eri.models.handler import ExecuteResult, ScheduleResult
from bamboo_engine.eri.models.node import Node
from bamboo_engine.eri.models.runtime import ContextValue, ContextValueType, DispatchProcess, ExecutionData
from bamboo_engine.exceptions import StateVersionNotMatchError
from bamboo_engine.handler import INNER_LOOP_KEY, LOOP_KEY, atomic_step
from bamboo_engine.metrics import (
    ENGINE_EXECUTE_EXCEPTION_COUNT,
    ENGINE_EXECUTE_FAILED_COUNT,
    ENGINE_SCHEDULE_EXCEPTION_COUNT,
    ENGINE_SCHEDULE_FAILED_COUNT,
    inc_counter,
    node_type_label,
)

logger = logging.getLogger("bamboo_engine")

_FAILED_COUNTERS = {"execute": ENGINE_EXECUTE_FAILED_COUNT, "schedule": ENGINE_SCHEDULE_FAILED_COUNT}
_EXCEPTION_COUNTERS = {"execute": ENGINE_EXECUTE_EXCEPTION_COUNT, "schedule": ENGINE_SCHEDULE_EXCEPTION_COUNT}


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
    """The schedule is over and the node moved on to ``next_node_id``: the engine finishes the schedule."""
    return ScheduleResult(
        has_next_schedule=False, schedule_after=-1, schedule_done=True, next_node_id=next_node_id
    )


def schedule_waiting_result() -> ScheduleResult:
    """No further poll and nothing to go on with: the node waits (for a callback, or failed).

    A schedule that failed its node is not finished: the engine only gives its lock back, so the row
    stays ``finished=False, expired=False`` (as upstream), a later callback for that version is still
    accepted, and its message expires the schedule because the node is no longer RUNNING.
    """
    return ScheduleResult(has_next_schedule=False, schedule_after=-1, schedule_done=False, next_node_id=None)


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


class _StaleRun(Exception):
    """The node's state version changed while this run worked on it (forced fail, timeout, ...)."""


def settle_node(
    runtime,
    node_id: str,
    version: Optional[str],
    to_state: str,
    write_results: Optional[Callable[[], None]],
    error_ignored: bool = False,
    after_state: Optional[Callable[[], None]] = None,
) -> bool:
    """Write a run's results, then its final state, as one unit; False when the run is stale.

    Order: results first, versioned state last. Every observer that sees FINISHED/FAILED also sees the
    outputs, and a runtime without ``atomic_step`` that fails between the two leaves the node RUNNING
    (an interrupt or a crash takeover runs the step again) instead of a final node without results.

    A state version that changed since the run set the node RUNNING (``forced_fail_activity``, a node
    timeout) makes the run stale: its results are dropped. With the runtime's ``atomic_step`` (Django:
    one transaction; in-memory: the store lock and a snapshot) the versioned state write is what decides,
    and a mismatch undoes the result writes of the unit, so the forced failure's ``ex_data`` survives.
    ``ignore_boring_set`` keeps a redelivered message idempotent (same state, same version); the same
    state with another version is a stale run too.

    Args:
        write_results: the run's execution data and context writes (no service code: the unit may hold
            a transaction or a lock); None when there is nothing to write (no unit is needed then).
        after_state: runtime calls that belong with the final state (an automatic retry: the process
            asleep and the delayed message), made in the unit after the state was written.
    """
    unit = write_results is not None or after_state is not None
    try:
        with atomic_step(runtime) if unit else contextlib.nullcontext():
            if write_results is not None:
                write_results()
            written = runtime.set_state(
                node_id=node_id,
                to_state=to_state,
                version=version,
                error_ignored=error_ignored,
                set_archive_time=True,
                ignore_boring_set=True,
            )
            if version is not None and written != version:
                raise _StaleRun(f"state version is {written}")
            if after_state is not None:
                after_state()
    except (StateVersionNotMatchError, _StaleRun) as err:
        logger.warning(
            "node(%s) run of version %s is stale (%s): its results are dropped, %s not set",
            node_id,
            version,
            err,
            to_state,
        )
        return False
    return True


def write_if_current(runtime, node_id: str, version: Optional[str], write: Callable[[], None]) -> bool:
    """Run ``write`` (execution data of a node that keeps waiting) unless the run is stale.

    Such a write is not followed by a state change that could carry the version check, so the version
    is read right before it (one ``get_state``), inside ``atomic_step`` (in-memory: under the store lock,
    so the check is exact; Django: the window shrinks to the two statements).

    Returns:
        False when the node's state version is no longer ``version`` (nothing was written).
    """
    with atomic_step(runtime):
        current = runtime.get_state(node_id).version
        if version is not None and current != version:
            logger.warning(
                "node(%s) run of version %s is stale (state version is %s): its results are dropped",
                node_id,
                version,
                current,
            )
            return False
        write()
    return True


def fail_node(
    runtime,
    node: Node,
    version: Optional[str],
    ex_data: str,
    inputs: Optional[dict] = None,
    outputs: Optional[dict] = None,
    phase: str = "execute",
) -> ExecuteResult:
    """Record a handler failure: ``outputs["ex_data"]``, FAILED with archive time, process sleeps.

    Args:
        inputs: execution inputs to save with the outputs; None keeps the stored inputs untouched.
        outputs: other outputs to save along with ``ex_data``.
        phase: ``"execute"`` or ``"schedule"``: which failure counter a failure that took effect bumps.
    """
    node_id = node.id
    logger.info("node(%s) failed: %s", node_id, ex_data)
    outputs = dict(outputs or {})
    outputs["ex_data"] = ex_data

    def write_results() -> None:
        if inputs is None:
            runtime.set_execution_data_outputs(node_id, outputs)
        else:
            runtime.set_execution_data(node_id, ExecutionData(inputs, outputs))

    if settle_node(runtime, node_id, version, states.FAILED, write_results):
        count_failed(node, phase)
    return sleep_result()


def count_failed(node: Node, phase: str) -> None:
    """Bump ``engine_{phase}_failed_count`` for ``node`` (a node that ended FAILED)."""
    inc_counter(_FAILED_COUNTERS[phase], type=node_type_label(node))


def count_exception(node: Node, phase: str) -> None:
    """Bump ``engine_{phase}_exception_count`` for ``node`` (its plugin code or handler raised)."""
    inc_counter(_EXCEPTION_COUNTERS[phase], type=node_type_label(node))


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
