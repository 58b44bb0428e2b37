"""The integration environment: real MariaDB (or PostgreSQL), RabbitMQ and Celery worker processes.

``BAMBOO_IT_DB=postgres`` runs the session on PostgreSQL (``BAMBOO_IT_POSTGRES``, the role that
``scripts/postgres-setup.sql`` creates) instead of MariaDB (``BAMBOO_IT_MYSQL``): ``make
integration-postgres``. One :class:`Session` per pytest process owns a dedicated database
``bamboo_test_<pid>_<hex>`` and a RabbitMQ virtual host of the same name, so messages and rows of other
runs can never interfere; both are dropped at the end. :class:`Worker` starts ``celery -A playground
worker`` as a child process pointed at them (``BAMBOO_DB``/``BAMBOO_BROKER``), waits until it answers a
ping and stops it by PID.

Django in the test process is set up here, lazily, with ``playground.settings`` on the session's
database and broker: integration tests therefore need their own pytest process (``make integration``),
since a process can configure Django only once.
"""

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence
from urllib.parse import urlparse

REPO_ROOT = Path(__file__).resolve().parents[2]
MYSQL_URL = os.environ.get("BAMBOO_IT_MYSQL", "mysql://root@127.0.0.1:3306")
POSTGRES_URL = os.environ.get("BAMBOO_IT_POSTGRES", "postgres://bamboo:bamboo@127.0.0.1:5432")
#: The session's database server: ``mariadb`` (default) or ``postgres``.
DATABASE = os.environ.get("BAMBOO_IT_DB", "mariadb")
if DATABASE not in ("mariadb", "postgres"):
    raise ValueError(f"BAMBOO_IT_DB={DATABASE!r}: expected 'mariadb' or 'postgres'")
AMQP_URL = os.environ.get("BAMBOO_IT_AMQP", "amqp://guest:guest@127.0.0.1:5672")
REDIS_URL = os.environ.get("BAMBOO_IT_REDIS", "redis://127.0.0.1:6379/0")
SERVICE_START_TIMEOUT = float(os.environ.get("BAMBOO_IT_SERVICE_TIMEOUT", "120"))
WORKER_READY_TIMEOUT = 90.0
WORKER_STOP_TIMEOUT = 30.0
#: Queue suffixes every session declares (each worker consumes one of them, see docs/workers.md).
SESSION_QUEUES = (
    "gv",
    "ct",
    "crash",
    "kill",
    "ups",
    "chaos",
    "hb",
    "mp",
    "pl",
    "plw",
    "prom",
    "aq",
    "dl",
    "rb",
    "rbm",
    "rbi",
    "pt",
)
#: Rollback queues the session declares besides the default ``rollback`` (a worker of its own each).
SESSION_ROLLBACK_QUEUES = ("rollback_rb", "rollback_rbm")
_SESSION_NAME = re.compile(r"^bamboo_test_(\d+)_[0-9a-f]+$")


