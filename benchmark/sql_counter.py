"""Count the statements a process sends to MariaDB, at the PyMySQL protocol level.

Both implementations talk to MariaDB through PyMySQL, and every statement — ORM queries, ``COMMIT``,
savepoints, the ``SET ...`` of a new connection — is one ``COM_QUERY`` packet sent by
``Connection._execute_command``. Counting those packets in each process gives what MariaDB's
``Questions`` counter would show for our processes alone, without the traffic of other clients of a
shared server. (``_execute_command`` is PyMySQL's internal method; if it ever disappears, the counter
stays at zero and ``install`` says so.)

Standard library only at import time; imported as a top-level module by the driver and worker scripts.
"""

from contextlib import contextmanager
from typing import Dict, Iterator

STATE: Dict[str, int] = {"statements": 0, "connects": 0, "paused": 0}


def install() -> bool:
    """Wrap PyMySQL's command sender once; False when PyMySQL (or the method) is not there."""
    try:
        from pymysql.connections import Connection
        from pymysql.constants import COMMAND
    except ImportError:
        return False
    original = getattr(Connection, "_execute_command", None)
    if original is None or getattr(original, "bench_counted", False):
        return original is not None

    def counted(self, command, sql):
        if command == COMMAND.COM_QUERY and not STATE["paused"]:
            STATE["statements"] += 1
        return original(self, command, sql)

    counted.bench_counted = True  # type: ignore[attr-defined]
    Connection._execute_command = counted
    _count_connects(Connection)
    return True


def _count_connects(connection_class) -> None:
    # A new server connection (TCP + auth handshake + session set-up) is the costliest thing a task can
    # do; upstream opens one per task, ours reuses pooled ones.
    original = connection_class.connect

    def counted_connect(self, *args, **kwargs):
        if not STATE["paused"]:
            STATE["connects"] += 1
        return original(self, *args, **kwargs)

    connection_class.connect = counted_connect


@contextmanager
def paused() -> Iterator[None]:
    """Statements sent inside are not counted (the benchmark's own polling)."""
    STATE["paused"] += 1
    try:
        yield
    finally:
        STATE["paused"] -= 1


@contextmanager
def resumed() -> Iterator[None]:
    """Count again inside (undoes one enclosing :func:`paused`)."""
    STATE["paused"] -= 1
    try:
        yield
    finally:
        STATE["paused"] += 1


def statements() -> int:
    return STATE["statements"]


def connects() -> int:
    return STATE["connects"]
