"""The transactional outbox: a message is stored with the state change that needs it, then published.

Every message the runtime sends (``execute``/``schedule`` steps, plugin_execute tasks, re-sends) goes
through :func:`send`:

1. the message is INSERTed into ``OutboxMessage`` on the caller's connection, so inside a transaction it
   commits or rolls back with the rows it belongs to: a rolled-back change never sends its message, and
   a committed one always has its message stored;
2. right after the commit (``transaction.on_commit``), the same process publishes it
   (:func:`pipeline.eri.celery.publisher.publish` waits for the broker's confirmation);
3. once confirmed, the row is deleted: at once, or in worker processes in batches of everything
   confirmed in the last second (:data:`confirmed_rows`), which saves a statement per message.

A row that is still there ``BAMBOO_DJANGO_ERI_OUTBOX_RELAY_AFTER_SECONDS`` after it was stored (the
process died between the commit and the publish, the broker refused or was away) is published again by
:func:`relay_once`, which every worker runs at start and then periodically
(:mod:`pipeline.eri.celery.maintenance`). Relays claim rows with a conditional UPDATE, so two relays
never publish the same row; a message published twice anyway (a slow fast path racing the relay, a
process killed between the confirmation and the delete) keeps its ``delivery_token``, and the delivery
claims (:mod:`pipeline.eri.celery.delivery`) drop the copy. A delayed message (a poll's countdown) keeps
its due time: the relay publishes it with the countdown that remains.

See docs/delivery.md.
"""

import json
import logging
import os
import threading
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Callable, Dict, List, Optional

from django.db import DEFAULT_DB_ALIAS, DatabaseError, close_old_connections, connections, transaction
from django.db.models import F
from django.utils import timezone

from pipeline.conf import settings
from pipeline.eri.imp import _sql

logger = logging.getLogger(__name__)

Publish = Callable[[str, Dict[str, Any], Dict[str, Any]], None]

# A relay's claim on a row lasts this long: a relay that dies while publishing leaves its rows to the
# next one after that.
RELAY_LEASE_SECONDS = 30.0
RELAY_BATCH = 200
# Worker processes delete confirmed rows in one statement per this many seconds.
DELETE_INTERVAL_SECONDS = 1.0


def enabled() -> bool:
    """``BAMBOO_DJANGO_ERI_OUTBOX`` (default True), and the table exists (``pipeline.eri`` installed:
    ``pipeline.contrib.plugin_execute`` also runs without it)."""
    from django.apps import apps

    return bool(settings.BAMBOO_DJANGO_ERI_OUTBOX) and apps.is_installed("pipeline.eri")


def relay_after_seconds() -> float:
    """``BAMBOO_DJANGO_ERI_OUTBOX_RELAY_AFTER_SECONDS`` (default 10)."""
    return float(settings.BAMBOO_DJANGO_ERI_OUTBOX_RELAY_AFTER_SECONDS)


@dataclass(frozen=True)
class _Message:
    row_id: str
    task_name: str
    kwargs: Dict[str, Any]
    options: Dict[str, Any]


def send(
    task_name: str,
    kwargs: Dict[str, Any],
    options: Dict[str, Any],
    publish: Publish,
) -> None:
    """Send one message once the surrounding transaction commits (at once outside a transaction).

    Args:
        options: Celery's ``apply_async`` options (queue, routing key, priority, ``countdown``).
        publish: publishes the message now (``(task_name, kwargs, options)``); called after the commit.
    """
    if not enabled():
        transaction.on_commit(lambda: publish(task_name, kwargs, options))
        return
    message = _Message(uuid.uuid4().hex, task_name, kwargs, options)
    if connections[DEFAULT_DB_ALIAS].in_atomic_block:
        _store(message)  # commits or rolls back with the caller's transaction
        transaction.on_commit(lambda: _publish_stored(message, publish))
        return
    try:
        _store(message)
    except DatabaseError:
        # Outside a transaction nothing is waiting to commit with it (e.g. the re-send of an
        # interrupted step while the database is away): sending it unstored beats not sending it.
        logger.warning("outbox: storing %s failed, publishing it without a copy", task_name, exc_info=True)
        publish(task_name, kwargs, options)
        return
    _publish_stored(message, publish)


def _store(message: _Message) -> None:
    from pipeline.eri.models import OutboxMessage

    now = timezone.now()
    options = dict(message.options)
    countdown = float(options.pop("countdown", 0) or 0)
    row = {
        "id": message.row_id,
        "task_name": message.task_name,
        "body": json.dumps({"kwargs": message.kwargs, "options": options}),
        "created_at": now,
        "due_at": now + timedelta(seconds=max(countdown, 0.0)),
        "publish_after": now + timedelta(seconds=relay_after_seconds()),
        "relay": "",
        "attempts": 0,
    }
    _sql.insert_new(OutboxMessage, row)


