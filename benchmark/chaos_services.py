"""Private MariaDB and RabbitMQ servers for the chaos suite, so that its faults hurt nobody else.

The suite restarts the database, stops the broker's application and kills database connections. On
the machine's shared servers that would break every other client (other test runs, other benchmarks),
so :class:`PrivateServices` starts a MariaDB server and a RabbitMQ node of its own, on other ports and
in a scratch directory, and stops them at the end:

* MariaDB: ``mariadb-install-db`` into ``<dir>/mariadb``, then ``mariadbd --no-defaults`` on
  127.0.0.1:``db_port`` (default 3307) with its own socket and pid file;
* RabbitMQ: ``rabbitmq-server`` as node ``bamboo-chaos-<pid>@localhost`` on 127.0.0.1:``amqp_port``
  (default 5673), distribution port ``amqp_port + 20000``, its own Mnesia directory, Erlang cookie
  (``HOME``), configuration and an empty plugin list; ``rabbitmqctl -n <node>`` talks to it.

Both are started and stopped by PID (never by name). Only loopback addresses are used.
"""

import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional

RABBITMQ_BIN = Path("/usr/lib/rabbitmq/bin")
START_TIMEOUT = 90.0


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_for(predicate, timeout: float, what: str, interval: float = 0.2) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not ready after {timeout:.0f}s")
        time.sleep(interval)


