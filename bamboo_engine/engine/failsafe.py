"""The engine's net for unexpected exceptions: a step that raises never strands its node.

An execute or schedule step can raise for reasons no handler expects: a bug of ours, a storage error
that is not one of ``runtime.interrupt_errors()`` (those the interrupter turns into a re-sent message), a
runtime hook or signal receiver raising, a value the runtime cannot store. Letting it reach the task
consumer would leave the node RUNNING with nobody to move it on, so the step's node is failed in a way an
operator can recover from:

* the state becomes FAILED (from RUNNING or FINISHED; a node that was about to be entered is set RUNNING
  first, a node without a state gets one), ``ex_data`` names the node and carries the traceback, and the
  state gets a new version, so whatever the crashed run still has in flight cannot write over the
  failure (as with ``forced_fail_activity``);
* the write is conditional on the version the step worked on: a stale message never fails a newer run
  of the node (the node is then left as it is);
* the process sleeps with the node as its current node, so ``retry_node`` and ``skip_node`` apply;
* the node's fail hooks fire and ``engine_unexpected_exception_count`` counts the exception.

Failing the node raises too (the storage is down): that error propagates, and the task consumer's own
bounded retry delivers the message again. A step that cannot name a node it may fail (its process row
cannot be read, a message that cannot be decoded, a child process handing over at its converge gateway)
logs the message's ids at ERROR and drops it: running the same message again would fail the same way,
and the stuck-pipeline healing finds the process.
"""

import contextlib
import logging
import traceback
from dataclasses import dataclass
from typing import Any, Dict, Iterator, Optional, Protocol

from bamboo_engine import states
from bamboo_engine.engine.hooks import notify
from bamboo_engine.eri.models.event import HookType
from bamboo_engine.eri.models.node import Node
from bamboo_engine.exceptions import InvalidOperationError, StateVersionNotMatchError
from bamboo_engine.handler import atomic_step
from bamboo_engine.handlers._common import count_failed
from bamboo_engine.interrupt import InterruptException, is_interrupt_error
from bamboo_engine.metrics import ENGINE_UNEXPECTED_EXCEPTION_COUNT, inc_counter

logger = logging.getLogger("bamboo_engine")

EXECUTE = "execute"
SCHEDULE = "schedule"

# ``outcome`` label values of engine_unexpected_exception_count.
NODE_FAILED = "node_failed"  # the node is FAILED with the traceback, its process asleep
NODE_LEFT = "node_left"  # the node had moved on (stale message) or is not this step's to fail
DROPPED = "dropped"  # no node to fail: the message was dropped
RETRIED = "retried"  # failing the node raised as well: the error went to the task consumer

# A node about to be entered (after a retry, a loop) goes through RUNNING, as the step would have taken it.
_ENTERED_FIRST = frozenset({states.READY, states.LOOP_READY})
_FAIL_HOOKS = {
    EXECUTE: ("node_execute_fail", HookType.NODE_EXECUTE_FAIL),
    SCHEDULE: ("node_schedule_fail", HookType.NODE_SCHEDULE_FAIL),
}


@dataclass
class FailureTarget:
    """What a step knows, when it raised, about the node it was working on.

    Attributes:
        kind: ``"execute"`` or ``"schedule"``: the message kind (label, fail hooks).
        node_id: the node to fail; None when the step has no node it may fail (see ``why_not``).
        version: the state version of the run the step worked on, when known (the step set the node
            RUNNING, or the schedule belongs to it). Unknown: the node was not entered yet.
        own_running: a RUNNING state of unknown version was written by this step itself (its
            ``set_state(RUNNING)`` raised after the write, e.g. in a signal receiver); otherwise a
            RUNNING node of unknown version belongs to another run and is left alone.
        node: the node, if the step had read it.
        sleep_process: the step woke the process (execute): it goes back to sleep whatever happens.
        locked_schedule_id: the schedule whose lock the step holds; released.
        why_not: why there is no node to fail (for the log).
    """

    kind: str
    process_id: int
    node_id: Optional[str]
    root_pipeline_id: str = ""
    parent_pipeline_id: str = ""
    version: Optional[str] = None
    own_running: bool = False
    node: Optional[Node] = None
    sleep_process: bool = False
    locked_schedule_id: Any = None
    why_not: str = ""


