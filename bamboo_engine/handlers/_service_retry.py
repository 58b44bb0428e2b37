"""The ServiceActivity handler's half of a ``retry_policy``: after a failure, plan and send the retry.

The policy itself (which failures, how many attempts, which delay) is :mod:`bamboo_engine.retry_policy`;
the other half, running the retry when its message falls due, is the engine's node entry
(:mod:`bamboo_engine.engine.node_entry`).
"""

import logging
from dataclasses import dataclass
from typing import Any, Dict, Optional

from bamboo_engine.eri.models.node import ServiceActivity
from bamboo_engine.eri.models.runtime import ExecutionData, ProcessInfo
from bamboo_engine.metrics import (
    ENGINE_NODE_RETRY_EXHAUSTED_COUNT,
    ENGINE_NODE_RETRY_SCHEDULED_COUNT,
    inc_counter,
)
from bamboo_engine.retry_policy import AUTO_RETRY_HEADER, PENDING_KEY, attempt_of, pending_record

logger = logging.getLogger("bamboo_engine")


@dataclass(frozen=True)
class PlannedRetry:
    """A failed attempt the engine retries: ``record`` is what its outputs carry under ``PENDING_KEY``."""

    record: Dict[str, Any]

    @property
    def delay(self) -> float:
        return float(self.record["delay_seconds"])

    @property
    def next_attempt(self) -> int:
        return int(self.record["next_attempt"])


def plan_retry(
    runtime, node: ServiceActivity, execution_data: ExecutionData, raised: bool
) -> Optional[PlannedRetry]:
    """Whether the node's failure just recorded in ``execution_data`` is retried; marks its outputs if so.

    Called once the failure is decided (not error-ignored) and before its results are written, so the
    pending retry is stored with the FAILED state in one unit. Attempts used up are counted here.
    """
    policy = node.retry_policy
    if policy is None:
        return None
    attempt = attempt_of(execution_data.inputs)
    if not policy.retries(attempt, raised):
        if attempt >= policy.max_attempts:
            inc_counter(ENGINE_NODE_RETRY_EXHAUSTED_COUNT, code=node.code)
            logger.info(
                "node(%s) failed attempt %s of %s: no attempt left", node.id, attempt, policy.max_attempts
            )
        return None
    if not runtime.DELAYED_EXECUTE:
        logger.warning(
            "node(%s) has a retry_policy but the runtime %s can not send delayed messages: not retried",
            node.id,
            type(runtime).__name__,
        )
        return None
    record = pending_record(policy, attempt)
    execution_data.outputs[PENDING_KEY] = record
    return PlannedRetry(record)


def send_retry(runtime, process_info: ProcessInfo, node_id: str, version: str, retry: PlannedRetry) -> None:
    """Inside the unit of the FAILED state: the process asleep and the delayed message that retries it.

    Asleep implies sent, as for a schedule: a crash takeover finding the process asleep knows its
    message is stored.
    """
    runtime.sleep(process_info.process_id)
    runtime.execute_later(
        process_id=process_info.process_id,
        node_id=node_id,
        root_pipeline_id=process_info.root_pipeline_id,
        parent_pipeline_id=process_info.top_pipeline_id,
        countdown=retry.delay,
        headers={AUTO_RETRY_HEADER: {"node_id": node_id, "version": version, "attempt": retry.next_attempt}},
    )


def count_retry(node: ServiceActivity, retry: PlannedRetry) -> None:
    """A retry was stored with its failure: count and log it."""
    inc_counter(ENGINE_NODE_RETRY_SCHEDULED_COUNT, code=node.code)
    logger.info(
        "node(%s) failed attempt %s of %s: retried in %ss",
        node.id,
        retry.record["attempt"],
        retry.record["max_attempts"],
        retry.delay,
    )
