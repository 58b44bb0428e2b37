"""TaskMixin: Celery as the transport of the shared message rules (``bamboo_engine.eri.rules.task``).

Messages use keyword arguments only and go to the run's queue with the run's priority. They go through
the transactional outbox (:mod:`pipeline.eri.outbox`): stored in the surrounding transaction, published
with broker confirms once it committed, and published again by a relay if that publish never happened;
a rolled-back transaction never emits one, outside a transaction they are sent at once. Each message
carries in its headers:

* ``route_info`` (queue, priority) and ``timestamp`` (send time, plus the countdown of delayed ones);
* ``delivery_token``: unique per send; the consumer claims it before running the engine so that a
  duplicate delivery of the same message changes nothing (docs/delivery.md).
"""

import logging
import uuid
from typing import Any, Dict, Optional

from django.db import transaction

from bamboo_engine.eri.rules.task import EXECUTE, SCHEDULE, TaskRules
from pipeline.eri import outbox
from pipeline.eri.celery.queues import EXECUTE_TASK_NAME, SCHEDULE_TASK_NAME, QueueResolver
from pipeline.eri.imp.storage import StorageMixin

logger = logging.getLogger(__name__)

DELIVERY_TOKEN_HEADER = "delivery_token"


def publish(task_name: str, kwargs: Dict[str, Any], options: Dict[str, Any]) -> None:
    """Send one message now, confirmed by the broker (tests replace this function to capture messages).

    Raises when the message could not be sent; the outbox keeps it for its relay.
    """
    from pipeline.eri.celery.publisher import publish as confirmed_publish

    confirmed_publish(task_name, kwargs, options)


def _publish_now(task_name: str, kwargs: Dict[str, Any], options: Dict[str, Any]) -> None:
    # ``publish`` is looked up when the message is published, so tests can swap the module's publisher.
    publish(task_name, kwargs, options)


_TASK_NAMES = {EXECUTE: EXECUTE_TASK_NAME, SCHEDULE: SCHEDULE_TASK_NAME}


class TaskMixin(StorageMixin, TaskRules):
    """Celery as the transport of the shared message rules (``bamboo_engine.eri.rules.task``)."""

    ATOMIC_STEP = True
    DELAYED_EXECUTE = True  # TaskRules.execute_later over this transport

    def atomic_step(self) -> transaction.Atomic:
        """The engine's unit (``bamboo_engine.eri.interfaces.runtime``): one transaction.

        Messages sent inside it are stored in the outbox in the same transaction and published after the
        commit, so once committed a process put to sleep in the unit has its message stored (published,
        or left for the outbox relay if this process dies first), and a rolled-back unit (a stale node
        run, a database error) leaves neither its rows nor its messages. The engine keeps these units to
        a few statements.
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
        outbox.send(task_name, kwargs, options, _publish_now)
