"""What a worker does for the runtime besides running tasks, whatever the project's Celery settings.

At start (``celeryd_init``), for the settings the project did not set itself
(:func:`apply_worker_defaults`):

* ``worker_prefetch_multiplier = 1``: one unacknowledged message per pool slot, so a worker never
  hoards messages another worker could run, and a dead worker gives back at most ``-c`` of them;
* ``broker_transport_options["confirm_publish"] = True``: Celery's own publishes in the worker (the
  retry of a task) wait for the broker's confirmation, as the runtime's do;
* ``broker_heartbeat = 0`` for gevent and eventlet pools: with an AMQP heartbeat, Celery 5.5+ on those
  pools consumes about ten messages a second (docs/workers.md, "The heartbeat stall").

The runtime's tasks declare ``acks_late`` and ``reject_on_worker_lost`` themselves
(:mod:`pipeline.eri.celery.tasks`). When the project has no result backend, the worker gives them one
shared ``DisabledBackend`` (``worker_init``, :func:`share_disabled_backend`): Celery keeps the app's
backend per thread, which under gevent means a new backend object for every task and every publish.

Once the worker is ready (``worker_ready``), a daemon thread (a greenlet under gevent) of the worker's
main process runs, every ``BAMBOO_DJANGO_ERI_OUTBOX_RELAY_INTERVAL_SECONDS``:

* the outbox relay (:func:`pipeline.eri.outbox.relay_once`), first right at start;
* every third of a delivery lease, the sweep of abandoned claims (:mod:`pipeline.eri.celery.sweep`);
* every ``BAMBOO_HEALING_INTERVAL_SECONDS``, a stuck-pipeline healing pass
  (:mod:`pipeline.eri.healing.healer`) in the one worker that holds the ``healing`` lease row.

``BAMBOO_WORKER_MAINTENANCE = False`` switches the thread off (e.g. when the project runs the relay and
the healer elsewhere). Workers of the in-process ``memory://`` broker (``pipeline.eri.embedded``) run
none of it: their messages never outlive the process.
"""

import logging
import os
import threading
import time
from contextlib import suppress
from datetime import timedelta
from typing import Any, Callable, Dict, List, Optional

from celery import bootsteps, signals
from django.db import IntegrityError, close_old_connections, connections, transaction
from django.db.models import Q
from django.utils import timezone

from pipeline.conf import settings

logger = logging.getLogger(__name__)

HEALING_LEASE = "healing"


def apply_worker_defaults(conf: Any, pool: Any = None) -> Dict[str, Any]:
    """Set what the runtime needs from Celery where the project did not; returns what was set."""
    applied: Dict[str, Any] = {}
    if not conf.value_set_for("worker_prefetch_multiplier"):
        applied["worker_prefetch_multiplier"] = 1
    options = dict(conf.broker_transport_options or {})
    if "confirm_publish" not in options:
        applied["broker_transport_options"] = {**options, "confirm_publish": True}
    green = any(name in str(pool or "").lower() for name in ("gevent", "eventlet"))
    if green and not conf.value_set_for("broker_heartbeat"):
        applied["broker_heartbeat"] = 0
    for key, value in applied.items():
        setattr(conf, key, value)
    return applied


def _on_celeryd_init(
    sender: Any = None, instance: Any = None, conf: Any = None, options: Any = None, **_: Any
) -> None:
    if conf is None or str(conf.broker_url or "").startswith("memory://"):
        return
    options = options or {}
    cli_prefetch = options.get("prefetch_multiplier")
    unset_prefetch = conf.worker_prefetch_multiplier
    applied = apply_worker_defaults(conf, options.get("pool_cls") or options.get("pool"))
    # The ``celery worker`` command resolved ``--prefetch-multiplier`` from the settings before this
    # signal: a value equal to them was not chosen on the command line, and gets the runtime's default.
    if "worker_prefetch_multiplier" in applied and cli_prefetch in (None, unset_prefetch):
        _PrefetchDefault.multiplier = conf.worker_prefetch_multiplier
        if instance is not None:
            instance.app.steps["worker"].add(_PrefetchDefault)
    if applied:
        logger.info("worker %s: runtime defaults applied: %s", sender, applied)


class _PrefetchDefault(bootsteps.Step):
    """Sets the worker's prefetch multiplier to the runtime's default before its consumer is built."""

    name = "pipeline.eri.prefetch_default"
    multiplier = 1

    def __init__(self, parent: Any, **kwargs: Any) -> None:
        super().__init__(parent, **kwargs)
        parent.prefetch_multiplier = self.multiplier