def wait_until(
    predicate: Callable[[], object], timeout: float, description: str, interval: float = 0.1
) -> object:
    """Poll ``predicate`` until it returns something truthy; returns that value.

    Raises:
        TimeoutError: naming ``description`` when the timeout expires.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {description}")
        time.sleep(interval)


# --------------------------------------------------------------------------------------- services
SERVICES_SCRIPT = REPO_ROOT / "scripts" / "services.sh"


def ensure_services(timeout: float = SERVICE_START_TIMEOUT) -> None:
    """Start MariaDB, PostgreSQL, RabbitMQ and Redis when they do not answer, and wait until they do.

    The same script as CI's (``scripts/services.sh``), pointed at ``BAMBOO_IT_MYSQL`` / ``BAMBOO_IT_AMQP``.
    On PostgreSQL the script must find it installed (and creates the role of ``scripts/postgres-setup.sql``).

    Raises:
        RuntimeError: a service did not come up in time (the script's output is in the message).
    """
    mysql, amqp, redis = urlparse(MYSQL_URL), urlparse(AMQP_URL), urlparse(REDIS_URL)
    env = dict(
        os.environ,
        MARIADB_HOST=mysql.hostname or "127.0.0.1",
        MARIADB_PORT=str(mysql.port or 3306),
        MARIADB_USER=mysql.username or "root",
        MARIADB_PASSWORD=mysql.password or "",
        AMQP_HOST=amqp.hostname or "127.0.0.1",
        AMQP_PORT=str(amqp.port or 5672),
        REDIS_HOST=redis.hostname or "127.0.0.1",
        REDIS_PORT=str(redis.port or 6379),
        BAMBOO_SERVICE_TIMEOUT=str(int(timeout)),
        BAMBOO_REQUIRE_POSTGRES="1" if DATABASE == "postgres" else "0",
    )
    completed = subprocess.run(
        ["bash", str(SERVICES_SCRIPT)], env=env, capture_output=True, text=True, timeout=timeout * 2 + 60
    )
    if completed.returncode != 0:
        raise RuntimeError(f"integration services unavailable:\n{completed.stdout}{completed.stderr}")


def _mysql_connect(database: Optional[str] = None):
    import pymysql

    parsed = urlparse(MYSQL_URL)
    return pymysql.connect(
        host=parsed.hostname,
        port=parsed.port or 3306,
        user=parsed.username or "root",
        password=parsed.password or "",
        database=database,
        connect_timeout=3,
        autocommit=True,
    )


def _mysql_execute(sql: str) -> List[tuple]:
    connection = _mysql_connect()
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return list(cursor.fetchall())
    finally:
        connection.close()


def _postgres_execute(sql: str) -> List[tuple]:
    """One statement on the ``postgres`` maintenance database as the integration role (autocommit)."""
    import psycopg

    parsed = urlparse(POSTGRES_URL)
    with psycopg.connect(
        host=parsed.hostname or "127.0.0.1",
        port=parsed.port or 5432,
        user=parsed.username or "bamboo",
        password=parsed.password or "",
        dbname="postgres",
        connect_timeout=3,
        autocommit=True,
    ) as connection:
        cursor = connection.execute(sql)
        return list(cursor.fetchall()) if cursor.description else []


def _session_databases() -> List[str]:
    if DATABASE == "postgres":
        rows = _postgres_execute("SELECT datname FROM pg_database WHERE datname LIKE 'bamboo\\_test\\_%'")
    else:
        rows = _mysql_execute("SHOW DATABASES LIKE 'bamboo\\_test\\_%'")
    return [name for (name,) in rows]


def _create_database(name: str) -> None:
    if DATABASE == "postgres":
        _postgres_execute(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0")
    else:
        _mysql_execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")


def _drop_database(name: str) -> None:
    if DATABASE == "postgres":
        # FORCE: a worker killed by a test may leave a backend behind for a moment.
        _postgres_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        _mysql_execute(f"DROP DATABASE IF EXISTS `{name}`")


def _rabbitmqctl(*args: str) -> str:
    result = subprocess.run(["rabbitmqctl", "-q", *args], capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise RuntimeError(f"rabbitmqctl {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _stale(name: str) -> bool:
    match = _SESSION_NAME.match(name)
    return bool(match) and not _pid_alive(int(match.group(1)))


def drop_stale_sessions() -> None:
    """Drop databases and vhosts left by integration sessions whose process no longer exists."""
    for name in _session_databases():
        if _stale(name):
            _drop_database(name)
    for name in _rabbitmqctl("list_vhosts", "name").split():
        if _stale(name):
            _rabbitmqctl("delete_vhost", name)


# --------------------------------------------------------------------------------------- session
class Session:
    """The database, virtual host and scratch directory of one pytest process."""

    def __init__(self, base_dir: Path) -> None:
        self.name = f"bamboo_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        self.base_dir = base_dir
        self.probe_dir = base_dir / "finish_probe"
        self.log_dir = base_dir / "logs"
        self.workers: List[Worker] = []
        #: Workers started on demand and kept for the whole session, by name (see :meth:`worker`).
        self.named_workers: Dict[str, Worker] = {}

    def worker(self, name: str, *args, **kwargs) -> "Worker":
        """The running worker ``name``, started with ``Worker(self, name, *args, **kwargs)`` if needed."""
        worker = self.named_workers.get(name)
        if worker is None or not worker.running():
            worker = Worker(self, name, *args, **kwargs).start()
            self.named_workers[name] = worker
        return worker

    @property
    def db_url(self) -> str:
        return f"{POSTGRES_URL if DATABASE == 'postgres' else MYSQL_URL}/{self.name}"

    @property
    def broker_url(self) -> str:
        return f"{AMQP_URL}/{self.name}"

    def env(self, **extra: str) -> Dict[str, str]:
        """Environment of a process that should use this session's database and broker."""
        env = dict(os.environ)
        env.update(
            DJANGO_SETTINGS_MODULE="playground.settings",
            BAMBOO_DB=self.db_url,
            BAMBOO_BROKER=self.broker_url,
            BAMBOO_QUEUES=",".join(SESSION_QUEUES),
            # node timeouts and timer events: deadlines in Redis, under keys of this session only
            BAMBOO_REDIS=REDIS_URL,
            BAMBOO_DEADLINE_PREFIX=self.name,
            BAMBOO_ROLLBACK_QUEUES=",".join(SESSION_ROLLBACK_QUEUES),
            BAMBOO_TEST_PROBE_DIR=str(self.probe_dir),
            BAMBOO_TEST_PARENT_PID=str(os.getpid()),
            PYTHONPATH=os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH", "")])),
        )
        env.update(extra)
        return env

    def create(self) -> None:
        """Create the database and vhost, set Django up on them here and migrate."""
        self.probe_dir.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        _create_database(self.name)
        _rabbitmqctl("add_vhost", self.name)
        _rabbitmqctl(
            "set_permissions", "-p", self.name, urlparse(AMQP_URL).username or "guest", ".*", ".*", ".*"
        )
        self.setup_django()
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)

    def setup_django(self) -> None:
        """Configure Django in this process on this session's database (see :func:`setup_django`)."""
        setup_django(self)

    def destroy(self) -> None:
        """Stop the workers still running, then drop the database and vhost."""
        for worker in list(self.workers):
            worker.stop()
        from django.db import connections

        connections.close_all()
        _drop_database(self.name)
        _rabbitmqctl("delete_vhost", self.name)
        shutil.rmtree(self.probe_dir, ignore_errors=True)

    def touched(self) -> int:
        """How many ``tests.integration.touch`` messages the workers consumed."""
        return sum(len(path.read_text().splitlines()) for path in self.probe_dir.glob("touch-*.log"))

    def finished_marks(self) -> Dict[str, int]:
        """How many committed FINISHED transitions the workers' probe saw, per node id."""
        counts: Dict[str, int] = {}
        for path in self.probe_dir.glob("[0-9]*.log"):
            for line in path.read_text().splitlines():
                node_id = line.strip()
                if node_id:
                    counts[node_id] = counts.get(node_id, 0) + 1
        return counts


