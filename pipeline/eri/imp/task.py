"""TaskMixin: Celery as the transport of the shared message rules (``bamboo_engine.eri.rules.task``).

Messages use keyword arguments only and go to the run's queue with the run's priority. They are sent
after the surrounding transaction commits (``transaction.on_commit``), so a rolled-back transaction never
emits one; outside a transaction they are sent at once. Each message carries in its headers:

* ``route_info`` (queue, priority) and ``timestamp`` (send time, plus the countdown of delayed ones);
* ``delivery_token``: unique per send; the consumer claims it before running the engine so that a
  duplicate delivery of the same message changes nothing (docs/delivery.md).
"""

import logging
import uuid
from typing import Any, Dict, Optional

from django.db import transaction

from bamboo_engine.eri.rules.task import EXECUTE, SCHEDULE, TaskRules
from pipeline.eri.celery.queues import EXECUTE_TASK_NAME, SCHEDULE_TASK_NAME, QueueResolver
from pipeline.eri.imp.storage import StorageMixin

logger = logging.getLogger(__name__)

DELIVERY_TOKEN_HEADER = "delivery_token"

_REPR_LIMIT = 1024


def publish(task_name: str, kwargs: Dict[str, Any], options: Dict[str, Any]) -> None:
    """Send one message through Celery (tests replace this function to capture messages).

    A failed send is retried once.
    """
    from celery import current_app

    # Celery would build these for monitoring with its generic ``saferepr`` (~2 % of a worker's CPU in
    # the 17x100 benchmark); the kwargs are a few ids, which plain ``repr`` shows as well.
    options = {"argsrepr": "()", "kwargsrepr": repr(kwargs)[:_REPR_LIMIT], **options}
    # Through the registered task when there is one, so ``task_always_eager`` runs it in place.
    task = current_app.tasks.get(task_name)
    send = task.apply_async if task is not None else (lambda **kw: current_app.send_task(task_name, **kw))
    try:
        send(kwargs=kwargs, **options)
    except Exception:
        logger.exception("sending %s failed, retrying once", task_name)
        send(kwargs=kwargs, **options)


_TASK_NAMES = {EXECUTE: EXECUTE_TASK_NAME, SCHEDULE: SCHEDULE_TASK_NAME}


class TaskMixin(StorageMixin, TaskRules):
    """Celery as the transport of the shared message rules (``bamboo_engine.eri.rules.task``)."""

    ATOMIC_STEP = True

    def atomic_step(self) -> transaction.Atomic:
        """The engine's unit (``bamboo_engine.eri.interfaces.runtime``): one transaction.

        Messages sent inside it are published on commit, so after the commit a process put to sleep in
        the unit has its message in flight, and a rolled-back unit (a stale node run, a database error)
        leaves neither its rows nor its messages. The engine keeps these units to a few statements.
        """
        return transaction.atomic()

    # The published signature orders ``headers`` before ``callback_data_id`` (the engine passes keywords).
    def set_next_schedule(  # type: ignore[override]
        self,
        process_id: int,
        node_id: str,
        schedule_id: str,
        schedule_after: int,
        headers: Optional[dict] = None,
        callback_data_id: Optional[int] = None,
    ):
        return TaskRules.set_next_schedule(
            self,
            process_id=process_id,
            node_id=node_id,
            schedule_id=schedule_id,
            schedule_after=schedule_after,
            callback_data_id=callback_data_id,
            headers=headers,
        )

    def _send_message(
        self, kind: str, kwargs: Dict[str, Any], queue: str, priority: int, countdown: float
    ) -> None:
        task_name = _TASK_NAMES[kind]
        # A fresh token per send: a re-sent message (retry, interrupt) is a new delivery, while a broker
        # redelivery of this one carries the same token and is recognised as a duplicate.
        kwargs["headers"][DELIVERY_TOKEN_HEADER] = uuid.uuid4().hex
        routing_queue, routing_key = QueueResolver(queue).resolve_task_queue_and_routing_key(task_name)
        options: Dict[str, Any] = {"queue": routing_queue, "routing_key": routing_key, "priority": priority}
        if countdown:
            options["countdown"] = countdown
        # ``publish`` is looked up when the callback runs, so tests can swap the module's publisher.
        transaction.on_commit(lambda: publish(task_name, kwargs, options))
