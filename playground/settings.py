"""Playground settings: the Django project used by demos, integration tests and benchmarks.

Configured by environment variables (read once, when Django loads this module):

* ``BAMBOO_DB``: ``sqlite`` (default, file ``BAMBOO_SQLITE_PATH`` or ``db.sqlite3`` in the repository),
  ``mysql://user:password@host:port/name`` (MariaDB/MySQL through PyMySQL, see docs/workers.md) or
  ``postgres://user:password@host:port/name`` (PostgreSQL through psycopg 3 and Django's connection
  pool, docs/settings.md). ``BAMBOO_DB_POOL_SIZE`` caps PostgreSQL's pool (default 20 per process).
* ``BAMBOO_BROKER``: a Celery broker URL (``amqp://guest:guest@127.0.0.1:5672//``, ``redis://...``);
  default ``memory://`` (kombu's in-process transport: messages never leave the process).
* ``BAMBOO_QUEUES``: comma-separated custom queue suffixes declared next to the default queues
  (``QueueResolver(name).queues()``), for workers started with ``-Q er_execute_<q>,er_schedule_<q>``
  and pipelines run with ``run_pipeline(..., queue="<q>")``.
* ``BAMBOO_BROKER_HEARTBEAT``: AMQP heartbeat seconds, default 0 (off; see docs/workers.md for why).
* ``BAMBOO_CELERY_IMPORTS``: comma-separated modules a worker imports at start (extra plugins).
* ``BAMBOO_PROMETHEUS_PORT``: when set, workers serve Prometheus metrics on that port.
* ``BAMBOO_REDIS``: ``redis://host:port/db``; node timeouts and timer events keep their deadlines there
  (else in the database). ``BAMBOO_DEADLINE_PREFIX`` prefixes their Redis keys,
  ``BAMBOO_DEADLINE_CLAIM_LEASE`` sets their scanners' claim lease (seconds, default 15),
  ``BAMBOO_DEADLINE_BACKEND`` (``redis`` / ``database``) chooses where deadlines live and
  ``BAMBOO_DEADLINE_QUEUE`` names the queue of their Celery tasks (default: Celery's default queue).
* ``BAMBOO_CELERY_STYLE=upstream``: leave out the Celery tuning below (late acknowledgement, requeue on
  worker loss, prefetch, heartbeat), as in a project that copied upstream's settings: workers then run
  with what the runtime sets by itself (docs/workers.md). Used by tests and the chaos suite.
* ``BAMBOO_DELIVERY_LEASE_SECONDS``: ``BAMBOO_DJANGO_ERI_DELIVERY_LEASE_SECONDS`` (default 30), e.g. a
  short lease for crash tests.
* ``BAMBOO_ENABLE_ROLLBACK=1``: ``PIPELINE_ENABLE_ROLLBACK``; ``BAMBOO_ROLLBACK_AUTO_CONTINUE=0``: a pipeline
  rolled back waits for ``resume_pipeline``; ``BAMBOO_ROLLBACK_QUEUE``: ``ROLLBACK_QUEUE`` (default
  ``rollback``); ``BAMBOO_ROLLBACK_QUEUES``: more rollback queue names to declare.
"""

import os
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlparse

from pipeline.contrib.rollback.queues import queues as rollback_queues
from pipeline.eri.celery.queues import *  # noqa: F403 - the documented recipe; brings CELERY_QUEUES
from pipeline.eri.celery.queues import CELERY_QUEUES, QueueResolver

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = os.environ.get("BAMBOO_SECRET_KEY", "playground-not-secret")
DEBUG = os.environ.get("BAMBOO_DEBUG", "1") == "1"
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "playground.urls"
WSGI_APPLICATION = "playground.wsgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "UTC"
STATIC_URL = "static/"

