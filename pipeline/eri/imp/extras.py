"""Runtime extras beyond the ERI: broker queue declaration and plain node logs."""

import logging
from typing import Optional

from pipeline.conf import settings
from pipeline.eri.models import ExecutionHistory, LogEntry, State

logger = logging.getLogger(__name__)


def declare_queues(name: str, routing_key: Optional[str] = "") -> None:
    """Declare the execute and schedule queues of queue suffix ``name`` on ``BROKER_URL``.

    Each queue is bound with the routing key the runtime sends its messages with (its own name, see
    ``QueueResolver``), whatever ``routing_key`` says: a queue bound with another key would never
    receive them, and one key shared by both queues would copy every message into both.
    """
    from kombu import Connection

    from pipeline.eri.celery.queues import QueueResolver

    declared = QueueResolver(name).queues()
    if routing_key and routing_key not in {queue.routing_key for queue in declared}:
        logger.warning(
            "add_queue(%r, routing_key=%r): routing_key ignored, the queues are bound with the keys "
            "their messages are sent with (%s)",
            name,
            routing_key,
            ", ".join(queue.routing_key for queue in declared),
        )
    with Connection(settings.BROKER_URL) as connection:
        channel = connection.default_channel
        for queue in declared:
            queue(channel).declare()


def move_node_log(node_id: str, old_version: str, new_version: str) -> int:
    """File the log lines of run ``old_version`` of ``node_id`` under ``new_version``; returns how many.

    ``forced_fail_activity`` gives the state a new version; without the move, the plain log of the node
    (read by its current version) would lose what the failed run wrote.
    """
    return LogEntry.objects.filter(node_id=node_id, version=old_version).update(version=new_version)


def _run_version(node_id: str, history_id: int, version: Optional[str]) -> Optional[str]:
    if version:
        return version
    if history_id != -1:
        return ExecutionHistory.objects.filter(id=history_id).values_list("version", flat=True).first()
    return State.objects.filter(node_id=node_id).values_list("version", flat=True).first()


def plain_log_for_node(node_id: str, history_id: int = -1, version: Optional[str] = None) -> str:
    """The stored log messages of one run of ``node_id``, one per line, oldest first."""
    run_version = _run_version(node_id, history_id, version)
    if run_version is None:
        return ""
    messages = (
        LogEntry.objects.filter(node_id=node_id, version=run_version)
        .order_by("id")
        .values_list("message", flat=True)
    )
    return "\n".join(message or "" for message in messages)
