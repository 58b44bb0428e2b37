"""Django-side helpers of both apps: which pool to use, and how their Celery tasks are sent."""

import threading
import time
from typing import Any, Dict, Optional, Tuple, Type

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from pipeline.conf import settings
from pipeline.contrib.deadlines.database import ArmedDeadlineBase, DatabaseDeadlinePool
from pipeline.contrib.deadlines.pool import DeadlinePool
from pipeline.contrib.deadlines.redis_pool import RedisDeadlinePool

BACKENDS = ("redis", "database")

_pools: Dict[Tuple[Any, ...], RedisDeadlinePool] = {}
_pools_lock = threading.Lock()


def after_commit(write) -> None:
    """Run a Redis write once the surrounding transaction committed (at once outside one).

    A state change rolled back with its transaction then arms or disarms nothing. A failing write is
    logged by Django (``robust``): a state change never fails because Redis is away.
    """
    transaction.on_commit(write, robust=True)


def select_pool(
    backend_setting: str, pool_key: str, model: Type[ArmedDeadlineBase], index_ttl: int
) -> DeadlinePool:
    """The pool an app uses: Redis when the project has a Redis client, else the database table.

    Args:
        backend_setting: name of the app's ``*_BACKEND`` setting (None: choose as above; ``"redis"`` or
            ``"database"``: that one).
        pool_key: the app's ``*_EXECUTING_POOL`` (the Redis sorted set).
        model: the app's table of armed deadlines.
        index_ttl: seconds a node's member index lives in Redis.

    Raises:
        ImproperlyConfigured: an unknown backend, or ``"redis"`` without a Redis client.
    """
    backend: Optional[str] = getattr(settings, backend_setting, None)
    if backend not in (None, *BACKENDS):
        raise ImproperlyConfigured(f"{backend_setting} must be None, 'redis' or 'database', got {backend!r}")
    client = settings.redis_inst if backend != "database" else None
    if backend == "redis" and client is None:
        raise ImproperlyConfigured(f"{backend_setting} = 'redis' needs REDIS (or settings.redis_inst)")
    if client is None:
        return DatabaseDeadlinePool(model)
    cache_key = (id(client), pool_key, index_ttl)
    with _pools_lock:
        pool = _pools.get(cache_key)
        if pool is None or pool.client is not client:
            pool = RedisDeadlinePool(client, pool_key, index_ttl=index_ttl, defer=after_commit)
            _pools[cache_key] = pool
    return pool


def send(task_name: str, kwargs: Dict[str, Any], queue: Optional[str]) -> None:
    """Send a task by name on ``queue`` (routing key = queue name), or Celery's default queue when None.

    Through the registered task when there is one, so ``task_always_eager`` runs it in place.
    """
    from celery import current_app

    options: Dict[str, Any] = {} if queue is None else {"queue": queue, "routing_key": queue}
    task = current_app.tasks.get(task_name)
    if task is not None:
        task.apply_async(kwargs=kwargs, **options)
    else:
        current_app.send_task(task_name, kwargs=kwargs, **options)


class Every:
    """Runs ``func`` at most once per ``interval`` seconds in this process (housekeeping of a scanner).

    Args:
        func: what to run.
        interval: seconds between two runs.
        clock: monotonic seconds.
    """

    def __init__(self, func, interval: float, clock=time.monotonic) -> None:
        self.func = func
        self.interval = interval
        self.clock = clock
        self._last: Optional[float] = None

    def __call__(self, *args, **kwargs) -> None:
        now = self.clock()
        if self._last is None or now - self._last >= self.interval:
            self._last = now
            self.func()
