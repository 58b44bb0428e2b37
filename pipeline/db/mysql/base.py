"""Django's MySQL/MariaDB backend, with connections pooled per process (``ENGINE = "pipeline.db.mysql"``).

Everything Django's own backend does stays as is; four things change:

* ``close()`` hands a clean connection to the process's pool (:mod:`.pool`) instead of closing it, and
  the next connect in any thread or greenlet takes it. A connection is clean when no transaction is open,
  autocommit is what the settings say, no error other than a constraint violation happened on it and no
  call on it was interrupted half way (a greenlet killed mid-query leaves unread packets behind).
* A reused connection skips the session set-up (``SET NAMES``, isolation level, ``SQL_AUTO_IS_NULL``):
  it already has it.
* A transaction is ``START TRANSACTION`` ... ``COMMIT`` with the session left in autocommit mode (PyMySQL,
  whose replies carry the session's status flags), instead of ``SET AUTOCOMMIT = 0`` ... ``COMMIT`` ...
  ``SET AUTOCOMMIT = 1``: one round trip fewer per transaction, three fewer for an ``atomic`` block that
  sends nothing. Leaving autocommit (Django's flag) starts the transaction at the block's first statement;
  ``COMMIT``/``ROLLBACK`` are skipped when none is open; entering autocommit with one open commits it, as
  ``SET AUTOCOMMIT = 1`` does.
* The server facts Django reads once per connection object (``SELECT VERSION(), @@sql_mode, ...``) are
  read once per process: a gevent worker creates a connection object per task.

``OPTIONS["pool"]`` tunes or disables the pool (:class:`.pool.PoolOptions`); ``CONN_MAX_AGE`` keeps its
meaning for the Django connection object, and ``0`` (the worker default) is what makes every task give its
connection back.
"""

from contextlib import contextmanager
from typing import Any, Dict, Hashable, Iterator

from django.db import Error as DjangoDatabaseError
from django.db.backends.mysql import base as mysql_base
from django.utils.functional import cached_property

from pipeline.db.mysql.pool import ConnectionPool, PoolOptions, pool_for

_SERVER_DATA: Dict[Hashable, Dict[str, Any]] = {}

# MySQL's server status flags (the same in every driver): "a transaction is open", "autocommit mode".
_SERVER_STATUS_IN_TRANS = 1
_SERVER_STATUS_AUTOCOMMIT = 2


class DatabaseWrapper(mysql_base.DatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pool_options = PoolOptions.from_setting(self.settings_dict["OPTIONS"].get("pool"))
        self._reused = False
        self._interrupted = False
        self.execute_wrappers.append(self._guard_execute)

    # --- connecting --------------------------------------------------------------------------------

    def get_connection_params(self) -> Dict[str, Any]:
        params = super().get_connection_params()
        params.pop("pool", None)
        return params

    def get_new_connection(self, conn_params: Dict[str, Any]) -> Any:
        self._interrupted = False
        connection = self._pool().take() if self._pooling else None
        self._reused = connection is not None
        if connection is None:
            connection = super().get_new_connection(conn_params)
            if self._pooling:
                self._pool().adopt(connection)
        return connection

    def init_connection_state(self) -> None:
        if not self._reused:
            super().init_connection_state()

    @cached_property
    def mysql_server_data(self) -> Dict[str, Any]:
        key = self._pool_key()
        data = _SERVER_DATA.get(key)
        if data is None:
            data = _SERVER_DATA.setdefault(key, mysql_base.DatabaseWrapper.mysql_server_data.func(self))
        return data

    # --- closing -----------------------------------------------------------------------------------

    def _close(self) -> None:
        connection = self.connection
        if connection is None:
            return
        if self._pooling and self._reusable(connection):
            with self.wrap_database_errors:
                self._pool().give(connection)
            return
        if self._pooling:
            self._pool().forget(connection)
        super()._close()

    def _reusable(self, connection: Any) -> bool:
        if self._interrupted or self.errors_occurred or self.in_atomic_block:
            return False
        if not getattr(connection, "open", True):
            return False
        # the attribute, not get_autocommit(): the connection is open, nothing to ensure
        if self.autocommit != self.settings_dict["AUTOCOMMIT"]:
            return False
        return not getattr(connection, "server_status", 0) & _SERVER_STATUS_IN_TRANS

    # --- interruption tracking -----------------------------------------------------------------------

    def _guard_execute(self, execute: Any, sql: Any, params: Any, many: bool, context: Any) -> Any:
        with self._guarded():
            if not self.autocommit and self._idle_in_autocommit():
                with self.wrap_database_errors:
                    self.connection.begin()  # the transaction Django's flag says is open
            return execute(sql, params, many, context)

    def _commit(self) -> None:
        with self._guarded():
            if not self._idle_in_autocommit():
                super()._commit()

    def _rollback(self) -> None:
        with self._guarded():
            if not self._idle_in_autocommit():
                super()._rollback()

    def _set_autocommit(self, autocommit: bool) -> None:
        with self._guarded():
            status = self._session_status()
            if status & _SERVER_STATUS_AUTOCOMMIT:
                # The session stays in autocommit mode: the first statement that needs a transaction
                # begins it (``_guard_execute``); entering autocommit ends an open one with a commit.
                if autocommit and status & _SERVER_STATUS_IN_TRANS:
                    with self.wrap_database_errors:
                        self.connection.commit()
                return
            super()._set_autocommit(autocommit)

    def _session_status(self) -> int:
        """The session's status flags from the last reply; 0 when the driver does not report them (the
        backend then toggles autocommit as Django's does)."""
        status = getattr(self.connection, "server_status", None)
        return status if isinstance(status, int) else 0

    def _idle_in_autocommit(self) -> bool:
        """The session is in autocommit mode with no transaction open: nothing to commit or roll back."""
        status = self._session_status()
        return bool(status & _SERVER_STATUS_AUTOCOMMIT) and not status & _SERVER_STATUS_IN_TRANS

    @contextmanager
    def _guarded(self) -> Iterator[None]:
        # A driver error is a complete reply from the server: the protocol is in step and Django decides
        # (errors_occurred) what it means. Anything else (GreenletExit, a gevent Timeout, KeyboardInterrupt)
        # may have stopped between a request and its reply, so that connection must never be reused.
        # Driver errors reach us translated by Django (wrap_database_errors sits inside this guard), and
        # Django's classes do not derive from the driver's: both count.
        try:
            yield
        except (self.Database.Error, DjangoDatabaseError):
            raise
        except BaseException:
            self._interrupted = True
            raise

    # --- pool lookup ---------------------------------------------------------------------------------

    @property
    def _pooling(self) -> bool:
        return self._pool_options.max_idle > 0

    def _pool(self) -> ConnectionPool:
        return pool_for(self._pool_key(), self._pool_options)

    def _pool_key(self) -> Hashable:
        settings = self.settings_dict
        return (self.alias, settings["HOST"], str(settings["PORT"]), settings["USER"], settings["NAME"])