def _publish_stored(message: _Message, publish: Publish) -> None:
    try:
        publish(message.task_name, message.kwargs, message.options)
    except Exception:  # noqa: BLE001 - the row stays: a relay publishes it later
        logger.warning(
            "outbox: publishing %s %s failed; a relay sends it later",
            message.task_name,
            message.row_id,
            exc_info=True,
        )
        return
    confirmed_rows.add(message.row_id)


class ConfirmedRows:
    """Deletes the rows of confirmed messages.

    Outside a worker each row is deleted right after its confirmation. In a worker process
    (:meth:`batch_in_this_process`) the row ids are collected and deleted in one statement per
    :data:`DELETE_INTERVAL_SECONDS` by a daemon thread (a greenlet under gevent), started on first use
    and again after a fork. A process that dies before the delete leaves rows a relay publishes again:
    duplicates, which the delivery claims drop.
    """

    def __init__(self) -> None:
        self._row_ids: List[str] = []
        self._lock = threading.Lock()
        self._thread: Optional[threading.Thread] = None
        self._pid = 0
        self._batching = False

    def after_fork_in_child(self) -> None:
        # A lock held by another thread of the parent at the fork would stay held in the child forever.
        self._lock = threading.Lock()
        self._row_ids, self._thread, self._pid = [], None, os.getpid()

    def batch_in_this_process(self, batching: bool = True) -> None:
        self._batching = batching

    def add(self, row_id: str) -> None:
        if not self._batching:
            _delete([row_id])
            return
        with self._lock:
            if self._pid != os.getpid():  # forked: the parent's thread and rows are not ours
                self._row_ids, self._thread, self._pid = [], None, os.getpid()
            self._row_ids.append(row_id)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="eri-outbox-delete", daemon=True)
                self._thread.start()

    def flush(self) -> int:
        """Delete the rows confirmed so far; returns how many were deleted."""
        with self._lock:
            row_ids, self._row_ids = self._row_ids, []
        if not row_ids:
            return 0
        try:
            return _delete(row_ids)
        except Exception:  # left for a relay: at worst published once more, and dropped as a duplicate
            logger.exception("outbox: deleting %s confirmed rows failed", len(row_ids))
            return 0

    def _run(self) -> None:
        wake = threading.Event()
        while True:
            wake.wait(DELETE_INTERVAL_SECONDS)
            close_old_connections()
            self.flush()


confirmed_rows = ConfirmedRows()
os.register_at_fork(after_in_child=confirmed_rows.after_fork_in_child)


def _delete(row_ids: List[str]) -> int:
    from pipeline.eri.models import OutboxMessage

    return _sql.delete_in(OutboxMessage, "id", row_ids)


def relay_once(publish: Optional[Publish] = None, limit: int = RELAY_BATCH) -> int:
    """Publish the stored messages whose fast path did not; returns how many the broker confirmed.

    Rows are claimed with ``UPDATE ... SET relay = <this batch>, publish_after = now + lease WHERE
    publish_after <= now``: of several relays, exactly one matches each row. The first failed publish
    ends the pass (the broker is probably away) and hands the rest back for the next pass.
    """
    from pipeline.eri.models import OutboxMessage

    if publish is None:
        from pipeline.eri.celery.publisher import publish as confirmed_publish

        publish = confirmed_publish
    now = timezone.now()
    due = OutboxMessage.objects.filter(publish_after__lte=now).order_by("publish_after")
    row_ids = list(due.values_list("id", flat=True)[:limit])
    if not row_ids:
        return 0
    batch = uuid.uuid4().hex
    OutboxMessage.objects.filter(id__in=row_ids, publish_after__lte=now).update(
        relay=batch,
        publish_after=now + timedelta(seconds=RELAY_LEASE_SECONDS),
        attempts=F("attempts") + 1,
    )
    rows = OutboxMessage.objects.filter(id__in=row_ids, relay=batch).values_list(
        "id", "task_name", "body", "due_at"
    )
    sent: List[str] = []
    unsent: List[str] = []
    for row_id, task_name, body, due_at in rows:
        if unsent or not _relay_one(publish, row_id, task_name, body, due_at):
            unsent.append(row_id)
        else:
            sent.append(row_id)
    _delete(sent)
    if unsent:
        OutboxMessage.objects.filter(id__in=unsent, relay=batch).update(publish_after=timezone.now())
    if sent:
        logger.warning("outbox relay: published %s stored messages", len(sent))
    return len(sent)


def _relay_one(publish: Publish, row_id: str, task_name: str, body: str, due_at: Any) -> bool:
    data = json.loads(body)
    options = dict(data["options"])
    remaining = (due_at - timezone.now()).total_seconds()
    if remaining > 0:
        options["countdown"] = remaining
    try:
        publish(task_name, data["kwargs"], options)
    except Exception:  # noqa: BLE001 - the row stays for the next pass
        logger.warning("outbox relay: publishing %s %s failed", task_name, row_id, exc_info=True)
        return False
    return True
