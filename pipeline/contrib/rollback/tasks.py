"""The Celery task of rollback messages; the walk is ``bamboo_engine.rollback.runner``.

Sent to ``settings.ROLLBACK_QUEUE`` by the Django runtime (``pipeline/eri/imp/rollback.py``), with the
keyword arguments of upstream's task of the same name. Acknowledged after it ran and re-queued if the
worker process dies: the walk records its progress, so a redelivery goes on where the last one stopped.
Database errors are retried by Celery for the same reason.
"""

from typing import Any

from celery import shared_task
from django.db import InterfaceError, InternalError, OperationalError

from bamboo_engine.rollback.constants import START_FLAG
from pipeline.contrib.rollback.queues import ROLLBACK_TASK_NAME
from pipeline.eri.runtime import BambooDjangoRuntime

_DELIVERY = {
    "ignore_result": True,
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (OperationalError, InternalError, InterfaceError),
    "retry_backoff": True,
    "max_retries": 10,
}


@shared_task(name=ROLLBACK_TASK_NAME, **_DELIVERY)
def token_rollback(
    snapshot_id: Any, node_id: str = START_FLAG, retry: bool = False, retry_data: Any = None
) -> None:
    """Walk the rollback ``snapshot_id`` (from ``node_id`` with ``retry_data`` when ``retry``)."""
    BambooDjangoRuntime().run_rollback_message(
        snapshot_id, node_id=node_id, retry=retry, retry_data=retry_data
    )