_DJANGO_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]
# The runtime's apps in dependency order.
_PIPELINE_APPS = [
    "pipeline",
    "pipeline.eri",
    "pipeline.component_framework",
    "pipeline.variable_framework",
    "pipeline.contrib.node_timeout",
    "pipeline.contrib.node_timer_event",
    "pipeline.contrib.rollback",
    "pipeline.contrib.plugin_execute",
    "pipeline.contrib.periodic_task",
    "pipeline.contrib.engine_admin",
    "django_celery_beat",
]
INSTALLED_APPS = _DJANGO_APPS + _PIPELINE_APPS
# The playground's own plugins (demo and benchmark components, a lazy variable, custom end events),
# discovered like any project's. They replace a shipped example of the same code (``example_component``).
COMPONENT_PATH = ["playground.components.collections"]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]


def database_from_url(url: str) -> dict:
    """The ``DATABASES["default"]`` entry for ``BAMBOO_DB``.

    Raises:
        ValueError: the URL is neither ``sqlite`` nor ``mysql://...`` with a database name.
    """
    if url in ("", "sqlite"):
        path = os.environ.get("BAMBOO_SQLITE_PATH", str(BASE_DIR / "db.sqlite3"))
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": path, "OPTIONS": {"timeout": 30}}
    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    if parsed.scheme in ("postgres", "postgresql") and name:
        return _postgres_database(parsed, name)
    if parsed.scheme not in ("mysql", "mariadb") or not name:
        raise ValueError(
            f"BAMBOO_DB={url!r}: expected 'sqlite', 'mysql://user:pass@host:port/name' or "
            "'postgres://user:pass@host:port/name'"
        )
    _use_pymysql()
    return {
        # Django's MySQL backend plus a per-process connection pool (pipeline/db/mysql/base.py).
        "ENGINE": "pipeline.db.mysql",
        "NAME": name,
        "USER": unquote(parsed.username or "root"),
        "PASSWORD": unquote(parsed.password or ""),
        "HOST": parsed.hostname or "127.0.0.1",
        "PORT": str(parsed.port or 3306),
        # Celery's Django fix-up "closes" the connection after each task: the pool takes it back and the
        # next task (any greenlet) reuses it. A longer age would pin one connection per dead greenlet.
        "CONN_MAX_AGE": int(os.environ.get("BAMBOO_DB_CONN_MAX_AGE", "0")),
        "OPTIONS": {
            "charset": "utf8mb4",
            # Workers poll rows other workers change: REPEATABLE READ would show them stale snapshots.
            "isolation_level": "read committed",
            # BAMBOO_DB_POOL=0 opens and closes a connection per task, as Django's own backend does.
            "pool": os.environ.get("BAMBOO_DB_POOL", "1") != "0",
            **_driver_options(parsed.query),
        },
        "TEST": {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"},
    }


def _postgres_database(parsed, name: str) -> dict:
    """PostgreSQL through psycopg 3 with Django's own connection pool (``OPTIONS["pool"]``, psycopg_pool).

    The pool plays the part ``pipeline.db.mysql`` plays on MariaDB: Celery's Django fix-up "closes" the
    connection after each task, which hands it back, and the next task (any greenlet) takes it already
    set up. Django refuses a pool with persistent connections, so ``CONN_MAX_AGE`` stays 0. The pool is
    capped (``BAMBOO_DB_POOL_SIZE``, default 20) because PostgreSQL has a process per connection and
    100 connections in all by default: a gevent worker's greenlets beyond the cap wait their turn, without
    blocking the others (psycopg waits on gevent's patched ``select``, docs/settings.md).
    """
    # READ COMMITTED, which workers polling rows that other workers change need, is PostgreSQL's default.
    options: dict = _driver_options(parsed.query)
    if os.environ.get("BAMBOO_DB_POOL", "1") != "0":
        size = int(os.environ.get("BAMBOO_DB_POOL_SIZE", "20"))
        # Idle connections beyond min_size close after a minute: an idle worker keeps two.
        options["pool"] = {"min_size": min(2, size), "max_size": size, "max_idle": 60, "timeout": 60}
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "USER": unquote(parsed.username or "postgres"),
        "PASSWORD": unquote(parsed.password or ""),
        "HOST": parsed.hostname or "127.0.0.1",
        "PORT": str(parsed.port or 5432),
        "CONN_MAX_AGE": 0,
        "OPTIONS": options,
    }