def no_target(kind: str, process_id: int, why_not: str) -> FailureTarget:
    """A target without a node: the message is dropped."""
    return FailureTarget(kind=kind, process_id=process_id, node_id=None, why_not=why_not)


class FailsafeStep(Protocol):
    """A step the net can guard: its message kind, its process, and where it stands when it raised."""

    kind: str
    process_id: int

    def failure_target(self) -> FailureTarget:
        """The node to fail now (may read the runtime; a read that fails means "no node")."""
        ...


@contextlib.contextmanager
def failsafe(engine: Any, step: FailsafeStep) -> Iterator[None]:
    """Run ``step``; an unexpected exception fails its node instead of escaping.

    Interrupts pass through: the interrupter already re-sent the message (``InterruptException``), and
    a runtime interrupt error raised outside the interrupter's guard is the task consumer's to retry.
    """
    try:
        yield
    except InterruptException:
        raise
    except Exception as err:
        if is_interrupt_error(engine.runtime, err):
            raise
        fail_step(engine, _target_of(step, err), err)


def _target_of(step: FailsafeStep, err: Exception) -> FailureTarget:
    try:
        return step.failure_target()
    except Exception as describe_err:
        logger.exception("finding the node of a %s step that raised %r failed", step.kind, err)
        return no_target(step.kind, step.process_id, f"finding it raised {describe_err!r}")


def fail_step(engine: Any, target: FailureTarget, err: BaseException) -> None:
    """Apply the rule to one exception that escaped a step (see the module docstring).

    Raises:
        Exception: failing the node raised; that error (chained to ``err``) goes to the task consumer.
    """
    trace = "".join(traceback.format_exception(err))
    if target.node_id is None:
        logger.error(
            "%s message of process %s dropped after an unexpected error (no node to fail: %s):\n%s",
            target.kind,
            target.process_id,
            target.why_not,
            trace,
        )
        _count(target.kind, DROPPED)
        return
    logger.error(
        "%s of node(%s) in process %s raised an unexpected error, failing the node:\n%s",
        target.kind,
        target.node_id,
        target.process_id,
        trace,
    )
    ex_data = (
        f"node({target.node_id}) {target.kind} step raised an unexpected error in process "
        f"{target.process_id}: {err!r}\n{trace}"
    )
    try:
        outcome = _fail_node(engine.runtime, target, ex_data)
    except Exception:
        _count(target.kind, RETRIED)
        logger.error(
            "failing node(%s) of process %s after an unexpected error failed too; the message is left "
            "to the task consumer's retry",
            target.node_id,
            target.process_id,
            exc_info=True,
        )
        raise
    _count(target.kind, outcome)
    if outcome == NODE_FAILED:
        _announce_failure(engine, target)


def drop_undecodable(kind: str, message: Dict[str, Any], err: BaseException) -> None:
    """A message whose arguments cannot be decoded: log its ids at ERROR, count it, drop it."""
    logger.error(
        "%s message %s dropped: it cannot be decoded (%r)",
        kind,
        {key: message.get(key) for key in ("process_id", "node_id", "schedule_id", "callback_data_id")},
        err,
        exc_info=err,
    )
    _count(kind, DROPPED)


def _count(kind: str, outcome: str) -> None:
    inc_counter(ENGINE_UNEXPECTED_EXCEPTION_COUNT, kind=kind, outcome=outcome)


# -- failing the node ---------------------------------------------------------------------------------


