"""Executing a stream of SQL statements from a helper thread while the caller builds the next ones.

Storing a 10,000-node run sends ~5 MB of INSERTs; MariaDB needs about as long to parse and store them
as Python needs to serialise and escape the rows. Executed in turn, the two add up. PyMySQL waits for
the server's reply without holding the GIL, so a helper thread that executes statement *n* while the
caller builds statement *n + 1* lets the server work alongside the caller's Python code.
"""

import contextvars
import queue
import threading
from types import TracebackType
from typing import Any, Optional, Type

from django.db import DEFAULT_DB_ALIAS, transaction

# Statements queued ahead of the one executing: bounds the memory held (a statement is up to ~1 MB) and
# makes the caller wait, without the GIL, whenever it is ahead of the server.
PIPE_DEPTH = 2

_END = object()


class StatementPipe:
    """``with StatementPipe(using) as pipe: pipe.send(sql)``: statements run in the order sent.

    The helper thread uses the caller's connection of database ``using`` (its transaction, execute
    wrappers and error translation) through Django's thread-sharing switch; the caller must not use
    that connection until the block ends. The first failing statement stops the rest: its exception is
    raised in the caller's thread, at the next :meth:`send` or when the block ends, so the caller's
    transaction rolls back as if the caller had run the statement. When the caller's own code fails
    inside the block, the block waits for the statement in progress before the exception goes on.
    """

    def __init__(self, using: str = DEFAULT_DB_ALIAS) -> None:
        # The caller's connection object itself: ``django.db.connection`` would resolve to another
        # connection (another session, outside the transaction) in the helper thread.
        self._connection = transaction.get_connection(using)
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=PIPE_DEPTH)
        self._failure: Optional[BaseException] = None
        # In the caller's context: instrumentation that keys on context variables sees the same run.
        context = contextvars.copy_context()
        self._thread = threading.Thread(target=context.run, args=(self._run,), name="bamboo-sql-pipe")
        self._thread.daemon = True

    def __enter__(self) -> "StatementPipe":
        self._connection.inc_thread_sharing()
        try:
            self._thread.start()
        except BaseException:
            self._connection.dec_thread_sharing()
            raise
        return self

    def send(self, statement: str) -> None:
        """Queue ``statement`` (no parameters); raises the failure of an earlier statement, if any."""
        if self._failure is not None:
            raise self._failure
        self._queue.put(statement)

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        try:
            self._queue.put(_END)
            self._thread.join()
        finally:
            self._connection.dec_thread_sharing()
        if exc_type is None and self._failure is not None:
            raise self._failure

    def _run(self) -> None:
        statements = iter(self._queue.get, _END)
        try:
            with self._connection.cursor() as cursor:
                for statement in statements:
                    cursor.execute(statement)
        except BaseException as failure:  # noqa: BLE001 - handed to the caller's thread
            self._failure = failure
            for _ in statements:  # keep taking statements so that the caller never blocks on a full queue
                pass
