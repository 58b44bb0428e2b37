"""Warnings about database settings that make gevent/eventlet workers slow, at worker start.

A green pool (``celery worker -P gevent``) runs its tasks as greenlets that take turns while one waits
on I/O. mysqlclient (the ``MySQLdb`` C extension) waits inside C code, so every query blocks every
greenlet of the worker; Django's own MySQL backend opens a new connection for every task. On PostgreSQL,
psycopg 3 waits through gevent's patched ``select`` unless it was imported before gevent patched the
process (then it waits in C), and Django's backend opens a connection per task unless ``OPTIONS["pool"]``
is set. Measured on the 17-node x 100 benchmark with one ``-c 100`` worker: 12.2 s with Django's backend
on mysqlclient, 6.1 s with ``pipeline.db.mysql`` on PyMySQL (docs/workers.md); the psycopg variants in
benchmark/gevent_pg_driver.py (docs/settings.md).

The same rule serves two callers: the Django system check (tag ``pipeline``; it fires in a process that
gevent or eventlet monkey-patched) and the Celery ``celeryd_after_setup`` receiver, which logs the
warnings when a worker starts with a gevent or eventlet pool (Celery runs the system checks at worker
start but does not print them). Both honour ``SILENCED_SYSTEM_CHECKS``.
"""

import logging
import sys
from typing import Any, Dict, List, Optional

from django.conf import settings
from django.core import checks

logger = logging.getLogger(__name__)

TAG = "pipeline"
DOC = "docs/workers.md#gevent-and-the-database-driver"
PG_DOC = "docs/settings.md#postgresql"
MYSQLCLIENT_UNDER_GREEN_POOL = "pipeline.W001"
NO_POOL_UNDER_GREEN_POOL = "pipeline.W002"
PSYCOPG_WAITS_IN_C = "pipeline.W003"
_GREEN_POOLS = ("gevent", "eventlet")
_POOL_FIX = 'set "ENGINE": "pipeline.db.mysql" (a per-process connection pool)'
_DRIVER_FIX = (
    'call pymysql.install_as_MySQLdb() at the top of your settings (PyMySQL, which the "gevent" extra '
    f"installs, lets greenlets take turns while one waits for MySQL) and {_POOL_FIX}"
)


def _backend_wrapper(config: Dict[str, Any]) -> Optional[type]:
    """The ``DatabaseWrapper`` class of a ``DATABASES`` entry; None when its backend does not load."""
    from django.db.utils import load_backend

    try:
        return load_backend(config.get("ENGINE", "")).DatabaseWrapper
    # Django reports a backend that can not load on first use; nothing to add here.
    except Exception:  # noqa: BLE001
        return None


def _pooled(wrapper: type) -> bool:
    # By name: importing pipeline.db.mysql needs MySQLdb, which a project on another driver lacks.
    return any(
        (cls.__module__, cls.__name__) == ("pipeline.db.mysql.base", "DatabaseWrapper")
        for cls in wrapper.__mro__
    )


_PG_POOL_FIX = 'set OPTIONS["pool"] (Django\'s connection pool; the "postgres" extra installs psycopg_pool)'


def _psycopg_waits_in_c() -> bool:
    """Whether psycopg chose its C wait function, which gevent cannot interrupt: psycopg picks it when
    imported before gevent patched ``select`` (benchmark/gevent_pg_driver.py)."""
    waiting = sys.modules.get("psycopg.waiting")
    return getattr(getattr(waiting, "wait", None), "__name__", "") == "wait_c"


