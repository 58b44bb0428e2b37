"""What arms a timeout and what happens when it fires; plain Python (the apps pass the Django pieces).

Members are upstream's ``"<node_id>_<version>"``: one per run of a node.
"""

import logging
from typing import Any, Dict, List, Mapping, Optional, Tuple

from pipeline.contrib.deadlines.ledger import FiringLedger
from pipeline.contrib.deadlines.pool import Deadline
from pipeline.contrib.deadlines.rules import stale_reason

logger = logging.getLogger(__name__)


def timeout_member(node_id: str, version: str) -> str:
    return f"{node_id}_{version}"


def parse_timeout_member(member: str) -> Tuple[str, str]:
    """``(node_id, version)`` of a member (versions never contain ``_``, node ids may).

    Raises:
        ValueError: ``member`` has no ``_``.
    """
    node_id, separator, version = member.rpartition("_")
    if not separator or not node_id or not version:
        raise ValueError(f"not a node timeout member: {member!r}")
    return node_id, version


def timeout_deadlines(node_id: str, version: str, config: Tuple[str, int], now: float) -> List[Deadline]:
    """The deadline a RUNNING node gets: ``config`` is ``(action, seconds)``."""
    return [(timeout_member(node_id, version), now + config[1])]


def _result(result: bool, message: str, data: Any = None) -> dict:
    return {"result": result, "message": message, "data": data}


def fire_timeout(
    runtime: Any,
    ledger: FiringLedger,
    handlers: Mapping[str, Any],
    node_id: str,
    version: str,
    due: Optional[float],
    config: Optional[Tuple[str, int]],
) -> Dict[str, Any]:
    """Apply the node's strategy, once per run, if the run that armed the deadline still runs.

    Args:
        runtime: the ERI runtime the strategy acts through.
        ledger: records that this firing acted.
        handlers: action name → strategy (``PIPELINE_NODE_TIMEOUT_HANDLER``).
        due: when the deadline fell due (identifies the firing; None for a manual call).
        config: ``(action, seconds)`` of the node, None if it has none.

    Returns:
        the strategy's result dict, or ``{"result": False, "message": why nothing was done}``.
    """
    if config is None:
        logger.error("[node_timeout] node %s version %s has no timeout config", node_id, version)
        return _result(False, f"no timeout config with node {node_id} and version {version}")
    action, seconds = config
    with ledger.firing(timeout_member(node_id, version), due) as first:
        if not first:
            return _result(False, f"the timeout of node {node_id} version {version} already fired")
        reason = stale_reason(runtime, node_id, version)
        if reason:
            logger.info("[node_timeout] timeout of node %s version %s dropped: %s", node_id, version, reason)
            return _result(False, reason)
        handler = handlers.get(action)
        if handler is None:
            message = f"node {node_id}: timeout action {action!r} is not one of {sorted(handlers)}"
            logger.error("[node_timeout] %s", message)
            return _result(False, message)
        try:
            outcome = handler.deal_with_timeout_node(
                node_id, runtime=runtime, timeout=seconds, version=version
            )
        except Exception as err:
            logger.exception(
                "[node_timeout] action %s on node %s version %s failed", action, node_id, version
            )
            return _result(False, f"{type(err).__name__}: {err}")
        logger.info("[node_timeout] %s on node %s version %s: %s", action, node_id, version, outcome)
        return outcome