def _driver_options(query: str) -> dict:
    """``?ssl_disabled=true&connect_timeout=5`` → driver keyword arguments (``true``/``false``/ints)."""
    options: dict = {}
    for key, value in parse_qsl(query):
        if value.lower() in ("true", "false"):
            options[key] = value.lower() == "true"
        else:
            options[key] = int(value) if value.isdigit() else value
    return options


def _use_pymysql() -> None:
    # PyMySQL does its socket I/O in Python, so gevent's patched sockets make queries cooperative;
    # mysqlclient blocks the whole event loop for every query (benchmark/gevent_db_driver.py).
    # BAMBOO_MYSQL_DRIVER=mysqlclient keeps the C driver for prefork-only deployments.
    if os.environ.get("BAMBOO_MYSQL_DRIVER", "pymysql") == "pymysql":
        import pymysql

        pymysql.install_as_MySQLdb()


DATABASES = {"default": database_from_url(os.environ.get("BAMBOO_DB", "sqlite"))}

# ---------------------------------------------------------------------------------------- Celery
# ``memory://`` by default: the operator commands and the demo run the in-process worker of
# pipeline.eri.embedded; any other broker needs worker processes (docs/workers.md).
BROKER_URL = os.environ.get("BAMBOO_BROKER", "memory://")
CELERY_BROKER_URL = BROKER_URL
# An AMQP heartbeat makes Celery 5.5+ with the gevent pool stall about 0.1 s per message (about ten
# messages a second per worker, whatever -c is). Without it a dead connection is still detected by
# TCP keepalive and by the next publish/ack failing. Measured in tests/integration/test_heartbeat_stall.py.
UPSTREAM_STYLE_CELERY = os.environ.get("BAMBOO_CELERY_STYLE") == "upstream"
if not UPSTREAM_STYLE_CELERY:
    CELERY_BROKER_HEARTBEAT = int(os.environ.get("BAMBOO_BROKER_HEARTBEAT", "0"))
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

for _custom_queue in filter(None, os.environ.get("BAMBOO_QUEUES", "").split(",")):
    CELERY_QUEUES.extend(QueueResolver(_custom_queue).queues())

# Rollback (pipeline.contrib.rollback, docs/rollback.md): off unless BAMBOO_ENABLE_ROLLBACK=1. Workers
# consume ROLLBACK_QUEUE next to er_execute/er_schedule; BAMBOO_ROLLBACK_QUEUES declares more names.
PIPELINE_ENABLE_ROLLBACK = os.environ.get("BAMBOO_ENABLE_ROLLBACK", "0") == "1"
PIPELINE_ENABLE_AUTO_EXECUTE_WHEN_ROLL_BACKED = os.environ.get("BAMBOO_ROLLBACK_AUTO_CONTINUE", "1") == "1"
ROLLBACK_QUEUE = os.environ.get("BAMBOO_ROLLBACK_QUEUE", "rollback")
_rollback_queues = [ROLLBACK_QUEUE, *os.environ.get("BAMBOO_ROLLBACK_QUEUES", "").split(",")]
for _rollback_queue in dict.fromkeys(filter(None, _rollback_queues)):
    if all(queue.name != _rollback_queue for queue in CELERY_QUEUES):  # the list is shared: once each
        CELERY_QUEUES.extend(rollback_queues(_rollback_queue))