def _postgres_warning(alias: str, config: Dict[str, Any], wrapper: type) -> Optional[checks.Warning]:
    engine = wrapper.__module__.rsplit(".", 1)[0]
    if _psycopg_waits_in_c():
        return checks.Warning(
            f"{engine}: psycopg was imported before gevent patched the process and waits for the server "
            "in C: every query blocks all the greenlets of the process.",
            hint="let gevent patch first (`celery worker -P gevent` does) or set "
            f"PSYCOPG_WAIT_FUNC=wait_select; see {PG_DOC}",
            obj=f"DATABASES[{alias!r}]",
            id=PSYCOPG_WAITS_IN_C,
        )
    if not (config.get("OPTIONS") or {}).get("pool"):
        return checks.Warning(
            f"{engine} in a gevent/eventlet worker: every task opens a new database connection.",
            hint=f"{_PG_POOL_FIX}; see {PG_DOC}",
            obj=f"DATABASES[{alias!r}]",
            id=NO_POOL_UNDER_GREEN_POOL,
        )
    return None


def _database_warning(
    alias: str, wrapper: type, config: Optional[Dict[str, Any]] = None
) -> Optional[checks.Warning]:
    if getattr(wrapper, "vendor", None) == "postgresql":
        return _postgres_warning(alias, config or {}, wrapper)
    if getattr(wrapper, "vendor", None) != "mysql":
        return None
    engine = wrapper.__module__.rsplit(".", 1)[0]
    if getattr(getattr(wrapper, "Database", None), "__name__", "") == "MySQLdb":
        return checks.Warning(
            f"{engine} on the mysqlclient driver (MySQLdb) in a gevent/eventlet worker: "
            "every query blocks all the greenlets of the process.",
            hint=f"{_DRIVER_FIX}; see {DOC}",
            obj=f"DATABASES[{alias!r}]",
            id=MYSQLCLIENT_UNDER_GREEN_POOL,
        )
    if not _pooled(wrapper):
        return checks.Warning(
            f"{engine} in a gevent/eventlet worker: every task opens a new database connection.",
            hint=f"{_POOL_FIX}; see {DOC}",
            obj=f"DATABASES[{alias!r}]",
            id=NO_POOL_UNDER_GREEN_POOL,
        )
    return None


def green_pool_database_warnings() -> List[checks.Warning]:
    """The warnings for ``settings.DATABASES`` in a gevent/eventlet worker (none when silenced)."""
    silenced = set(getattr(settings, "SILENCED_SYSTEM_CHECKS", ()))
    found = []
    for alias, config in settings.DATABASES.items():
        wrapper = _backend_wrapper(config)
        warning = _database_warning(alias, wrapper, config) if wrapper is not None else None
        if warning is not None and warning.id not in silenced:
            found.append(warning)
    return found


def process_is_green() -> bool:
    """Whether gevent or eventlet monkey-patched this process's sockets (never imports either)."""
    gevent_monkey = sys.modules.get("gevent.monkey")
    if gevent_monkey is not None and gevent_monkey.is_module_patched("socket"):
        return True
    eventlet_patcher = sys.modules.get("eventlet.patcher")
    return bool(eventlet_patcher is not None and eventlet_patcher.is_monkey_patched("socket"))


def pool_is_green(pool_cls: Any) -> bool:
    """Whether a Celery worker's pool (a class or an alias such as ``"gevent"``) runs greenlets."""
    if isinstance(pool_cls, str):
        return pool_cls.rsplit(":", 1)[0].rsplit(".", 1)[-1] in _GREEN_POOLS
    return getattr(pool_cls, "__module__", "").rsplit(".", 1)[-1] in _GREEN_POOLS


@checks.register(TAG)
def check_green_pool_database(app_configs=None, **kwargs) -> List[checks.CheckMessage]:
    """Django system check: the database warnings, in a gevent/eventlet-patched process only."""
    return list(green_pool_database_warnings()) if process_is_green() else []


def warn_at_worker_start(sender: Any = None, instance: Any = None, **kwargs: Any) -> None:
    """``celeryd_after_setup`` receiver: log the database warnings of a gevent/eventlet worker."""
    if instance is None or not pool_is_green(getattr(instance, "pool_cls", None)):
        return
    for warning in green_pool_database_warnings():
        logger.warning("%s", warning)
