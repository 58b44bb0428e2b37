"""Multi-row INSERTs of plain rows, for writing a prepared run (:mod:`pipeline.eri.imp.prepare`).

``executemany`` is the generic path. On PyMySQL it spends most of a large run's insert time escaping
values in Python (a ``str.translate`` per value, plus a type dispatch through its encoders). For the few
types the prepare rows hold, :func:`literal_function` builds the same SQL literals with C-level string
methods, following the driver's own rule for the session: backslash escapes, or only doubled quotes when
the server reports ``NO_BACKSLASH_ESCAPES``. Any other driver keeps ``executemany``: SQLite binds values
natively and mysqlclient escapes in C.
"""

from typing import Any, Callable, Iterator, List, Optional, Sequence, Tuple

Literal = Callable[[Any], str]

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


def insert_statements(
    head: str, rows: Sequence[Tuple[Any, ...]], literal: Literal, batch_size: int
) -> Iterator[str]:
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


def insert_rows(
    connection: Any, table: str, columns: Sequence[str], rows: Sequence[tuple], batch_size: int
) -> None:
    """INSERT ``rows`` (tuples in ``columns`` order) into ``table`` through Django's ``connection``.

    Statements of at most ``batch_size`` rows either way; the caller owns the transaction.
    """
    if not rows:
        return
    quote = connection.ops.quote_name
    head = "INSERT INTO {} ({}) VALUES ".format(quote(table), ", ".join(quote(c) for c in columns))
    size = max(int(batch_size or len(rows)), 1)
    with connection.cursor() as cursor:
        literal = literal_function(connection.connection) if connection.vendor == "mysql" else None
        if literal is None:
            sql = head + "({})".format(", ".join(["%s"] * len(columns)))
            for begin in range(0, len(rows), size):
                cursor.executemany(sql, rows[begin : begin + size])
            return
        for statement in insert_statements(head, rows, literal, size):
            # No parameters: the driver sends the statement as it is (no %-formatting of its text).
            cursor.execute(statement)
