"""TaskMixin: sending execute/schedule messages.

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
import threading
import time
import uuid
from collections import OrderedDict
from typing import Any, Dict, Optional, Tuple

from django.db import transaction

from bamboo_engine.engine.messages import execute_message, schedule_message
from bamboo_engine.eri.models.interrupt import ExecuteInterruptPoint, ScheduleInterruptPoint
from pipeline.eri import outbox
from pipeline.eri.celery.queues import EXECUTE_TASK_NAME, SCHEDULE_TASK_NAME, QueueResolver
from pipeline.eri.imp._db import not_found

logger = logging.getLogger(__name__)

DELIVERY_TOKEN_HEADER = "delivery_token"
_ROUTE_CACHE_SIZE = 50000

# process id -> (queue, priority); both are fixed when the process is created.
_routes: "OrderedDict[int, Tuple[str, int]]" = OrderedDict()
_routes_lock = threading.Lock()


def remember_route(process_id: int, queue: str, priority: int) -> None:
    """Cache the route of a process (called where processes are created, and after a read)."""
    with _routes_lock:
        _routes[int(process_id)] = (queue, priority)
        if len(_routes) > _ROUTE_CACHE_SIZE:
            _routes.popitem(last=False)


def clear_route_cache() -> None:
    """Forget every cached route (tests that reuse process ids between databases)."""
    with _routes_lock:
        _routes.clear()


def _route(process_id: int) -> Tuple[str, int]:
    with _routes_lock:
        route = _routes.get(int(process_id))
    if route is not None:
        return route
    from pipeline.eri.models import Process

    row = Process.objects.filter(id=process_id).values_list("queue", "priority").first()
    if row is None:
        raise not_found(Process, "process", process_id)
    remember_route(process_id, row[0], row[1])
    return row[0], row[1]


def publish(task_name: str, kwargs: Dict[str, Any], options: Dict[str, Any]) -> None:
    """Send one message now, confirmed by the broker (tests replace this function to capture messages).

    Raises when the message could not be sent; the outbox keeps it for its relay.
    """
    from pipeline.eri.celery.publisher import publish as confirmed_publish

    confirmed_publish(task_name, kwargs, options)


def _publish_now(task_name: str, kwargs: Dict[str, Any], options: Dict[str, Any]) -> None:
    # ``publish`` is looked up when the message is published, so tests can swap the module's publisher.
    publish(task_name, kwargs, options)


class TaskMixin:
    """Dispatches engine steps as Celery messages."""

    def atomic_step(self) -> transaction.Atomic:
        """The engine's optional unit (``bamboo_engine.eri.interfaces.runtime``): one transaction.

        Messages sent inside it are stored in the outbox in the same transaction and published after the
        commit, so once committed a process put to sleep in the unit has its message stored (published,
        or left for the outbox relay if this process dies first), and a rolled-back unit (a stale node
        run, a database error) leaves neither its rows nor its messages. The engine keeps these units to
        a few statements.
        """
        return transaction.atomic()

    def execute(
        self,
        process_id: int,
        node_id: str,
        root_pipeline_id: str,
        parent_pipeline_id: str,
        recover_point: Optional[ExecuteInterruptPoint] = None,
        headers: Optional[dict] = None,
    ):
        kwargs = execute_message(process_id, node_id, root_pipeline_id, parent_pipeline_id, recover_point)
        self._dispatch(EXECUTE_TASK_NAME, process_id, kwargs, headers, countdown=0)

    def schedule(
        self,
        process_id: int,
        node_id: str,
        schedule_id: str,
        callback_data_id: Optional[int] = None,
        recover_point: Optional[ScheduleInterruptPoint] = None,
        headers: Optional[dict] = None,
    ):
        kwargs = schedule_message(process_id, node_id, schedule_id, callback_data_id, recover_point)
        self._dispatch(SCHEDULE_TASK_NAME, process_id, kwargs, headers, countdown=0)

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
        kwargs = schedule_message(process_id, node_id, schedule_id, callback_data_id)
        self._dispatch(SCHEDULE_TASK_NAME, process_id, kwargs, headers, countdown=max(schedule_after, 0))

    def _dispatch(
        self, task_name: str, process_id: int, kwargs: dict, headers: Optional[dict], countdown: float
    ) -> None:
        queue, priority = _route(process_id)
        message_headers = dict(headers or {})
        message_headers["route_info"] = {"queue": queue, "priority": priority}
        message_headers["timestamp"] = time.time() + countdown
        # A fresh token per send: a re-sent message (retry, interrupt) is a new delivery, while a broker
        # redelivery of this one carries the same token and is recognised as a duplicate.
        message_headers[DELIVERY_TOKEN_HEADER] = uuid.uuid4().hex
        kwargs["headers"] = message_headers
        routing_queue, routing_key = QueueResolver(queue).resolve_task_queue_and_routing_key(task_name)
        options: Dict[str, Any] = {"queue": routing_queue, "routing_key": routing_key, "priority": priority}
        if countdown:
            options["countdown"] = countdown
        outbox.send(task_name, kwargs, options, _publish_now)