_shared: Dict[str, Session] = {}


class DjangoConfiguredElsewhere(RuntimeError):
    """Django is already set up for another database in this process (e.g. SQLite for unit tests)."""


def check_django_free() -> None:
    """Raise :class:`DjangoConfiguredElsewhere` unless this process can still configure Django for us."""
    from django.conf import settings

    if settings.configured and "session" not in _shared:
        raise DjangoConfiguredElsewhere(
            "Django is already configured for another database in this pytest process; the integration "
            "tests run in their own process: `make integration`"
        )


def shared_session(config) -> Session:
    """The session of this pytest process, created on first use and destroyed at the end of the run.

    Shared by the integration fixtures and the contract suite's ``django-mariadb`` harness: one process
    can only configure Django for one database.

    Args:
        config: the pytest config (its cleanup destroys the session).
    """
    if "session" not in _shared:
        check_django_free()
        ensure_services()
        drop_stale_sessions()
        session = Session(Path(tempfile.mkdtemp(prefix="bamboo_it_")))
        session.create()
        _shared["session"] = session
        config.add_cleanup(_destroy_shared)
    return _shared["session"]


def _destroy_shared() -> None:
    session = _shared.pop("session", None)
    if session is not None:
        # The worker logs under session.base_dir stay, for post-mortems.
        session.destroy()


