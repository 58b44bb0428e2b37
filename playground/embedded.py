"""The embedded default: a Celery worker inside the current process, on kombu's ``memory://`` broker.

With nothing configured the playground runs pipelines on SQLite and this worker: the same Celery tasks
(``pipeline.eri.celery.tasks``), the same ``BambooDjangoRuntime`` and the same engine as production; only
the broker (a queue in this process's memory) and the database differ. Messages never leave the
process, so a pipeline advances only while a worker runs here: :func:`embedded_worker` starts one,
:func:`wait_until_settled` keeps it running until the run has nothing left to do.

SQLite allows one writer at a time. The database is switched to WAL (readers never wait for the writer)
and the connection waits for the lock (``OPTIONS["timeout"]`` of the settings); a write that still loses
the race raises ``OperationalError``, which the engine treats as an interrupt and re-dispatches from the
recorded point, and which the tasks retry while claiming a message.
"""

import contextlib
import logging
import threading
import time
from typing import Callable, Iterator, Optional

from celery import shared_task
from django.conf import settings
from django.db import connection

logger = logging.getLogger(__name__)

#: Worker threads: enough for the branches of a parallel gateway to run side by side.
DEFAULT_CONCURRENCY = 4
#: Seconds :func:`wait_until_settled` waits by default.
DEFAULT_SETTLE_TIMEOUT = 60.0
#: The worker must look idle this many times in a row, ``IDLE_CHECK_INTERVAL`` apart: a message moves
#: from the queue to the worker's request table in a few statements, never across several checks.
IDLE_CHECKS = 3
IDLE_CHECK_INTERVAL = 0.05

WAKE_TASK_NAME = "playground.embedded.wake"
#: A queue the worker consumes (the default execute queue of pipeline.eri.celery.queues).
WAKE_QUEUE = "er_execute"

_running = threading.Lock()


def is_embedded() -> bool:
    """True when the broker is the in-process ``memory://`` transport (no ``BAMBOO_BROKER`` set)."""
    return str(getattr(settings, "CELERY_BROKER_URL", "")).startswith("memory://")


def enable_sqlite_wal() -> None:
    """Switch a SQLite database to write-ahead logging (a property of the file: done once, kept)."""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode=WAL")


@contextlib.contextmanager
def embedded_worker(concurrency: int = DEFAULT_CONCURRENCY) -> Iterator[object]:
    """Run a Celery worker (thread pool) consuming the in-process broker for the ``with`` block.

    Yields:
        the ``celery.worker.WorkController``.

    Raises:
        RuntimeError: the broker is not ``memory://`` (a real broker has real workers: see
            docs/workers.md), or an embedded worker already runs in this process.
    """
    if not is_embedded():
        raise RuntimeError(
            f"embedded_worker() needs the memory:// broker, the settings use {settings.CELERY_BROKER_URL!r}: "
            "start workers with `celery -A playground worker -Q er_execute,er_schedule` instead"
        )
    if not _running.acquire(blocking=False):
        raise RuntimeError("an embedded worker already runs in this process")
    try:
        enable_sqlite_wal()
        # Imported late: importing the testing helpers loads the whole worker machinery.
        from celery.contrib.testing.worker import start_worker

        from playground.celery import app

        with start_worker(
            app,
            pool="threads",
            concurrency=concurrency,
            perform_ping_check=False,
            loglevel="WARNING",
            shutdown_timeout=30.0,
        ) as worker:
            try:
                yield worker
            finally:
                _stop_promptly(app)
    finally:
        # Requests still held at the stop (a countdown not yet due) died with the worker; a later
        # embedded worker of this process must not count them as pending work.
        from celery.worker import state

        state.reset_state()
        _running.release()


@shared_task(name=WAKE_TASK_NAME, ignore_result=True)
def wake() -> None:
    """Does nothing: its message only wakes the worker's consumer (see :func:`_stop_promptly`)."""


def _stop_promptly(app) -> None:
    # The consumer notices a stop request between two waits for a message, and each wait lasts up to 2 s
    # when nothing arrives; it also waits once more after noticing. Two no-op messages end both waits.
    from celery.worker import state

    state.should_terminate = 0
    for _ in range(2):
        app.send_task(WAKE_TASK_NAME, queue=WAKE_QUEUE)


def worker_idle() -> bool:
    """True when no message waits in the in-process broker and the worker holds no request.

    A request the worker holds is running, waiting for a pool thread, or waiting for its countdown (a
    poll interval, a deferred delivery).
    """
    from celery.worker import state
    from kombu.transport.memory import Channel

    queued = sum(queue.qsize() for queue in list(Channel.queues.values()))
    return queued == 0 and not state.requests


def wait_until_settled(
    timeout: float = DEFAULT_SETTLE_TIMEOUT, done: Optional[Callable[[], bool]] = None
) -> None:
    """Block until the embedded worker has nothing left to do (or ``done()`` is true while idle).

    A run is settled when it finished, was revoked, waits on a failed node for an operator, or waits
    for a callback: no message is queued or held then. ``done`` narrows it further (e.g. "this node
    is FAILED"), for callers that need a particular state and not just quiet.

    Raises:
        RuntimeError: no embedded worker runs (nothing would ever happen).
        TimeoutError: still busy (or ``done()`` still false) after ``timeout`` seconds.
    """
    if not _running.locked():
        raise RuntimeError("wait_until_settled() needs a running embedded_worker()")
    deadline = time.monotonic() + timeout
    idle_streak = 0
    while True:
        idle_streak = idle_streak + 1 if worker_idle() else 0
        if idle_streak >= IDLE_CHECKS and (done is None or done()):
            return
        if time.monotonic() >= deadline:
            what = "the embedded worker to become idle" if idle_streak < IDLE_CHECKS else "the expected state"
            raise TimeoutError(f"waited {timeout:.0f}s for {what}")
        time.sleep(IDLE_CHECK_INTERVAL)
