"""Message fencing: a message says where its process stood when it was sent, and is dropped when that
no longer holds.

Off by default. Two settings of :class:`bamboo_engine.config.Settings`:

* ``FENCE_EMIT_ENABLED``: every execute and POLL schedule message carries a ``"fence"`` header. An
  execute message records the process's current node and that node's state version (``from_node``,
  ``from_version``; no state: ``None``); a schedule message records the schedule's ``times``.
* ``FENCE_ENFORCE``: a received message whose fence no longer matches is dropped. Without it a mismatch
  is only logged and counted (``engine_fence_drop`` with ``enforced="False"``), so the effect of
  enforcing can be watched first.

What it adds to the runtime's delivery claims (which drop a second delivery of one message): two
*different* messages for the same step, for instance a healer's re-dispatch and the original message
that was merely late. Whichever runs first moves the process (a new current node or a new state
version) or counts the poll; the other one then finds its fence stale. Messages the engine re-sends
itself after an interrupt (they carry a recover point) and callbacks (each carries its own data) are not
checked. Cost when on: two reads per execute message sent and received, one per POLL message.
"""

import logging
from dataclasses import dataclass
from typing import Any, Optional

from bamboo_engine.config import Settings
from bamboo_engine.exceptions import NotFoundError
from bamboo_engine.metrics import ENGINE_FENCE_DROP, labelled

logger = logging.getLogger(__name__)

FENCE_HEADER = "fence"
KIND_EXECUTE = "execute"
KIND_SCHEDULE = "schedule"
REASON_VERSION_MISMATCH = "version_mismatch"
REASON_PROCESS_MOVED = "process_moved"
REASON_SCHEDULE_TIMES_MISMATCH = "schedule_times_mismatch"


@dataclass(frozen=True)
class ExecuteFence:
    """Where the process stood when the execute message was sent."""

    from_node: str
    from_version: Optional[str]

    def to_dict(self) -> dict:
        return {"kind": KIND_EXECUTE, "from_node": self.from_node, "from_version": self.from_version}


@dataclass(frozen=True)
class ScheduleFence:
    """How many polls the schedule had run when the schedule message was sent."""

    schedule_times: int

    def to_dict(self) -> dict:
        return {"kind": KIND_SCHEDULE, "schedule_times": self.schedule_times}


def emit_enabled() -> bool:
    return bool(Settings.FENCE_EMIT_ENABLED)


def enforce_enabled() -> bool:
    return bool(Settings.FENCE_ENFORCE)


def _raw_fence(headers: Optional[dict], kind: str) -> Optional[dict]:
    fence = (headers or {}).get(FENCE_HEADER)
    return fence if isinstance(fence, dict) and fence.get("kind") == kind else None


def read_execute_fence(headers: Optional[dict]) -> Optional[ExecuteFence]:
    """The execute fence of a message's headers; None when it has none (or an unreadable one)."""
    fence = _raw_fence(headers, KIND_EXECUTE)
    if fence is None or not isinstance(fence.get("from_node"), str):
        return None
    version = fence.get("from_version")
    return ExecuteFence(fence["from_node"], version if isinstance(version, str) else None)


def read_schedule_fence(headers: Optional[dict]) -> Optional[ScheduleFence]:
    """The schedule fence of a message's headers; None when it has none (or an unreadable one)."""
    fence = _raw_fence(headers, KIND_SCHEDULE)
    times = fence.get("schedule_times") if fence is not None else None
    return ScheduleFence(times) if isinstance(times, int) and not isinstance(times, bool) else None


def execute_fence_of(runtime: Any, process_id: int) -> ExecuteFence:
    """The fence an execute message for ``process_id`` carries now (``""``: the process has no node yet)."""
    node_id = runtime.get_current_node_id(process_id) or ""
    state = runtime.get_state_or_none(node_id) if node_id else None
    return ExecuteFence(node_id, state.version if state is not None else None)