def _fail_node(runtime: Any, target: FailureTarget, ex_data: str) -> str:
    """Write the failure (one unit); returns the outcome label."""
    node_id = target.node_id
    assert node_id is not None
    state = runtime.get_state_or_none(node_id)
    refusal = _refusal(state, target)
    if refusal is None:
        outputs = _outputs_with(runtime, node_id, ex_data)
        try:
            with atomic_step(runtime):
                runtime.set_execution_data_outputs(node_id, outputs)
                _set_failed(runtime, target, state)
                runtime.set_current_node(target.process_id, node_id)
                _park(runtime, target)
            return NODE_FAILED
        except (StateVersionNotMatchError, InvalidOperationError) as err:
            refusal = f"it changed meanwhile ({err})"
    logger.warning("node(%s) not failed: %s", node_id, refusal)
    with atomic_step(runtime):
        _park(runtime, target)
    return NODE_LEFT


def _refusal(state: Any, target: FailureTarget) -> Optional[str]:
    """Why the node must not be failed by this step, or None."""
    if state is None:
        return "its state is gone" if target.version is not None else None
    if target.version is not None and state.version != target.version:
        return f"it is now {state.name} at version {state.version}, not the run {target.version} of this step"
    if target.version is None and state.name == states.RUNNING and not target.own_running:
        return "it is RUNNING in another run"
    if target.version is None and state.name in _ENTERED_FIRST:
        return None
    if not states.can_transit(state.name, states.FAILED):
        return f"it is {state.name}"
    return None


def _set_failed(runtime: Any, target: FailureTarget, state: Any) -> None:
    node_id = target.node_id
    if state is None:
        runtime.set_state(
            node_id=node_id,
            to_state=states.FAILED,
            loop=1,
            inner_loop=1,
            root_id=target.root_pipeline_id,
            parent_id=target.parent_pipeline_id,
            set_started_time=True,
            set_archive_time=True,
        )
        return
    version = state.version
    if state.name in _ENTERED_FIRST:
        version = runtime.set_state(
            node_id=node_id,
            to_state=states.RUNNING,
            version=version,
            root_id=target.root_pipeline_id,
            parent_id=target.parent_pipeline_id,
            set_started_time=True,
        )
    runtime.set_state(
        node_id=node_id,
        to_state=states.FAILED,
        version=version,
        refresh_version=True,
        set_archive_time=True,
    )


def _outputs_with(runtime: Any, node_id: str, ex_data: str) -> dict:
    """The node's stored outputs (if readable) with ``ex_data``, as ``forced_fail_activity`` keeps them."""
    try:
        outputs = dict(runtime.get_execution_data_outputs(node_id) or {})
    except Exception:  # noqa: BLE001 - nothing stored yet, or unreadable: ex_data alone says enough
        outputs = {}
    if "_result" in outputs:
        outputs["_result"] = False
    outputs["ex_data"] = ex_data
    return outputs


def _park(runtime: Any, target: FailureTarget) -> None:
    """Give back what the step held: the schedule lock, and the process it woke (asleep again)."""
    if target.locked_schedule_id is not None:
        runtime.release_schedule_lock(target.locked_schedule_id)
    if target.sleep_process:
        runtime.sleep(target.process_id)


def _announce_failure(engine: Any, target: FailureTarget) -> None:
    """Count the failed node and fire the fail hooks that fit the message kind (never raises)."""
    runtime = engine.runtime
    node_id = target.node_id
    node = target.node
    if node is None:
        try:
            node = runtime.get_node(node_id)
        except Exception:  # noqa: BLE001 - the node row may be what failed; count and hooks need it
            logger.warning("node(%s) failed by the net cannot be read: no fail hooks", node_id)
            return
    count_failed(node, target.kind)
    runtime_hook, service_hook = _FAIL_HOOKS[target.kind]
    notify(getattr(runtime, runtime_hook), target.root_pipeline_id, node_id)
    engine.hook_dispatch(target.parent_pipeline_id, target.root_pipeline_id, node_id, service_hook, node=node)