@dataclass
class PrivateMariaDB:
    """A MariaDB server of our own: install once, start, stop, restart (same data directory)."""

    base: Path
    port: int
    process: Optional[subprocess.Popen] = None

    @property
    def datadir(self) -> Path:
        return self.base / "mariadb"

    @property
    def url(self) -> str:
        return f"mysql://root:@127.0.0.1:{self.port}"

    def install(self) -> None:
        if port_open(self.port):
            raise RuntimeError(f"port {self.port} is in use: choose another with --db-port")
        self.base.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                "mariadb-install-db",
                "--no-defaults",
                f"--datadir={self.datadir}",
                "--user=root",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
            ],
            check=True,
            capture_output=True,
        )

    def command(self) -> List[str]:
        return [
            "/usr/sbin/mariadbd",
            "--no-defaults",
            f"--datadir={self.datadir}",
            "--user=root",
            "--bind-address=127.0.0.1",
            f"--port={self.port}",
            f"--socket={self.base / 'mariadb.sock'}",
            f"--pid-file={self.base / 'mariadb.pid'}",
            "--skip-name-resolve",
            "--skip-log-bin",
            "--max-connections=2000",
            "--character-set-server=utf8mb4",
            "--collation-server=utf8mb4_general_ci",
            "--innodb-buffer-pool-size=128M",
        ]

    def start(self) -> None:
        with open(self.base / "mariadb.log", "ab") as log:
            self.process = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT)
        wait_for(self._answers, START_TIMEOUT, f"MariaDB on port {self.port}")

    def _answers(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise RuntimeError(
                f"mariadbd exited ({self.process.returncode}); see {self.base / 'mariadb.log'}"
            )
        try:
            connection = connect(self.port)
        except Exception:  # noqa: BLE001 - not up yet
            return False
        connection.close()
        return True

    def stop(self) -> None:
        """Clean shutdown (SIGTERM), as ``systemctl restart`` would do."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()


def connect(port: int, database: Optional[str] = None):
    import pymysql

    return pymysql.connect(
        host="127.0.0.1",
        port=port,
        user="root",
        password="",
        database=database,
        autocommit=True,
        connect_timeout=3,
    )


@dataclass
class PrivateRabbitMQ:
    """A RabbitMQ node of our own next to the machine's (``rabbitmqctl -n NODE``)."""

    base: Path
    port: int
    node: str = field(default_factory=lambda: f"bamboo-chaos-{os.getpid()}@localhost")
    process: Optional[subprocess.Popen] = None

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}"

    def env(self) -> dict:
        return dict(
            os.environ,
            HOME=str(self.base / "home"),
            RABBITMQ_CONF_ENV_FILE="/dev/null",
            RABBITMQ_NODENAME=self.node,
            RABBITMQ_NODE_PORT=str(self.port),
            RABBITMQ_DIST_PORT=str(self.port + 20000),
            RABBITMQ_MNESIA_BASE=str(self.base / "mnesia"),
            RABBITMQ_LOG_BASE=str(self.base / "log"),
            RABBITMQ_CONFIG_FILE=str(self.base / "rabbitmq.conf"),
            RABBITMQ_ENABLED_PLUGINS_FILE=str(self.base / "enabled_plugins"),
            RABBITMQ_PID_FILE=str(self.base / "rabbitmq.pid"),
            ERL_EPMD_ADDRESS="127.0.0.1",
        )

    def install(self) -> None:
        if port_open(self.port):
            raise RuntimeError(f"port {self.port} is in use: choose another with --amqp-port")
        for name in ("home", "mnesia", "log"):
            (self.base / name).mkdir(parents=True, exist_ok=True)
        cookie = self.base / "home" / ".erlang.cookie"
        cookie.write_text(uuid.uuid4().hex.upper())
        cookie.chmod(0o400)
        (self.base / "rabbitmq.conf").write_text(f"listeners.tcp.local = 127.0.0.1:{self.port}\n")
        (self.base / "enabled_plugins").write_text("[].\n")

    def start(self) -> None:
        with open(self.base / "rabbitmq.out", "ab") as log:
            self.process = subprocess.Popen(
                [str(RABBITMQ_BIN / "rabbitmq-server")],
                cwd=self.base,
                env=self.env(),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_for(lambda: port_open(self.port), START_TIMEOUT, f"RabbitMQ node {self.node}")

    def ctl(self, *args: str, check: bool = True) -> str:
        completed = subprocess.run(
            [str(RABBITMQ_BIN / "rabbitmqctl"), "-n", self.node, "-q", *args],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=120,
        )
        if check and completed.returncode != 0:
            raise RuntimeError(f"rabbitmqctl {' '.join(args)}: {completed.stderr.strip()}")
        return completed.stdout

    def stop_app(self) -> None:
        self.ctl("stop_app")

    def start_app(self) -> None:
        self.ctl("start_app")
        wait_for(lambda: port_open(self.port), START_TIMEOUT, f"RabbitMQ node {self.node}")

    def stop(self) -> None:
        if self.process is None:
            return
        self.ctl("stop", check=False)
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.process = None

    def ensure_vhost(self, vhost: str) -> None:
        if vhost not in self.ctl("list_vhosts", "name").split():
            self.ctl("add_vhost", vhost)
        self.ctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")

    def queue_depth(self, vhost: str) -> int:
        """Messages ready or unacknowledged in every queue of ``vhost`` (-1 when the node is down)."""
        try:
            output = self.ctl("list_queues", "-p", vhost, "messages")
        except (RuntimeError, subprocess.TimeoutExpired):
            return -1
        return sum(int(value) for value in output.split() if value.isdigit())

    def purge(self, vhost: str, queues: List[str]) -> None:
        for queue in queues:
            self.ctl("purge_queue", "-p", vhost, queue, check=False)


@dataclass
class PrivateServices:
    """Both servers, installed into a fresh scratch directory and started together."""

    base: Path
    db_port: int = 3307
    amqp_port: int = 5673
    keep: bool = False

    def __post_init__(self) -> None:
        self.mariadb = PrivateMariaDB(self.base / "db", self.db_port)
        self.rabbitmq = PrivateRabbitMQ(self.base / "mq", self.amqp_port)

    def start(self) -> None:
        self.mariadb.install()
        self.rabbitmq.install()
        self.rabbitmq.start()
        self.mariadb.start()

    def stop(self) -> None:
        try:
            self.rabbitmq.stop()
        finally:
            self.mariadb.stop()
            if not self.keep:
                shutil.rmtree(self.base / "db" / "mariadb", ignore_errors=True)
                shutil.rmtree(self.base / "mq" / "mnesia", ignore_errors=True)