def schedule_fence_of(runtime: Any, schedule_id: Any) -> Optional[ScheduleFence]:
    """The fence a schedule message for ``schedule_id`` carries now (None: no such schedule)."""
    try:
        return ScheduleFence(runtime.get_schedule(schedule_id).times)
    except NotFoundError:
        return None


def dispatch_headers(headers: Optional[dict], token: Any = None) -> dict:
    """``headers`` with ``token``'s fence added when emitting is on (a copy; the input is not changed).

    Headers that already carry a fence keep it: a message re-sent unchanged (a callback lock retry) still
    stands for the step it was first sent for.
    """
    result = dict(headers or {})
    if token is not None and emit_enabled() and FENCE_HEADER not in result:
        result[FENCE_HEADER] = token.to_dict()
    return result


def record_drop(kind: str, reason: str, enforced: bool, **context: Any) -> None:
    """Log and count a stale message (dropped when ``enforced``, else only observed)."""
    labelled(ENGINE_FENCE_DROP, kind=kind, reason=reason, enforced=str(enforced)).inc()
    logger.warning(
        "%s message with a stale fence (%s)%s: %s",
        kind,
        reason,
        " dropped" if enforced else " run anyway (FENCE_ENFORCE is off)",
        context,
    )


def claim_execute(runtime: Any, process_id: int, token: ExecuteFence) -> Optional[str]:
    """Why an execute message fenced with ``token`` is stale now, or None when it still holds."""
    if (runtime.get_current_node_id(process_id) or "") != token.from_node:
        return REASON_PROCESS_MOVED
    state = runtime.get_state_or_none(token.from_node) if token.from_node else None
    if (state.version if state is not None else None) != token.from_version:
        return REASON_VERSION_MISMATCH
    return None


def claim_schedule(runtime: Any, schedule_id: Any, token: ScheduleFence) -> Optional[str]:
    """Why a schedule message fenced with ``token`` is stale now, or None when it still holds.

    A schedule that does not exist is left to the engine, which drops such a message itself.
    """
    try:
        times = runtime.get_schedule(schedule_id).times
    except NotFoundError:
        return None
    return REASON_SCHEDULE_TIMES_MISMATCH if times != token.schedule_times else None


def _recovering(recover_point: Any) -> bool:
    return recover_point not in (None, "", "{}", {})


def _stale_reason(runtime: Any, claim: Any, *args: Any) -> Optional[str]:
    # The check runs before the engine and its interrupt handling: a storage error here lets the message
    # run unfenced, and the engine meets the same error on its first read and handles it as usual.
    try:
        return claim(runtime, *args)
    except runtime.interrupt_errors():
        logger.warning("fence not checked: storage error", exc_info=True)
        return None


def admit_execute(
    runtime: Any, process_id: int, node_id: str, recover_point: Any, headers: Optional[dict]
) -> bool:
    """Whether a received execute message runs (False only when its fence is stale and enforced)."""
    token = read_execute_fence(headers)
    if token is None or _recovering(recover_point):
        return True
    return _admit(runtime, KIND_EXECUTE, claim_execute, token, node_id, process_id=process_id)


def admit_schedule(
    runtime: Any,
    schedule_id: Any,
    node_id: str,
    callback_data_id: Any,
    recover_point: Any,
    headers: Optional[dict],
) -> bool:
    """Whether a received schedule message runs (False only when its fence is stale and enforced)."""
    token = read_schedule_fence(headers)
    if token is None or callback_data_id is not None or _recovering(recover_point):
        return True
    return _admit(runtime, KIND_SCHEDULE, claim_schedule, token, node_id, schedule_id=schedule_id)


def _admit(runtime: Any, kind: str, claim: Any, token: Any, node_id: str, **target: Any) -> bool:
    """Check a fenced message's token against its one ``target`` (process or schedule id); a stale one is
    recorded, and dropped when enforcement is on."""
    [target_id] = target.values()
    reason = _stale_reason(runtime, claim, target_id, token)
    if reason is None:
        return True
    enforced = enforce_enabled()
    record_drop(kind, reason, enforced, node_id=node_id, fence=token, **target)
    return not enforced
