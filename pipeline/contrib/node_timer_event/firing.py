"""What happens when a timer fires; plain Python (the app passes the Django runtime, pool and ledger)."""

import logging
import time
from typing import Any, Callable, Dict, Optional

from pipeline.contrib.deadlines.ledger import FiringLedger
from pipeline.contrib.deadlines.pool import DeadlinePool
from pipeline.contrib.deadlines.rules import stale_reason
from pipeline.contrib.node_timer_event.adapter import NodeTimerEventBaseAdapter
from pipeline.contrib.node_timer_event.constants import TimerType
from pipeline.contrib.node_timer_event.handlers import ActionManager
from pipeline.contrib.node_timer_event.utils import next_cycle_due

logger = logging.getLogger(__name__)


def _result(result: bool, message: str) -> Dict[str, Any]:
    return {"result": result, "message": message, "data": None}


def _arm_next_cycle(pool: DeadlinePool, ledger: FiringLedger, adapter, event, member, due, now) -> None:
    """A cycle's next firing, while it has repetitions left (this firing is already in the ledger)."""
    repetitions = event.get("repetitions")
    if repetitions is not None and ledger.count(member) >= repetitions:
        return
    pool.arm(adapter.node_id, [(member, next_cycle_due(event["defined"], due, now))])


def fire_timer_event(
    runtime: Any,
    ledger: FiringLedger,
    pool: DeadlinePool,
    adapter: NodeTimerEventBaseAdapter,
    index: int,
    due: Optional[float],
    clock: Callable[[], float] = time.time,
) -> Dict[str, Any]:
    """Run the action of timer ``index`` of the adapter's run, once per firing, if that run still runs.

    A cycle arms its next firing first (so that an action that fails the node also disarms it).

    Returns:
        ``{"result": <the action's result>, ...}``, or ``{"result": False, "message": why not}``.
    """
    node_id, version = adapter.node_id, adapter.version
    # a project's adapter may set only ``events``
    by_index = adapter.index__event_map or {event["index"]: event for event in adapter.events or []}
    event = by_index.get(index) if adapter.is_ready() else None
    if event is None:
        message = f"no timer config: node_id -> {node_id}, version -> {version}, index -> {index}"
        logger.error("[node_timer_event] %s", message)
        return _result(False, message)
    member = adapter.get_event_key(event)
    with ledger.firing(member, due) as first:
        if not first:
            return _result(False, f"timer {member} due at {due} already fired")
        reason = stale_reason(runtime, node_id, version)
        if reason:
            logger.info("[node_timer_event] timer %s dropped: %s", member, reason)
            return _result(False, reason)
        if event.get("timer_type") == TimerType.TIME_CYCLE.value:
            _arm_next_cycle(pool, ledger, adapter, event, member, due, clock())
        try:
            root_pipeline_id = adapter.root_pipeline_id or ""
            action = ActionManager.get_action(root_pipeline_id, node_id, version, event["action"])
            action.runtime = runtime
            is_success = bool(action.notify())
        except Exception as err:
            logger.exception("[node_timer_event] action %s of timer %s failed", event.get("action"), member)
            return _result(False, f"{type(err).__name__}: {err}")
        logger.info("[node_timer_event] action %s of timer %s: %s", event["action"], member, is_success)
        return _result(is_success, "success" if is_success else f"action {event['action']} returned False")
