"""MariaDB or PostgreSQL databases and RabbitMQ vhosts of the benchmark (loopback servers only).

``BAMBOO_BENCH_DB`` (``--db``) chooses the database server: ``mariadb`` (default) or ``postgres`` (the
role and database of scripts/postgres-setup.sql, which scripts/services.sh creates).
"""

import os
import subprocess
import time
from pathlib import Path
from typing import Dict, Iterable
from urllib.parse import urlparse

MYSQL_SERVER = "mysql://root:@127.0.0.1:3306"
POSTGRES_SERVER = "postgres://bamboo:bamboo@127.0.0.1:5432"
AMQP_SERVER = "amqp://guest:guest@127.0.0.1:5672"
WORKER_QUEUES = ("er_execute", "er_schedule")


def db_url(database: str) -> str:
    """The ``BAMBOO_DB`` URL of both implementations; its query string becomes the driver's options.

    PyMySQL 1.2 tries TLS on every connection unless told not to ("preferred" mode), and building its
    SSL context loads the system CA bundle: ~50 ms of CPU per connection on the benchmark machine,
    against 0.7 ms for the connection itself (the server here has TLS disabled, so nothing is
    encrypted either way). Upstream opens a connection per task, so with the driver's default that cost
    dwarfs the engine's own work; both sides therefore run with ``ssl_disabled`` unless
    ``BAMBOO_BENCH_DRIVER_TLS=preferred`` (``--driver-tls preferred``) asks for the driver's default.

    On PostgreSQL: ``postgres://`` with psycopg's defaults.
    """
    if on_postgres():
        return f"{POSTGRES_SERVER}/{database}"
    if os.environ.get("BAMBOO_BENCH_DRIVER_TLS", "off") == "preferred":
        return f"{MYSQL_SERVER}/{database}"
    return f"{MYSQL_SERVER}/{database}?ssl_disabled=true"


def on_postgres() -> bool:
    return os.environ.get("BAMBOO_BENCH_DB", "mariadb") == "postgres"


def _pg_connect(database: str = "bamboo"):
    import psycopg

    parsed = urlparse(POSTGRES_SERVER)
    return psycopg.connect(
        host=parsed.hostname,
        port=parsed.port or 5432,
        user=parsed.username,
        password=parsed.password or "",
        dbname=database,
        autocommit=True,
    )


def broker_url(vhost: str) -> str:
    return f"{AMQP_SERVER}/{vhost}"


def _connect(url: str = MYSQL_SERVER, database: str = None):
    import pymysql

    parsed = urlparse(url)
    return pymysql.connect(
        host=parsed.hostname,
        port=parsed.port or 3306,
        user=parsed.username or "root",
        password=parsed.password or "",
        database=database,
        autocommit=True,
    )


def ensure_database(database: str) -> None:
    if on_postgres():
        with _pg_connect() as connection:
            if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone():
                connection.execute(f"CREATE DATABASE \"{database}\" ENCODING 'UTF8' TEMPLATE template0")
        return
    connection = _connect()
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE IF NOT EXISTS `{database}` CHARACTER SET utf8mb4")
    finally:
        connection.close()


def truncate_runtime_tables(database: str) -> None:
    """Empty the ``eri_*`` tables so every run starts from the same table sizes."""
    if on_postgres():
        with _pg_connect(database) as connection:
            rows = connection.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE 'eri\\_%'"
            ).fetchall()
            if rows:
                connection.execute("TRUNCATE TABLE " + ", ".join(f'"{name}"' for (name,) in rows))
        return
    connection = _connect(database=database)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SHOW TABLES LIKE 'eri\\_%%'")
            tables = [row[0] for row in cursor.fetchall()]
            for table in tables:
                cursor.execute(f"TRUNCATE TABLE `{table}`")
    finally:
        connection.close()


def max_connections() -> int:
    if on_postgres():
        with _pg_connect() as connection:
            return int(connection.execute("SHOW max_connections").fetchone()[0])
    connection = _connect()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SHOW VARIABLES LIKE 'max_connections'")
            return int(cursor.fetchone()[1])
    finally:
        connection.close()


def raise_max_connections(value: int) -> None:
    connection = _connect()
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"SET GLOBAL max_connections = {int(value)}")
    finally:
        connection.close()


def _rabbitmqctl(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["rabbitmqctl", "-q", *args], capture_output=True, text=True, check=check)


def ensure_vhost(vhost: str) -> None:
    existing = _rabbitmqctl("list_vhosts").stdout.split()
    if vhost not in existing:
        _rabbitmqctl("add_vhost", vhost)
    _rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")


def purge_queues(vhost: str, queues: Iterable[str] = WORKER_QUEUES) -> None:
    """Drop leftover messages (a timed-out run, or the start message of a prepare-only run)."""
    for queue in queues:
        _rabbitmqctl("purge_queue", "-p", vhost, queue, check=False)


# Process names (``/proc/<pid>/comm``) of the local servers whose CPU a run is charged with.
SERVER_PROCESSES = {"mariadb": ("mariadbd", "mysqld"), "rabbitmq": ("beam.smp",)}


def server_cpu_seconds(proc: str = "/proc") -> Dict[str, float]:
    """User + system CPU seconds the local MariaDB and RabbitMQ servers have used so far, by server.

    The capacity model (docs/scaling.md) needs the servers' cost per node next to the workers'. Read
    from ``/proc/<pid>/stat`` of the processes named in :data:`SERVER_PROCESSES` (the servers run on
    this machine; a PostgreSQL server's backends exit with their connections, so it is not read).
    The figure covers every client of a shared server, not the benchmark alone.
    """
    ticks = os.sysconf("SC_CLK_TCK")
    totals = {server: 0.0 for server in SERVER_PROCESSES}
    for entry in Path(proc).iterdir():
        if not entry.name.isdigit():
            continue
        try:
            name = (entry / "comm").read_text().strip()
            stat = (entry / "stat").read_text()
        except OSError:  # exited meanwhile, or not ours to read
            continue
        for server, names in SERVER_PROCESSES.items():
            if name in names:
                fields = stat.rsplit(")", 1)[1].split()  # after "(comm)": fields 3.. of proc(5)
                totals[server] += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return totals


def machine_busy_seconds(proc: str = "/proc") -> float:
    """CPU seconds all cores of this machine have spent busy since boot (``/proc/stat``: user, nice,
    system, irq, softirq): its delta over a span, divided by the span, is the number of busy cores."""
    for line in Path(proc, "stat").read_text().splitlines():
        if line.startswith("cpu "):
            fields = [int(value) for value in line.split()[1:]]
            return (fields[0] + fields[1] + fields[2] + fields[5] + fields[6]) / os.sysconf("SC_CLK_TCK")
    return 0.0


def background(seconds: float) -> Dict[str, float]:
    """What the machine and the servers do without a run: busy cores and server cores over ``seconds``.

    Taken just before a run (``--background``), so that a loaded machine's figures can be read against
    what else was running, and the servers' idle rate subtracted from their CPU during the run
    (docs/scaling.md).
    """
    busy, servers = machine_busy_seconds(), server_cpu_seconds()
    time.sleep(seconds)
    busy_after, servers_after = machine_busy_seconds(), server_cpu_seconds()
    rates = {f"{name}_cores": (servers_after[name] - servers[name]) / seconds for name in servers}
    return {"seconds": seconds, "busy_cores": (busy_after - busy) / seconds, **rates}
