"""Multi-row INSERTs of plain rows, for writing a prepared run (:mod:`pipeline.eri.imp.prepare`).

``executemany`` is the generic path. On PyMySQL it spends most of a large run's insert time escaping
values in Python (a ``str.translate`` per value, plus a type dispatch through its encoders). For the few
types the prepare rows hold, :func:`literal_function` builds the same SQL literals with C-level string
methods, following the driver's own rule for the session: backslash escapes, or only doubled quotes when
the server reports ``NO_BACKSLASH_ESCAPES``. A :class:`~pipeline.eri.imp.statement_pipe.StatementPipe`
executes those statements while the next ones are built. Any other driver keeps ``executemany``: SQLite
binds values natively and mysqlclient escapes in C.
"""

import sys
from itertools import islice
from typing import Any, Callable, Iterable, Iterator, List, Optional, Sequence, Tuple

from pipeline.eri.imp.statement_pipe import StatementPipe

Literal = Callable[[Any], str]
# (table name, column names, rows): what :func:`insert_tables` writes.
Table = Tuple[str, Sequence[str], Iterable[tuple]]

# PyMySQL's SERVER_STATUS_NO_BACKSLASH_ESCAPES: the server reports the session's sql_mode in every reply.
SERVER_STATUS_NO_BACKSLASH_ESCAPES = 512

# Connection charsets in which the bytes of ' and \ never occur inside a multi-byte character, so escaping
# characters is the same as escaping bytes. Not e.g. gbk, big5 or sjis, where they can be a trailing byte.
SAFE_CHARSETS = frozenset({"utf8mb4", "utf8mb3", "utf8", "latin1", "ascii"})

# Characters per statement: PyMySQL's own executemany limit (Cursor.max_stmt_length). At most 4 bytes a
# character in UTF-8 keeps a statement under 4 MiB, the smallest default max_allowed_packet (MySQL 5.7).
MAX_STATEMENT_CHARS = 1024000


def backslash_literal(text: str) -> str:
    """``text`` as a quoted literal for a session with backslash escapes (MySQL's default).

    The escapes are PyMySQL's ``escape_string``, except ``"``: it is not special inside single quotes,
    and node details are JSON, full of them. ``\\`` goes first so that later escapes are not doubled.
    """
    return (
        "'"
        + text.replace("\\", "\\\\")
        .replace("'", "\\'")
        .replace("\0", "\\0")
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\032", "\\Z")
        + "'"
    )


def quote_doubling_literal(text: str) -> str:
    """``text`` as a quoted literal under ``NO_BACKSLASH_ESCAPES``, where ``\\`` is an ordinary character."""
    return "'" + text.replace("'", "''") + "'"


def literal_function(raw_connection: Any) -> Optional[Literal]:
    """The literal builder for ``raw_connection``'s session, or None to keep the driver's ``executemany``.

    Only a PyMySQL connection with a :data:`SAFE_CHARSETS` charset qualifies. The escaping mode is read
    from the server status of the last reply, as PyMySQL does for each value.
    """
    try:
        from pymysql.connections import Connection
    except ImportError:  # pragma: no cover - PyMySQL is a dependency of the MySQL setups
        return None
    if not isinstance(raw_connection, Connection) or raw_connection.charset not in SAFE_CHARSETS:
        return None
    status = getattr(raw_connection, "server_status", None)  # set by the handshake
    if status is None:
        return None
    no_backslash = status & SERVER_STATUS_NO_BACKSLASH_ESCAPES
    return _literal(quote_doubling_literal if no_backslash else backslash_literal, raw_connection.escape)


def _literal(text_literal: Callable[[str], str], driver_escape: Literal) -> Literal:
    def literal(value: Any) -> str:
        kind = type(value)
        if kind is str:
            return text_literal(value)
        if kind is int:
            return str(value)
        if value is None:
            return "NULL"
        # bool, float, bytes, dates...: rare here, and the driver's encoders know them.
        return driver_escape(value)

    return literal


def insert_statements(head: str, rows: Iterable[tuple], literal: Literal, batch_size: int) -> Iterator[str]:
    """``head + "(...),(...)"`` statements of at most ``batch_size`` rows and about
    :data:`MAX_STATEMENT_CHARS` characters (a row longer than that gets a statement of its own)."""
    values: List[str] = []
    length = len(head)
    for row in rows:
        value = "(" + ",".join([literal(item) for item in row]) + ")"
        if values and (len(values) >= batch_size or length + len(value) + 1 > MAX_STATEMENT_CHARS):
            yield head + ",".join(values)
            values, length = [], len(head)
        values.append(value)
        length += len(value) + 1
    if values:
        yield head + ",".join(values)


def insert_tables(connection: Any, tables: Sequence[Table], batch_size: Optional[int]) -> None:
    """INSERT each table's rows (tuples in ``columns`` order, any iterable) through Django's ``connection``.

    Statements of at most ``batch_size`` rows (no limit when 0 or None) either way. Tables are written in
    the given order, and a table's rows are iterated only once the previous table's have all been sent:
    a generator may rely on what producing the earlier rows did. On the literal path a
    :class:`StatementPipe` executes the statements, so rows given as a generator are built while the
    server stores the previous batch. The caller owns the transaction.
    """
    size = int(batch_size or 0) or sys.maxsize
    with connection.cursor() as cursor:
        literal = literal_function(connection.connection) if connection.vendor == "mysql" else None
        if literal is None:
            for table, columns, rows in tables:
                _executemany(cursor, _insert_head(connection, table, columns), len(columns), rows, size)
            return
    with StatementPipe(connection.alias) as pipe:
        for table, columns, rows in tables:
            for statement in insert_statements(_insert_head(connection, table, columns), rows, literal, size):
                # No parameters: the driver sends the statement as it is (no %-formatting of its text).
                pipe.send(statement)


def _insert_head(connection: Any, table: str, columns: Sequence[str]) -> str:
    quote = connection.ops.quote_name
    return "INSERT INTO {} ({}) VALUES ".format(quote(table), ", ".join(quote(c) for c in columns))


def _executemany(cursor: Any, head: str, width: int, rows: Iterable[tuple], size: int) -> None:
    sql = head + "({})".format(", ".join(["%s"] * width))
    remaining = iter(rows)
    batch = list(islice(remaining, size))
    while batch:
        cursor.executemany(sql, batch)
        batch = list(islice(remaining, size)) if len(batch) == size else []
