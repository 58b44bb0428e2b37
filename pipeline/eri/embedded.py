"""The embedded worker: a Celery worker inside the current process, on kombu's ``memory://`` broker.

A project whose ``CELERY_BROKER_URL`` is ``memory://`` runs pipelines with the same Celery tasks
(``pipeline.eri.celery.tasks``), the same ``BambooDjangoRuntime`` and the same engine as production; only
the broker (a queue in this process's memory) differs. Messages never leave the process, so a pipeline
advances only while a worker runs here: :func:`embedded_worker` starts one, :func:`wait_until_settled`
keeps it running until the run has nothing left to do. The operator commands (``run_pipeline``,
``retry_node``, ...) do both by themselves when the broker is ``memory://`` (docs/workers.md).

The worker uses the project's Celery app when the project has one configured from the Django settings
(``app.config_from_object("django.conf:settings", namespace="CELERY")``); a project without a Celery app
gets one built from the same settings, so ``django-admin startproject`` plus the pipeline apps and
``CELERY_BROKER_URL = "memory://"`` is enough.

SQLite allows one writer at a time. The database is switched to WAL (readers never wait for the writer)
and the connection waits for the lock (``OPTIONS["timeout"]`` of the settings); a write that still loses
the race raises ``OperationalError``, which the engine treats as an interrupt and re-dispatches from the
recorded point, and which the tasks retry while claiming a message.
"""

import contextlib
import logging
import threading
import time
from typing import Any, Callable, Iterator, List, Optional

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
#: Seconds between two looks of the worker at the in-process queues. kombu's default (1 s) would add up
#: to a second to every step of a pipeline.
POLLING_INTERVAL = 0.01

WAKE_TASK_NAME = "pipeline.eri.embedded.wake"

_running = threading.Lock()
_own_app: Any = None


def is_embedded() -> bool:
    """True when the project's broker is the in-process ``memory://`` transport."""
    return str(getattr(settings, "CELERY_BROKER_URL", "")).startswith("memory://")


def enable_sqlite_wal() -> None:
    """Switch a SQLite database to write-ahead logging (a property of the file: done once, kept)."""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode=WAL")


def celery_app() -> Any:
    """The Celery app the runtime publishes through and the embedded worker consumes with.

    The current app when it uses the ``memory://`` broker (the project's own app, configured from the
    Django settings); else an app built once from the Django settings and made the current and default
    app, so that the runtime's messages go to the same in-process broker.
    """
    global _own_app
    from celery import current_app

    app = current_app._get_current_object()
    if str(app.conf.broker_url or "").startswith("memory://"):
        return app
    if _own_app is None:
        from celery import Celery

        _own_app = Celery("pipeline.eri.embedded")
        _own_app.config_from_object("django.conf:settings", namespace="CELERY")
        if not hasattr(settings, "CELERY_WORKER_HIJACK_ROOT_LOGGER"):
            # The project's logging stays as configured: the worker runs inside someone else's process.
            _own_app.conf.worker_hijack_root_logger = False
    _own_app.set_current()
    _own_app.set_default()
    return _own_app


def _tune_memory_transport(app) -> None:
    """A host in the URL (kombu warns without one) and a short polling interval (see POLLING_INTERVAL)."""
    if str(app.conf.broker_url).rstrip("/") == "memory:":
        app.conf.broker_url = "memory://localhost/"
    options = dict(app.conf.broker_transport_options or {})
    if "polling_interval" not in options:
        app.conf.broker_transport_options = {**options, "polling_interval": POLLING_INTERVAL}


def _queues_to_consume(app) -> List[str]:
    """Every queue a message of this process can go to.

    The declared queues, the runtime's default ones, plugin_execute's, the rollback queue, Celery's
    default queue (the node timeout and timer event tasks use it unless their queue settings name
    others) and those settings' queues, whether or not the settings declare them: a project may
    declare no queue at all.
    """
    from pipeline.conf import settings as pipeline_settings
    from pipeline.eri.celery.queues import CELERY_QUEUES

    contrib_queues = [
        getattr(pipeline_settings, f"PIPELINE_NODE_{app}_{kind}_QUEUE")
        for app in ("TIMEOUT", "TIMER_EVENT")
        for kind in ("DISPATCH", "HANDLE")
    ]
    names = [
        *app.amqp.queues,
        *(queue.name for queue in CELERY_QUEUES),
        pipeline_settings.PLUGIN_EXECUTE_QUEUE,
        pipeline_settings.ROLLBACK_QUEUE,
        app.conf.task_default_queue,
        *filter(None, contrib_queues),
    ]
    return list(dict.fromkeys(names))


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
            "start workers with `celery -A <project> worker -Q er_execute,er_schedule` instead"
        )
    if not _running.acquire(blocking=False):
        raise RuntimeError("an embedded worker already runs in this process")
    try:
        enable_sqlite_wal()
        # Imported late: importing the testing helpers loads the whole worker machinery.
        from celery.contrib.testing.worker import start_worker

        app = celery_app()
        _tune_memory_transport(app)
        with start_worker(
            app,
            queues=_queues_to_consume(app),
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
    queue = next(iter(app.amqp.queues.consume_from))
    for _ in range(2):
        app.send_task(WAKE_TASK_NAME, queue=queue)


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
