"""Automatic retry of a failed ServiceActivity: the ``retry_policy`` of the tree and its one rule.

A ServiceActivity may carry ``retry_policy``::

    {"max_attempts": 3, "interval_seconds": 10, "backoff_coefficient": 2.0,
     "max_interval_seconds": 60, "retry_on": "both"}

``max_attempts`` counts the first run. After failed attempt ``k`` (``k < max_attempts``) the engine
retries the node after ``min(interval_seconds * backoff_coefficient ** (k - 1), max_interval_seconds)``
seconds, exactly as ``retry_node`` would (a history row, a new version, the same inputs), by a delayed
execute message. What the policy means is here, so the in-memory and the Django runtime (and the
validator, the builder and the admin) read one definition; the handler
(``bamboo_engine.handlers._service_retry``) applies it to a failure, and the node entry
(``bamboo_engine.engine.node_entry``) runs the retry when its message falls due.

The bookkeeping travels with the node's own rows, nothing else is stored:

* the attempt a run is (1 for a run not started by the policy) is the service input ``_attempt`` (saved
  with the execution inputs, as ``_loop`` is);
* a failed attempt that will be retried carries :data:`PENDING_KEY` in its outputs
  (``{"attempt", "max_attempts", "next_attempt", "delay_seconds"}``); the control calls that cancel
  the retry without giving the node a new version (a forced failure, a pause) remove it;
* the delayed message carries header :data:`AUTO_RETRY_HEADER` (``{"node_id", "version", "attempt"}``):
  it retries the node only if the node is still FAILED at that version with that pending attempt (a
  manual retry or a skip gave it a new version), and its root was not revoked meanwhile.
"""

import math
from dataclasses import asdict, dataclass
from typing import Any, Dict, Mapping, Optional

from bamboo_engine.exceptions import TreeInvalidException

__all__ = [
    "RetryPolicy",
    "parse_retry_policy",
    "ATTEMPT_KEY",
    "PENDING_KEY",
    "AUTO_RETRY_HEADER",
    "RETRY_ON_FAIL",
    "RETRY_ON_EXCEPTION",
    "RETRY_ON_BOTH",
    "pending_retry",
    "auto_retry_header_for",
    "attempt_label",
]

#: The service input holding the attempt number (1 = the first run).
ATTEMPT_KEY = "_attempt"
#: The output of a failed attempt that the engine will retry (removed when the retry is cancelled).
PENDING_KEY = "_retry_pending"
#: The header of the delayed execute message that runs the retry.
AUTO_RETRY_HEADER = "auto_retry"

RETRY_ON_FAIL = "fail"
RETRY_ON_EXCEPTION = "exception"
RETRY_ON_BOTH = "both"
_RETRY_ON = (RETRY_ON_FAIL, RETRY_ON_EXCEPTION, RETRY_ON_BOTH)
_KEYS = ("max_attempts", "interval_seconds", "backoff_coefficient", "max_interval_seconds", "retry_on")


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how soon the engine retries a failed ServiceActivity.

    Also the builder helper: ``ServiceActivity(component_code=..., retry_policy=RetryPolicy(3, 5))``.
    Values are checked when the policy is built, with the same messages the validator gives for a tree.

    Attributes:
        max_attempts: runs in all, the first one included (1 = never retried).
        interval_seconds: delay before the first retry (> 0).
        backoff_coefficient: each further delay is the previous one times this (>= 1).
        max_interval_seconds: cap on a delay; None = no cap.
        retry_on: which failures are retried: ``"fail"`` (the service returned False, or its data
            could not be stored), ``"exception"`` (the service raised) or ``"both"``.
    """

    max_attempts: int
    interval_seconds: float
    backoff_coefficient: float = 2.0
    max_interval_seconds: Optional[float] = None
    retry_on: str = RETRY_ON_BOTH

    def __post_init__(self) -> None:
        problem = _problem(self)
        if problem:
            raise TreeInvalidException(f"retry_policy: {problem}")

    def to_dict(self) -> Dict[str, Any]:
        """The tree form (``max_interval_seconds`` omitted when there is no cap)."""
        value = asdict(self)
        if value["max_interval_seconds"] is None:
            del value["max_interval_seconds"]
        return value

    def delay_after(self, attempt: int) -> float:
        """Seconds between failed attempt ``attempt`` (1-based) and the next one."""
        delay = self.interval_seconds * self.backoff_coefficient ** (attempt - 1)
        if self.max_interval_seconds is not None:
            delay = min(delay, self.max_interval_seconds)
        return float(delay)

    def retries(self, attempt: int, raised: bool) -> bool:
        """Whether failed attempt ``attempt`` is retried; ``raised``: the service raised (not returned)."""
        if attempt >= self.max_attempts:
            return False
        if self.retry_on == RETRY_ON_BOTH:
            return True
        return self.retry_on == (RETRY_ON_EXCEPTION if raised else RETRY_ON_FAIL)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _problem(policy: RetryPolicy) -> Optional[str]:
    """What is wrong with ``policy``'s values, or None."""
    max_attempts = policy.max_attempts
    if not isinstance(max_attempts, int) or isinstance(max_attempts, bool) or max_attempts < 1:
        return f"max_attempts must be an integer >= 1, got {max_attempts!r}"
    if not _is_number(policy.interval_seconds) or policy.interval_seconds <= 0:
        return f"interval_seconds must be a number > 0, got {policy.interval_seconds!r}"
    if not _is_number(policy.backoff_coefficient) or policy.backoff_coefficient < 1:
        return f"backoff_coefficient must be a number >= 1, got {policy.backoff_coefficient!r}"
    cap = policy.max_interval_seconds
    if cap is not None and (not _is_number(cap) or cap < policy.interval_seconds):
        return f"max_interval_seconds must be a number >= interval_seconds, got {cap!r}"
    if policy.retry_on not in _RETRY_ON:
        return f"retry_on must be one of {', '.join(_RETRY_ON)}, got {policy.retry_on!r}"
    return None