def setup_django(session: Session) -> None:
    """Configure Django in this process with ``playground.settings`` on the session's database.

    Raises:
        DjangoConfiguredElsewhere: Django was already configured otherwise in this process.
    """
    from django.conf import settings

    if settings.configured:
        if settings.DATABASES["default"].get("NAME") != session.name:
            raise DjangoConfiguredElsewhere(f"Django is configured for another database than {session.name}")
        return
    os.environ.update(
        {key: value for key, value in session.env().items() if key.startswith(("BAMBOO_", "DJANGO_"))}
    )
    import django

    django.setup()


# --------------------------------------------------------------------------------------- workers
class Worker:
    """One ``celery -A <app> worker`` child process of a session (``app``: ``celery_app`` by default)."""

    #: The default ``-A`` argument, and the directory the worker starts in.
    celery_app = "playground"
    cwd = REPO_ROOT

    def __init__(
        self,
        session: Session,
        name: str,
        pool: str,
        concurrency: int,
        queues: Sequence[str],
        extra_env: Optional[Dict[str, str]] = None,
        app: Optional[str] = None,
    ) -> None:
        self.session = session
        self.app = app or self.celery_app
        self.name = name
        self.pool = pool
        self.concurrency = concurrency
        self.queues = list(queues)
        self.extra_env = dict(extra_env or {})
        self.process: Optional[subprocess.Popen] = None
        self.log_path = session.log_dir / f"{name}.log"
        self.starts = 0

    @property
    def nodename(self) -> str:
        return f"{self.name}@{self.session.name}"

    def command(self) -> List[str]:
        return [
            sys.executable,
            "-m",
            "celery",
            "-A",
            self.app,
            "worker",
            "-n",
            self.nodename,
            "-P",
            self.pool,
            "-c",
            str(self.concurrency),
            "-Q",
            ",".join(self.queues),
            "-l",
            os.environ.get("BAMBOO_IT_WORKER_LOG_LEVEL", "WARNING"),
            "--without-gossip",
            "--without-mingle",
        ]

    def start(self, timeout: float = WORKER_READY_TIMEOUT) -> "Worker":
        """Start the process (in its own process group) and wait until it answers a ping."""
        self.starts += 1
        log = open(self.log_path, "ab")  # noqa: SIM115 - the child process owns it until it exits
        log.write(f"\n===== start {self.starts}: {' '.join(self.command())}\n".encode())
        log.flush()
        self.process = subprocess.Popen(
            self.command(),
            cwd=str(self.cwd),
            env=self.session.env(**self.extra_env),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log.close()
        if self not in self.session.workers:
            self.session.workers.append(self)
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float) -> None:
        from celery import current_app

        def answered() -> bool:
            if self.process is None or self.process.poll() is not None:
                raise RuntimeError(f"worker {self.nodename} exited during start-up:\n{self.log_tail()}")
            return bool(current_app.control.ping(destination=[self.nodename], timeout=0.5))

        try:
            wait_until(answered, timeout, f"worker {self.nodename} to answer a ping", interval=0.2)
        except TimeoutError as err:
            raise TimeoutError(f"{err}\n{self.log_tail()}") from err

    @property
    def pid(self) -> Optional[int]:
        return self.process.pid if self.process is not None else None

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def signal_group(self, signum: int) -> None:
        """Send ``signum`` to the worker's process group (the worker and its pool children)."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signum)

    def stop(self, timeout: float = WORKER_STOP_TIMEOUT) -> None:
        """SIGTERM (warm shutdown), then SIGKILL if it is still alive after ``timeout``."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.signal_group(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.signal_group(signal.SIGKILL)
                self.process.wait(10)
        # Pool children left in the group (prefork) go with it.
        self.signal_group(signal.SIGKILL)
        self.process = None
        if self in self.session.workers:
            self.session.workers.remove(self)

    def kill(self) -> None:
        """SIGKILL the worker and its pool children at once (a crash: nothing is acknowledged)."""
        if self.process is None:
            return
        self.signal_group(signal.SIGKILL)
        self.process.wait(10)
        self.process = None

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no worker log)"
        return "\n".join(text.splitlines()[-lines:])
