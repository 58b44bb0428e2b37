"""Celery tasks of ``pipeline.contrib.node_timer_event`` (names as upstream's, plus the beat task)."""

import json
import logging
from typing import Optional

from celery import shared_task

from pipeline.contrib.deadlines.backends import send
from pipeline.contrib.node_timer_event.firing import fire_timer_event
from pipeline.contrib.node_timer_event.models import ExpiredNodesRecord
from pipeline.contrib.node_timer_event.scanning import HANDLE_TASK, run_pass
from pipeline.contrib.node_timer_event.settings import node_timer_event_settings
from pipeline.contrib.node_timer_event.wiring import timer_ledger, timer_pool
from pipeline.eri.runtime import BambooDjangoRuntime

logger = logging.getLogger(__name__)


@shared_task(
    name="pipeline.contrib.node_timer_event.tasks.dispatch_expired_nodes", acks_late=True, ignore_result=True
)
def dispatch_expired_nodes(record_id: int) -> None:
    """Send one ``execute_node_timer_event_action`` per timer of a record, then delete the record.

    Redelivered after a crash, it sends them again: the ledger makes the repeats do nothing.
    """
    record = ExpiredNodesRecord.objects.filter(id=record_id).first()
    if record is None:
        logger.warning("[node_timer_event] record %s is gone (already dispatched)", record_id)
        return
    adapter_class = node_timer_event_settings.adapter_class
    for item in json.loads(record.nodes):
        member, due = (item, None) if isinstance(item, str) else item
        try:
            key_info = adapter_class.parse_event_key(member)
        except ValueError:
            logger.warning("[node_timer_event] record %s: skipped %r, not a timer member", record_id, member)
            continue
        kwargs = {"node_id": key_info["node_id"], "version": key_info["version"], "index": key_info["index"]}
        send(HANDLE_TASK, {**kwargs, "due": due}, node_timer_event_settings.handle_queue)
    record.delete()


@shared_task(
    name="pipeline.contrib.node_timer_event.tasks.execute_node_timer_event_action",
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
)
def execute_node_timer_event_action(
    node_id: str, version: str, index: int, due: Optional[float] = None
) -> dict:
    """Run the timer's action if the run that armed it still runs (once per firing)."""
    adapter = node_timer_event_settings.adapter_class(node_id=node_id, version=version)
    return fire_timer_event(
        runtime=BambooDjangoRuntime(),
        ledger=timer_ledger(),
        pool=timer_pool(),
        adapter=adapter,
        index=int(index),
        due=due,
    )


@shared_task(name="pipeline.contrib.node_timer_event.tasks.scan_node_timer_event_pool", ignore_result=True)
def scan_node_timer_event_pool() -> int:
    """One scanner pass, for Celery beat instead of ``start_node_timer_event_process``.

    Returns:
        how many timers it dispatched.
    """
    return run_pass().dispatched