CELERY_TASK_QUEUES = CELERY_QUEUES
CELERY_TASK_ROUTES = QueueResolver("").routes_config()
CELERY_TASK_DEFAULT_PRIORITY = 100
if not UPSTREAM_STYLE_CELERY:
    # The runtime's tasks and workers set these by themselves (pipeline.eri.celery.maintenance); spelled
    # out here as a project that wants them for all of its tasks would. A message is acknowledged once
    # its task ran and goes back to the queue when the worker process dies mid-task; one message per
    # pool slot, so no worker hoards messages another idle worker could run.
    CELERY_TASK_ACKS_LATE = True
    CELERY_TASK_REJECT_ON_WORKER_LOST = True
    CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_IMPORTS = tuple(name for name in os.environ.get("BAMBOO_CELERY_IMPORTS", "").split(",") if name)
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

# ------------------------------------------------------------------- node timeouts and timer events
# Deadlines live in Redis when BAMBOO_REDIS (redis://host:port/db) is set, else in the database
# (docs/node-timeout.md). BAMBOO_DEADLINE_PREFIX gives the Redis keys a prefix of their own.
if os.environ.get("BAMBOO_REDIS"):
    _redis = urlparse(os.environ["BAMBOO_REDIS"])
    REDIS = {
        "host": _redis.hostname or "127.0.0.1",
        "port": _redis.port or 6379,
        "db": int(_redis.path.lstrip("/") or 0),
        **({"password": unquote(_redis.password)} if _redis.password else {}),
    }
if os.environ.get("BAMBOO_DEADLINE_PREFIX"):
    _prefix = os.environ["BAMBOO_DEADLINE_PREFIX"]
    PIPELINE_NODE_TIMEOUT_EXECUTING_POOL = f"{_prefix}:executing_node_pool"
    PIPELINE_NODE_TIMER_EVENT_KEY_PREFIX = f"{_prefix}:node_timer_event"
    PIPELINE_NODE_TIMER_EVENT_EXECUTING_POOL = f"{_prefix}:node_timer_event:executing_node_pool"
PIPELINE_NODE_TIMEOUT_CLAIM_LEASE = PIPELINE_NODE_TIMER_EVENT_CLAIM_LEASE = float(
    os.environ.get("BAMBOO_DEADLINE_CLAIM_LEASE", "15")
)
if os.environ.get("BAMBOO_DEADLINE_BACKEND"):  # "redis" or "database" instead of the automatic choice
    PIPELINE_NODE_TIMEOUT_BACKEND = PIPELINE_NODE_TIMER_EVENT_BACKEND = os.environ["BAMBOO_DEADLINE_BACKEND"]
if os.environ.get("BAMBOO_DEADLINE_QUEUE"):  # one queue for the four tasks of both apps
    PIPELINE_NODE_TIMEOUT_DISPATCH_QUEUE = PIPELINE_NODE_TIMEOUT_HANDLE_QUEUE = os.environ[
        "BAMBOO_DEADLINE_QUEUE"
    ]
    PIPELINE_NODE_TIMER_EVENT_DISPATCH_QUEUE = PIPELINE_NODE_TIMER_EVENT_HANDLE_QUEUE = (
        PIPELINE_NODE_TIMEOUT_HANDLE_QUEUE
    )
BAMBOO_DJANGO_ERI_DELIVERY_LEASE_SECONDS = float(os.environ.get("BAMBOO_DELIVERY_LEASE_SECONDS", "30"))

# ---------------------------------------------------------------------------------------- logging
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
        "node": {"class": "pipeline.eri.log.ERINodeLogHandler"},
    },
    "loggers": {
        "pipeline.eri.log": {"handlers": ["node"], "level": "INFO", "propagate": False},
        "bamboo_engine": {"handlers": ["console"], "level": os.environ.get("BAMBOO_LOG_LEVEL", "WARNING")},
        "pipeline": {"handlers": ["console"], "level": os.environ.get("BAMBOO_LOG_LEVEL", "WARNING")},
    },
}