def parse_retry_policy(value: Any, node_id: str) -> Optional[RetryPolicy]:
    """The policy of the tree's ``retry_policy`` value of node ``node_id`` (None: no policy).

    Raises:
        TreeInvalidException: the value is not a valid policy; the message names the node.
    """
    if value is None:
        return None
    if isinstance(value, RetryPolicy):
        return value
    if not isinstance(value, Mapping):
        raise TreeInvalidException(f"activity({node_id}) retry_policy must be an object, got {value!r}")
    unknown = sorted(set(value) - set(_KEYS))
    if unknown:
        raise TreeInvalidException(f"activity({node_id}) retry_policy has unknown keys {unknown}")
    for key in ("max_attempts", "interval_seconds"):
        if key not in value:
            raise TreeInvalidException(f"activity({node_id}) retry_policy needs {key}")
    try:
        return RetryPolicy(**value)
    except TreeInvalidException as err:
        raise TreeInvalidException(f"activity({node_id}) {err}") from None


def check_retry_policy_node(node: Mapping[str, Any], node_type: str) -> RetryPolicy:
    """The validator's check of a tree node carrying ``retry_policy``; returns the policy.

    Only a ServiceActivity runs a service to retry. A node that loops (``loop_config``) is refused: an
    automatic retry would re-run the failed iteration without taking its output out of the aggregated
    loop outputs, which ``retry_node(loop_retry=True)`` does.

    Raises:
        TreeInvalidException: naming the node and the problem.
    """
    node_id = node.get("id", "?")
    if node_type != "ServiceActivity":
        raise TreeInvalidException(
            f"{node_type}({node_id}) can not have a retry_policy (service activities only)"
        )
    if (node.get("loop_config") or {}).get("enable"):
        raise TreeInvalidException(f"activity({node_id}) can not have both a retry_policy and a loop_config")
    policy = parse_retry_policy(node["retry_policy"], node_id)
    assert policy is not None
    return policy


def pending_retry(outputs: Optional[Mapping[str, Any]]) -> Optional[Dict[str, Any]]:
    """The pending retry recorded in a failed attempt's ``outputs``, or None."""
    pending = (outputs or {}).get(PENDING_KEY)
    return pending if isinstance(pending, dict) else None


def pending_record(policy: RetryPolicy, attempt: int) -> Dict[str, Any]:
    """What a failed attempt ``attempt`` that will be retried records in its outputs.

    The retry is due ``delay_seconds`` after the failure (the state's ``archived_time``).
    """
    return {
        "attempt": attempt,
        "max_attempts": policy.max_attempts,
        "next_attempt": attempt + 1,
        "delay_seconds": policy.delay_after(attempt),
    }


def auto_retry_header_for(headers: Optional[Mapping[str, Any]], node_id: str) -> Optional[Dict[str, Any]]:
    """The :data:`AUTO_RETRY_HEADER` of a message if it is about ``node_id``, else None."""
    header = (headers or {}).get(AUTO_RETRY_HEADER)
    if isinstance(header, dict) and header.get("node_id") == node_id:
        return header
    return None


def attempt_label(
    policy: Optional[RetryPolicy], inputs: Optional[Mapping[str, Any]], outputs: Optional[Mapping[str, Any]]
) -> str:
    """``"attempt k of n"`` (plus the pending retry of a failed attempt) for operators; "" without a policy.

    Args:
        inputs, outputs: the node's current execution data (its last run).
    """
    if policy is None:
        return ""
    label = f"attempt {attempt_of(inputs)} of {policy.max_attempts}"
    pending = pending_retry(outputs)
    if pending is not None:
        label += f", attempt {pending['next_attempt']} due {pending['delay_seconds']:g} s after the failure"
    return label


def attempt_of(inputs: Optional[Mapping[str, Any]]) -> int:
    """The attempt number saved with a run's execution inputs (1 when absent)."""
    value = (inputs or {}).get(ATTEMPT_KEY, 1)
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 1 else 1
