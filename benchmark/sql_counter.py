"""Count the statements a process sends to MariaDB (PyMySQL) or PostgreSQL (psycopg 3), at the driver.

Both implementations talk to MariaDB through PyMySQL, and every statement — ORM queries, ``COMMIT``,
savepoints, the ``SET ...`` of a new connection — is one ``COM_QUERY`` packet sent by
``Connection._execute_command``. Counting those packets in each process gives what MariaDB's
``Questions`` counter would show for our processes alone, without the traffic of other clients of a
shared server. (``_execute_command`` is PyMySQL's internal method; if it ever disappears, the counter
stays at zero and ``install`` says so.)

On PostgreSQL (``python -m benchmark --db postgres``) psycopg's ``Cursor.execute``/``executemany`` calls
are counted, and each ``commit``/``rollback`` as two statements: psycopg sends the ``BEGIN`` of a
transaction by itself, with the transaction's first statement.

Standard library only at import time; imported as a top-level module by the driver and worker scripts.
"""

from contextlib import contextmanager
from typing import Dict, Iterator

STATE: Dict[str, int] = {"statements": 0, "commits": 0, "connects": 0, "paused": 0}

_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


def _verb(sql) -> str:
    """The first word of a statement, upper case (``sql`` is ``str`` or ``bytes``)."""
    head = sql[:16].decode("latin-1") if isinstance(sql, bytes | bytearray) else str(sql[:16])
    words = head.split(None, 1)
    return words[0].upper() if words else ""


def is_commit(sql, autocommit: bool, in_transaction: bool) -> bool:
    """Whether the server commits a transaction for this statement (see the module docstring)."""
    verb = _verb(sql)
    if verb == "COMMIT":
        return True
    return autocommit and not in_transaction and verb in _WRITES


def install() -> bool:
    """Wrap the installed drivers' statement senders once; False when neither driver is there."""
    psycopg_counted = _install_psycopg()
    return _install_pymysql() or psycopg_counted


def _install_psycopg() -> bool:
    try:
        import psycopg
    except ImportError:
        return False
    if getattr(psycopg.Cursor.execute, "bench_counted", False):
        return True

    from psycopg.pq import TransactionStatus

    def counting(original, weight: int, commit: bool = False):
        def counted(self, *args, **kwargs):
            if not STATE["paused"]:
                STATE["statements"] += weight
                if commit:
                    STATE["commits"] += 1
                elif weight == 1 and args:
                    connection = self.connection
                    idle = connection.info.transaction_status == TransactionStatus.IDLE
                    STATE["commits"] += is_commit(_sql_text(args[0]), connection.autocommit, not idle)
            return original(self, *args, **kwargs)

        counted.bench_counted = True  # type: ignore[attr-defined]
        return counted

    psycopg.Cursor.execute = counting(psycopg.Cursor.execute, 1)
    psycopg.Cursor.executemany = counting(psycopg.Cursor.executemany, 1)
    psycopg.Connection.commit = counting(psycopg.Connection.commit, 2, commit=True)
    psycopg.Connection.rollback = counting(psycopg.Connection.rollback, 2)
    original_connect = psycopg.Connection.connect.__func__

    def counted_connect(cls, *args, **kwargs):
        if not STATE["paused"]:
            STATE["connects"] += 1
        return original_connect(cls, *args, **kwargs)

    psycopg.Connection.connect = classmethod(counted_connect)
    # ``psycopg.connect`` (what Django's backend calls without a pool) is the original, bound at import.
    psycopg.connect = psycopg.Connection.connect
    return True


def _install_pymysql() -> bool:
    try:
        from pymysql.connections import Connection
        from pymysql.constants import COMMAND, SERVER_STATUS
    except ImportError:
        return False
    original = getattr(Connection, "_execute_command", None)
    if original is None or getattr(original, "bench_counted", False):
        return original is not None

    def counted(self, command, sql):
        if command == COMMAND.COM_QUERY and not STATE["paused"]:
            STATE["statements"] += 1
            status = self.server_status or 0
            STATE["commits"] += is_commit(
                sql,
                bool(status & SERVER_STATUS.SERVER_STATUS_AUTOCOMMIT),
                bool(status & SERVER_STATUS.SERVER_STATUS_IN_TRANS),
            )
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


def commits() -> int:
    return STATE["commits"]


def _sql_text(query) -> str:
    """psycopg's query argument as text (``str``, ``bytes`` or a ``psycopg.sql`` composable)."""
    # Django passes text; a composable is not recognised as a write (none of ours or upstream's)
    return query if isinstance(query, str | bytes | bytearray) else ""


def connects() -> int:
    return STATE["connects"]
