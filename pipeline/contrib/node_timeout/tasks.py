"""Celery tasks of ``pipeline.contrib.node_timeout`` (names as upstream's, plus the beat task)."""

import json
import logging
from typing import Optional

from celery import shared_task

from pipeline.contrib.deadlines.backends import send
from pipeline.contrib.node_timeout.firing import fire_timeout, parse_timeout_member
from pipeline.contrib.node_timeout.models import TimeoutNodesRecord
from pipeline.contrib.node_timeout.scanning import HANDLE_TASK, run_pass
from pipeline.contrib.node_timeout.settings import node_timeout_settings
from pipeline.contrib.node_timeout.wiring import load_node_config, timeout_ledger
from pipeline.eri.runtime import BambooDjangoRuntime

logger = logging.getLogger(__name__)


@shared_task(
    name="pipeline.contrib.node_timeout.tasks.dispatch_timeout_nodes", acks_late=True, ignore_result=True
)
def dispatch_timeout_nodes(record_id: int) -> None:
    """Send one ``execute_node_timeout_strategy`` per timeout of a record, then delete the record.

    Redelivered after a crash, it sends them again: the ledger makes the repeats do nothing.
    """
    record = TimeoutNodesRecord.objects.filter(id=record_id).first()
    if record is None:
        logger.warning("[node_timeout] record %s is gone (already dispatched)", record_id)
        return
    for item in json.loads(record.timeout_nodes):
        member, due = (item, None) if isinstance(item, str) else item
        try:
            node_id, version = parse_timeout_member(member)
        except ValueError:
            logger.error("[node_timeout] record %s: skipped %r, not a node timeout member", record_id, member)
            continue
        send(
            HANDLE_TASK,
            {"node_id": node_id, "version": version, "due": due},
            node_timeout_settings.handle_queue,
        )
    record.delete()


@shared_task(
    name="pipeline.contrib.node_timeout.tasks.execute_node_timeout_strategy",
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
)
def execute_node_timeout_strategy(node_id: str, version: str, due: Optional[float] = None) -> dict:
    """Apply the node's timeout strategy if the run that armed the timeout still runs (once)."""
    return fire_timeout(
        runtime=BambooDjangoRuntime(),
        ledger=timeout_ledger(),
        handlers=node_timeout_settings.handler,
        node_id=node_id,
        version=version,
        due=due,
        config=load_node_config(node_id),
    )


@shared_task(name="pipeline.contrib.node_timeout.tasks.scan_node_timeout_pool", ignore_result=True)
def scan_node_timeout_pool() -> int:
    """One scanner pass, for Celery beat instead of ``start_node_timeout_process``; returns how many fired."""
    return run_pass().dispatched
