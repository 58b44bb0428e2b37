"""Count the statements a process sends to MariaDB (PyMySQL or mysqlclient) or PostgreSQL (psycopg 3).

Both implementations talk to MariaDB through PyMySQL, and every statement — ORM queries, ``COMMIT``,
savepoints, the ``SET ...`` of a new connection — is one ``COM_QUERY`` packet sent by
``Connection._execute_command``. Counting those packets in each process gives what MariaDB's
``Questions`` counter would show for our processes alone, without the traffic of other clients of a
shared server. (``_execute_command`` is PyMySQL's internal method; if it ever disappears, the counter
stays at zero and ``install`` says so.)

mysqlclient (the C ``MySQLdb`` of ``--settings upstream-style``) sends its packets in C, so it is counted
at its Python surface instead (:func:`wrap_mysqlclient`): each ``query`` call (every cursor ``execute``
ends in one), ``commit``/``rollback``, an ``autocommit(on)`` that changes the mode (mysqlclient sends
``SET autocommit`` only then), and ``set_character_set`` (its ``SET NAMES``, sent by every new
connection). ``ping`` is not counted: ``COM_PING`` is not a statement for MariaDB's ``Questions`` either.
Which MySQL driver a process counts is chosen by ``BAMBOO_BENCH_MYSQL_DRIVER`` (``pymysql``, the default,
or ``mysqlclient``), which the harness sets: a project on PyMySQL installs it as ``MySQLdb``, and
importing the real one there first would mix the two drivers' modules.

On PostgreSQL (``python -m benchmark --db postgres``) psycopg's ``Cursor.execute``/``executemany`` calls
are counted, and each ``commit``/``rollback`` as two statements: psycopg sends the ``BEGIN`` of a
transaction by itself, with the transaction's first statement.

Standard library only at import time; imported as a top-level module by the driver and worker scripts.
"""

import os
from contextlib import contextmanager
from typing import Any, Dict, Iterator

# commit_statements: the COMMITs alone (what MariaDB's Com_commit counts), to cross-check ``commits``
STATE: Dict[str, int] = {"statements": 0, "commits": 0, "commit_statements": 0, "connects": 0, "paused": 0}

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


def _ends_transaction(sql) -> bool:
    """``COMMIT`` or ``ROLLBACK`` (not ``ROLLBACK TO SAVEPOINT``, which keeps the transaction open)."""
    head = sql[:24].decode("latin-1") if isinstance(sql, bytes | bytearray) else str(sql[:24])
    words = head.upper().split()
    if not words:
        return False
    return words[0] == "COMMIT" or (words[0] == "ROLLBACK" and words[1:2] != ["TO"])


def _count_statement(sql, autocommit: bool, in_transaction: bool) -> None:
    STATE["statements"] += 1
    STATE["commits"] += is_commit(sql, autocommit, in_transaction)
    STATE["commit_statements"] += _verb(sql) == "COMMIT"


def install() -> bool:
    """Wrap the installed drivers' statement senders once; False when no driver is there."""
    psycopg_counted = _install_psycopg()
    if os.environ.get("BAMBOO_BENCH_MYSQL_DRIVER", "pymysql") == "mysqlclient":
        return _install_mysqlclient() or psycopg_counted
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
                    STATE["commit_statements"] += 1
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
            status = self.server_status or 0
            _count_statement(
                sql,
                bool(status & SERVER_STATUS.SERVER_STATUS_AUTOCOMMIT),
                bool(status & SERVER_STATUS.SERVER_STATUS_IN_TRANS),
            )
        return original(self, command, sql)

    counted.bench_counted = True  # type: ignore[attr-defined]
    Connection._execute_command = counted
    _count_connects(Connection)
    return True


def _install_mysqlclient() -> bool:
    try:
        from MySQLdb.connections import Connection
    except ImportError:
        return False
    wrap_mysqlclient(Connection)
    return True


_IN_TRANSACTION = "_bench_in_transaction"  # an explicit BEGIN / START TRANSACTION is open


def _autocommit_of(connection: Any) -> bool:
    # the server's status flag of the last reply (mysqlclient reads it without a round trip)
    try:
        return bool(connection.get_autocommit())
    except Exception:  # noqa: BLE001 - a closed connection: its next statement fails anyway
        return False


def wrap_mysqlclient(connection_class: Any) -> None:
    """Count the statements, commits and connects of mysqlclient's ``Connection`` class (once).

    A write counts as a commit when the session is in autocommit mode (``get_autocommit()``) and no
    explicit transaction is open; mysqlclient does not expose the server's in-transaction flag, so an
    explicit ``BEGIN``/``START TRANSACTION`` is tracked until its ``COMMIT``/``ROLLBACK``. (Django's
    backend never sends one: its transactions are ``autocommit(False)`` ... ``commit()`` ...
    ``autocommit(True)``.)
    """
    if getattr(connection_class.query, "bench_counted", False):
        return
    for name, counting in _MYSQLCLIENT_WRAPPERS.items():
        wrapper = counting(getattr(connection_class, name))
        wrapper.bench_counted = True
        setattr(connection_class, name, wrapper)


def _counted_init(original):
    def init(self, *args, **kwargs):
        if not STATE["paused"]:
            STATE["connects"] += 1
        original(self, *args, **kwargs)

    return init


def _counted_query(original):
    def query(self, sql):
        if not STATE["paused"]:
            _count_statement(sql, _autocommit_of(self), bool(getattr(self, _IN_TRANSACTION, False)))
        if _verb(sql) in ("BEGIN", "START"):
            setattr(self, _IN_TRANSACTION, True)
        elif _ends_transaction(sql):
            setattr(self, _IN_TRANSACTION, False)
        return original(self, sql)

    return query


def _counted_end(original, commit: bool):
    """``commit()`` / ``rollback()``: one statement that ends the transaction."""

    def end(self):
        if not STATE["paused"]:
            STATE["statements"] += 1
            STATE["commits"] += commit
            STATE["commit_statements"] += commit
        setattr(self, _IN_TRANSACTION, False)
        return original(self)

    return end


def _counted_autocommit(original):
    def autocommit(self, on):
        if _autocommit_of(self) != bool(on):  # mysqlclient sends SET autocommit only on a change
            if not STATE["paused"]:
                STATE["statements"] += 1
            if on:  # the server commits an open transaction when autocommit is switched on
                setattr(self, _IN_TRANSACTION, False)
        return original(self, on)

    return autocommit


def _counted_charset(original):
    def set_character_set(self, charset, collation=None):
        if not STATE["paused"]:
            STATE["statements"] += 1  # SET NAMES, sent in C (a collation's own SET NAMES goes via query)
        return original(self, charset, collation)

    return set_character_set


_MYSQLCLIENT_WRAPPERS = {
    "__init__": _counted_init,
    "query": _counted_query,
    "commit": lambda original: _counted_end(original, commit=True),
    "rollback": lambda original: _counted_end(original, commit=False),
    "autocommit": _counted_autocommit,
    "set_character_set": _counted_charset,
}


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


def commit_statements() -> int:
    return STATE["commit_statements"]


def _sql_text(query) -> str:
    """psycopg's query argument as text (``str``, ``bytes`` or a ``psycopg.sql`` composable)."""
    # Django passes text; a composable is not recognised as a write (none of ours or upstream's)
    return query if isinstance(query, str | bytes | bytearray) else ""


def connects() -> int:
    return STATE["connects"]