class Maintenance:
    """The maintenance rounds of one worker process (see the module docstring)."""

    def __init__(self, holder: str) -> None:
        self.holder = holder
        self._due: Dict[str, float] = {}

    def run_round(self, now: Optional[float] = None) -> List[str]:
        """Run the jobs that are due; returns the names of the jobs that ran."""
        now = time.monotonic() if now is None else now
        ran = []
        for name, interval, job in self._jobs():
            if now < self._due.get(name, 0.0):
                continue
            self._due[name] = now + interval
            try:
                job()
            except Exception as err:  # noqa: BLE001 - the next round tries again (database or broker away)
                logger.warning("worker maintenance: %s failed: %r", name, err)
            ran.append(name)
        return ran

    def _jobs(self) -> List[tuple]:
        from pipeline.eri import outbox
        from pipeline.eri.celery.delivery import lease_seconds
        from pipeline.eri.celery.sweep import sweep_abandoned_claims

        relay_interval = float(settings.BAMBOO_DJANGO_ERI_OUTBOX_RELAY_INTERVAL_SECONDS)
        return [
            ("outbox relay", relay_interval, outbox.relay_once),
            ("claim sweep", lease_seconds() / 3, sweep_abandoned_claims),
            ("healing", float(settings.BAMBOO_HEALING_INTERVAL_SECONDS), self._heal),
        ]

    def _heal(self) -> None:
        from pipeline.eri.healing import healer

        interval = float(settings.BAMBOO_HEALING_INTERVAL_SECONDS)
        if interval <= 0 or not take_lease(HEALING_LEASE, self.holder, interval):
            return
        report = healer.heal_stuck_pipelines()
        if report.outcomes:
            logger.warning("worker maintenance: healing pass: %s", [o.action for o in report.outcomes])

    def run_forever(self, sleep: Callable[[float], Any] = time.sleep) -> None:
        tick = max(float(settings.BAMBOO_DJANGO_ERI_OUTBOX_RELAY_INTERVAL_SECONDS), 0.1)
        while True:
            try:
                close_old_connections()
                self.run_round()
            except Exception:  # the thread must outlive any round
                logger.exception("worker maintenance: round failed")
            finally:
                with suppress(Exception):
                    connections.close_all()  # back to the pool between rounds
            sleep(tick)


def take_lease(name: str, holder: str, seconds: float) -> bool:
    """Hold the maintenance lease ``name`` for ``seconds`` if it ran out or is ours; True if we hold it."""
    from pipeline.eri.models import MaintenanceLease

    now = timezone.now()
    until = now + timedelta(seconds=seconds)
    free = Q(until__lte=now) | Q(holder=holder)
    if MaintenanceLease.objects.filter(free, name=name).update(holder=holder, until=until):
        return True
    try:
        # A savepoint when a caller's transaction surrounds this: PostgreSQL aborts the whole transaction
        # on the conflict otherwise.
        with transaction.atomic():
            MaintenanceLease.objects.create(name=name, holder=holder, until=until)
    except IntegrityError:  # held by another worker
        return False
    return True


_started: Dict[int, threading.Thread] = {}
_start_lock = threading.Lock()


def start(holder: str) -> Optional[threading.Thread]:
    """Start this process's maintenance thread once; None when maintenance is off here."""
    if not settings.BAMBOO_WORKER_MAINTENANCE:
        return None
    with _start_lock:
        thread = _started.get(os.getpid())
        if thread is None or not thread.is_alive():
            maintenance = Maintenance(holder)
            thread = threading.Thread(target=maintenance.run_forever, name="eri-maintenance", daemon=True)
            thread.start()
            _started[os.getpid()] = thread
    return thread


def _on_worker_ready(sender: Any = None, **_: Any) -> None:
    from pipeline.eri import outbox
    from pipeline.eri.celery.delivery import owner_name

    app = getattr(sender, "app", None)
    if app is None or _in_process_broker(app):
        return
    outbox.confirmed_rows.batch_in_this_process()
    start(owner_name())


def share_disabled_backend(app: Any) -> bool:
    """Give the runtime's tasks the app's backend once, when it is Celery's ``DisabledBackend``.

    Celery builds the app's result backend per thread (``app.backend``) unless the backend class says it
    is thread safe; gevent and eventlet make every greenlet a thread, so each task run (Celery's tracer
    reads ``task.backend``) and each publish (``apply_async`` returns an ``AsyncResult``) would build
    one, reading the configuration again. A disabled backend holds no connection and no state: one per
    process serves every greenlet. A real result backend is left as the project configured it. True
    when the tasks were given the shared backend.
    """
    from celery.backends.base import DisabledBackend

    from pipeline.eri.celery.queues import EXECUTE_TASK_NAME, SCHEDULE_TASK_NAME

    backend = app.backend
    if not isinstance(backend, DisabledBackend):
        return False
    for name in (EXECUTE_TASK_NAME, SCHEDULE_TASK_NAME):
        task = app.tasks.get(name)
        if task is not None and task._backend is None:  # a backend set on the task itself wins
            task.backend = backend
    return True


def _on_worker_init(sender: Any = None, **_: Any) -> None:
    app = getattr(sender, "app", None)
    if app is not None:
        share_disabled_backend(app)


def _on_worker_process_init(**_: Any) -> None:
    # A prefork child runs tasks: it deletes confirmed outbox rows in batches too.
    from pipeline.eri import outbox

    outbox.confirmed_rows.batch_in_this_process()


def _on_shutdown(**_: Any) -> None:
    from pipeline.eri import outbox

    outbox.confirmed_rows.flush()


def _in_process_broker(app: Any) -> bool:
    return str(app.conf.broker_url or "").startswith("memory://")


def connect() -> None:
    """Connect the worker signals (called once when the runtime's app is ready)."""
    uid = "pipeline.eri.maintenance."
    signals.celeryd_init.connect(_on_celeryd_init, dispatch_uid=uid + "init")
    signals.worker_init.connect(_on_worker_init, dispatch_uid=uid + "worker_init")
    signals.worker_ready.connect(_on_worker_ready, dispatch_uid=uid + "ready")
    signals.worker_process_init.connect(_on_worker_process_init, dispatch_uid=uid + "child")
    signals.worker_process_shutdown.connect(_on_shutdown, dispatch_uid=uid + "child_end")
    signals.worker_shutdown.connect(_on_shutdown, dispatch_uid=uid + "end")
