"""The connection pool of ``pipeline.db.mysql`` without a server: fake connections and a fake clock.

The backend's decisions (what is given back, what a reused connection skips) are checked here on fake
DB-API connections too; the same behaviour on a real MariaDB is in tests/integration/test_db_pool.py.
"""

import os
from types import SimpleNamespace
from typing import Any, Dict, List

import pytest

from pipeline.db.mysql import pool as pool_module
from pipeline.db.mysql.pool import (
    DEFAULT_MAX_IDLE,
    DEFAULT_MAX_LIFETIME,
    DEFAULT_PING_AFTER,
    ConnectionPool,
    PoolOptions,
)


class FakeConnection:
    """A DB-API connection as far as the pool cares: ``ping`` and ``close``."""

    def __init__(self, name: str, alive: bool = True, close_fails: bool = False) -> None:
        self.name = name
        self.alive = alive
        self.close_fails = close_fails
        self.pings = 0
        self.closed = False
        self.open = True
        self.server_status = 0

    def ping(self, reconnect: bool = True) -> None:
        # A reconnecting ping would hand out a new session that never ran Django's set-up.
        assert reconnect is False, "the pool must not let the driver reconnect"
        self.pings += 1
        if not self.alive:
            raise ConnectionResetError("server gone")

    def close(self) -> None:
        self.closed = True
        if self.close_fails:
            raise BrokenPipeError("server gone")

    def __repr__(self) -> str:
        return f"FakeConnection({self.name})"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def make_pool(clock: Clock, **options: Any) -> ConnectionPool:
    return ConnectionPool(PoolOptions(**options), clock=clock)


def opened(pool: ConnectionPool, name: str, **kwargs: Any) -> FakeConnection:
    """A connection the caller has just opened (what the backend does when :meth:`take` gives None)."""
    connection = FakeConnection(name, **kwargs)
    pool.adopt(connection)
    return connection


@pytest.fixture
def pools(monkeypatch) -> Dict[Any, ConnectionPool]:
    """This test's own registry of pools (the module's is process-wide)."""
    registry: Dict[Any, ConnectionPool] = {}
    monkeypatch.setattr(pool_module, "_POOLS", registry)
    return registry


# --------------------------------------------------------------------------------------- options
@pytest.mark.parametrize("setting", [None, True, {}])
def test_absent_or_true_pool_setting_gives_the_defaults(setting):
    assert PoolOptions.from_setting(setting) == PoolOptions(
        max_idle=DEFAULT_MAX_IDLE, max_lifetime=DEFAULT_MAX_LIFETIME, ping_after=DEFAULT_PING_AFTER
    )


def test_a_dict_overrides_only_its_keys():
    assert PoolOptions.from_setting({"max_idle": 5, "ping_after": 0}) == PoolOptions(
        max_idle=5, max_lifetime=DEFAULT_MAX_LIFETIME, ping_after=0
    )


def test_false_disables_pooling():
    assert PoolOptions.from_setting(False).max_idle == 0


def test_an_unknown_key_is_refused_by_name():
    with pytest.raises(ValueError, match="max_idel"):
        PoolOptions.from_setting({"max_idel": 5})


@pytest.mark.parametrize("key", ["max_idle", "max_lifetime", "ping_after"])
def test_a_negative_value_is_refused_by_name(key):
    with pytest.raises(ValueError, match=key):
        PoolOptions.from_setting({key: -1})


def test_a_setting_of_another_type_is_refused():
    with pytest.raises(ValueError, match="'yes'"):
        PoolOptions.from_setting("yes")


# --------------------------------------------------------------------------------------- take / give
def test_an_empty_pool_gives_nothing(clock):
    assert make_pool(clock).take() is None


def test_the_most_recently_returned_connection_is_taken_first(clock):
    pool = make_pool(clock)
    first, second = opened(pool, "first"), opened(pool, "second")
    assert pool.give(first) and pool.give(second)
    assert len(pool) == 2

    assert pool.take() is second
    assert pool.take() is first
    assert pool.take() is None
    assert not first.closed and not second.closed
    assert pool.counts == {"opened": 2, "kept": 2, "reused": 2}


def test_a_connection_returned_to_a_full_pool_is_closed(clock):
    pool = make_pool(clock, max_idle=1)
    kept, extra = opened(pool, "kept"), opened(pool, "extra")
    assert pool.give(kept) is True
    assert pool.give(extra) is False

    assert extra.closed and not kept.closed
    assert pool.take() is kept
    assert pool.counts["closed_full"] == 1


def test_a_connection_past_its_lifetime_is_closed_when_returned(clock):
    pool = make_pool(clock, max_lifetime=300)
    connection = opened(pool, "old")
    clock.now += 300
    assert pool.give(connection) is False
    assert connection.closed
    assert pool.counts["closed_old"] == 1
    assert len(pool) == 0


def test_a_connection_that_ages_while_idle_is_closed_when_taken(clock):
    pool = make_pool(clock, max_lifetime=300, ping_after=1000)
    old = opened(pool, "old")
    clock.now += 200
    young = opened(pool, "young")
    pool.give(young)
    pool.give(old)
    clock.now += 100  # old is 300 s old, young 100 s

    assert pool.take() is young
    assert old.closed
    assert pool.counts["closed_old"] == 1


def test_the_lifetime_counts_from_the_first_connect_not_from_the_last_reuse(clock):
    pool = make_pool(clock, max_lifetime=300, ping_after=1000)
    connection = opened(pool, "reused")
    clock.now += 250
    pool.give(connection)
    assert pool.take() is connection
    clock.now += 50
    assert pool.give(connection) is False
    assert connection.closed


def test_a_connection_idle_less_than_ping_after_is_reused_without_a_ping(clock):
    pool = make_pool(clock, ping_after=30)
    connection = opened(pool, "warm")
    pool.give(connection)
    clock.now += 29
    assert pool.take() is connection
    assert connection.pings == 0


def test_a_connection_idle_for_ping_after_is_pinged_and_reused_if_it_answers(clock):
    pool = make_pool(clock, ping_after=30)
    connection = opened(pool, "cold")
    pool.give(connection)
    clock.now += 30
    assert pool.take() is connection
    assert connection.pings == 1


def test_a_dead_idle_connection_is_closed_and_the_next_one_taken(clock):
    pool = make_pool(clock, ping_after=30)
    alive, dead = opened(pool, "alive"), opened(pool, "dead", close_fails=True)
    pool.give(alive)
    pool.give(dead)
    dead.alive = False  # e.g. wait_timeout or a server restart while it sat in the pool
    clock.now += 30

    assert pool.take() is alive
    assert dead.closed
    assert pool.counts["closed_dead"] == 1


def test_forget_counts_a_connection_the_caller_closed_itself(clock):
    pool = make_pool(clock)
    connection = opened(pool, "dirty")
    pool.forget(connection)
    assert pool.counts == {"opened": 1, "not_returned": 1}
    assert len(pool) == 0


def test_clear_closes_every_idle_connection_even_if_closing_fails(clock):
    pool = make_pool(clock)
    connections = [opened(pool, "a"), opened(pool, "b", close_fails=True), opened(pool, "c")]
    for connection in connections:
        pool.give(connection)
    pool.clear()
    assert len(pool) == 0
    assert all(connection.closed for connection in connections)


# --------------------------------------------------------------------------------------- registry
def test_pool_for_returns_one_pool_per_key_and_process(pools, monkeypatch):
    options = PoolOptions()
    monkeypatch.setattr(pool_module, "os", SimpleNamespace(getpid=lambda: 100))
    parent = pool_module.pool_for("db", options)
    assert pool_module.pool_for("db", options) is parent
    assert pool_module.pool_for("other", options) is not parent

    monkeypatch.setattr(pool_module, "os", SimpleNamespace(getpid=lambda: 101))
    child = pool_module.pool_for("db", options)
    assert child is not parent


def test_counts_sums_every_pool_of_the_process(pools, clock):
    first = pool_module.pool_for("first", PoolOptions())
    second = pool_module.pool_for("second", PoolOptions())
    first.counts.update({"opened": 2, "kept": 1})
    second.counts.update({"opened": 3, "reused": 4})
    assert pool_module.counts() == {"opened": 5, "kept": 1, "reused": 4}


def test_close_all_empties_every_pool(pools, clock):
    idle = []
    for key in ("first", "second"):
        pool = pool_module.pool_for(key, PoolOptions())
        connection = FakeConnection(key)
        pool.adopt(connection)
        pool.give(connection)
        idle.append(connection)
    pool_module.close_all()
    assert all(connection.closed for connection in idle)
    assert pool_module.counts()["kept"] == 2


def test_a_forked_child_starts_without_its_parents_pools(pools):
    parent = pool_module.pool_for("db", PoolOptions())
    connection = FakeConnection("parent")
    parent.adopt(connection)
    parent.give(connection)

    pid = os.fork()
    if pid == 0:  # the child: report through the exit status only, never run pytest code
        os._exit(0 if not pools and len(pool_module.pool_for("db", PoolOptions())) == 0 else 1)
    _, status = os.waitpid(pid, 0)

    assert os.waitstatus_to_exitcode(status) == 0
    assert pool_module.pool_for("db", PoolOptions()) is parent
    assert len(parent) == 1 and not connection.closed


# --------------------------------------------------------------------------------------- backend
SETTINGS = {
    "ENGINE": "pipeline.db.mysql",
    "NAME": "bamboo",
    "USER": "bamboo",
    "PASSWORD": "",
    "HOST": "db.invalid",
    "PORT": "3306",
    "AUTOCOMMIT": True,
    "ATOMIC_REQUESTS": False,
    "CONN_MAX_AGE": 0,
    "CONN_HEALTH_CHECKS": False,
    "TIME_ZONE": None,
    "OPTIONS": {"charset": "utf8mb4", "pool": {"max_idle": 2}},
}


class Interrupted(BaseException):
    """What a killed greenlet or a gevent Timeout looks like to the code it interrupts."""


@pytest.fixture
def backend(pools, monkeypatch):
    """The backend's wrapper class; opening a real connection fails the test."""
    pymysql = pytest.importorskip("pymysql")
    pymysql.install_as_MySQLdb()
    from django.db.backends.mysql import base as mysql_base

    from pipeline.db.mysql.base import DatabaseWrapper

    def no_server(self, conn_params):
        raise AssertionError("opened a new connection")

    monkeypatch.setattr(mysql_base.DatabaseWrapper, "get_new_connection", no_server)
    return DatabaseWrapper


def connected(backend, connection: FakeConnection, **options: Any):
    """A wrapper in the state Django's ``connect()`` leaves it in, on ``connection``."""
    settings_dict = {**SETTINGS, "OPTIONS": {**SETTINGS["OPTIONS"], **options}}
    wrapper = backend(settings_dict, alias="unit")
    wrapper.connection = connection
    wrapper.autocommit = True
    if wrapper._pooling:
        wrapper._pool().adopt(connection)
    return wrapper


def raising(error: BaseException):
    def execute(sql, params, many, context):
        raise error

    return execute


def test_the_pool_option_is_not_passed_to_the_driver(backend):
    params = connected(backend, FakeConnection("c")).get_connection_params()
    assert "pool" not in params
    assert params["charset"] == "utf8mb4"


def test_a_clean_connection_is_given_to_the_pool_on_close(backend):
    connection = FakeConnection("clean")
    wrapper = connected(backend, connection)
    wrapper.close()
    assert not connection.closed
    assert wrapper._pool().counts == {"opened": 1, "kept": 1}


@pytest.mark.parametrize(
    "dirty",
    [
        pytest.param(lambda wrapper: setattr(wrapper, "errors_occurred", True), id="errors_occurred"),
        pytest.param(lambda wrapper: setattr(wrapper, "in_atomic_block", True), id="in_atomic_block"),
        pytest.param(lambda wrapper: setattr(wrapper, "autocommit", False), id="autocommit_off"),
        pytest.param(lambda wrapper: setattr(wrapper.connection, "server_status", 1), id="transaction_open"),
        pytest.param(lambda wrapper: setattr(wrapper.connection, "open", False), id="driver_closed"),
        pytest.param(lambda wrapper: setattr(wrapper, "_interrupted", True), id="interrupted"),
    ],
)
def test_a_connection_that_may_carry_state_is_closed_not_pooled(backend, dirty):
    connection = FakeConnection("dirty")
    wrapper = connected(backend, connection)
    dirty(wrapper)
    wrapper._close()
    assert connection.closed
    assert wrapper._pool().counts == {"opened": 1, "not_returned": 1}


@pytest.mark.parametrize(
    "error",
    [
        pytest.param(lambda: __import__("pymysql").IntegrityError(1062, "dup"), id="driver_error"),
        # What the guard actually sees: Django's wrap_database_errors runs inside it.
        pytest.param(lambda: __import__("django.db").db.IntegrityError(1062, "dup"), id="django_error"),
        pytest.param(lambda: __import__("django.db").db.ProgrammingError(1064, "syntax"), id="django_error2"),
    ],
)
def test_a_database_error_is_a_complete_reply_not_an_interruption(backend, error):
    wrapper = connected(backend, FakeConnection("c"))
    raised = error()
    with pytest.raises(type(raised)):
        wrapper._guard_execute(raising(raised), "INSERT ...", None, False, {})
    assert wrapper._interrupted is False


@pytest.mark.parametrize("error", [Interrupted(), KeyboardInterrupt(), RuntimeError("bug in a wrapper")])
def test_any_other_exception_during_a_call_marks_the_connection_interrupted(backend, error):
    wrapper = connected(backend, FakeConnection("c"))
    with pytest.raises(type(error)):
        wrapper._guard_execute(raising(error), "SELECT 1", None, False, {})
    assert wrapper._interrupted is True


def test_the_backends_guard_is_the_outermost_execute_wrapper(backend):
    wrapper = connected(backend, FakeConnection("c"))
    with wrapper.execute_wrapper(lambda *args: None):
        assert wrapper.execute_wrappers[0] == wrapper._guard_execute


def test_a_pooled_connection_is_taken_and_skips_the_session_set_up(backend, monkeypatch):
    from django.db.backends.mysql import base as mysql_base

    set_up = []
    monkeypatch.setattr(mysql_base.DatabaseWrapper, "init_connection_state", lambda self: set_up.append(self))
    pooled = FakeConnection("pooled")
    connected(backend, pooled).close()

    wrapper = backend({**SETTINGS}, alias="unit")
    assert wrapper.get_new_connection(wrapper.get_connection_params()) is pooled
    wrapper.init_connection_state()
    assert set_up == []


def test_with_pool_false_every_connect_opens_and_every_close_closes(backend, monkeypatch):
    from django.db.backends.mysql import base as mysql_base

    new = FakeConnection("new")
    monkeypatch.setattr(mysql_base.DatabaseWrapper, "get_new_connection", lambda self, params: new)
    wrapper = backend({**SETTINGS, "OPTIONS": {"pool": False}}, alias="unit")
    assert wrapper.get_new_connection(wrapper.get_connection_params()) is new
    wrapper.connection = new
    wrapper.autocommit = True
    wrapper.close()
    assert new.closed
    assert pool_module.counts() == {}


class StatusSession(FakeConnection):
    """A session that reports its status flags as PyMySQL does after every reply, and records what the
    backend sent: ``BEGIN``, ``COMMIT``, ``ROLLBACK``, ``SET AUTOCOMMIT`` and the statements."""

    def __init__(self, status: int = 2) -> None:  # autocommit mode, no transaction
        super().__init__("status")
        self.server_status = status
        self.sent: List[str] = []

    def begin(self) -> None:
        self.sent.append("BEGIN")
        self.server_status |= 1

    def commit(self) -> None:
        self.sent.append("COMMIT")
        self.server_status &= ~1

    def rollback(self) -> None:
        self.sent.append("ROLLBACK")
        self.server_status &= ~1

    def autocommit(self, value: bool) -> None:
        self.sent.append(f"SET AUTOCOMMIT = {int(value)}")
        self.server_status = (self.server_status & ~2) | (2 if value else 0)
        if value:
            self.server_status &= ~1

    def statement(self, wrapper, sql: str) -> None:
        def execute(sql, params, many, context):
            self.sent.append(sql)
            if self.server_status & 1 == 0 and self.server_status & 2 == 0:
                self.server_status |= 1  # autocommit off: the statement opens a transaction

        wrapper._guard_execute(execute, sql, None, False, {})


@pytest.fixture
def tx(backend, monkeypatch):
    """``(wrapper, session)``: Django's autocommit/commit/rollback steps on a :class:`StatusSession`,
    without Django's settings (read only for debug logging)."""
    import contextlib

    from django.db.backends.base import base as django_base

    monkeypatch.setattr(django_base, "debug_transaction", lambda *args: contextlib.nullcontext())
    session = StatusSession()
    return connected(backend, session), session


def set_autocommit(wrapper, value: bool) -> None:
    wrapper._set_autocommit(value)  # what BaseDatabaseWrapper.set_autocommit does, minus the hooks
    wrapper.autocommit = value


def test_a_transaction_is_begun_by_its_first_statement_with_the_session_left_in_autocommit(tx):
    wrapper, session = tx
    set_autocommit(wrapper, False)
    session.statement(wrapper, "INSERT a")
    session.statement(wrapper, "INSERT b")
    wrapper._commit()
    set_autocommit(wrapper, True)
    session.statement(wrapper, "INSERT c")  # autocommit again: no transaction around it
    assert session.sent == ["BEGIN", "INSERT a", "INSERT b", "COMMIT", "INSERT c"]
    assert session.server_status == 2


def test_a_transaction_that_sent_nothing_costs_no_round_trip(tx):
    wrapper, session = tx
    for end in (wrapper._commit, wrapper._rollback):
        set_autocommit(wrapper, False)
        end()
        set_autocommit(wrapper, True)
    assert session.sent == []


def test_a_rolled_back_transaction_and_the_next_one(tx):
    wrapper, session = tx
    set_autocommit(wrapper, False)
    session.statement(wrapper, "INSERT a")
    wrapper._rollback()
    session.statement(wrapper, "INSERT b")  # still out of autocommit (Django's flag): a new transaction
    wrapper._commit()
    set_autocommit(wrapper, True)
    assert session.sent == ["BEGIN", "INSERT a", "ROLLBACK", "BEGIN", "INSERT b", "COMMIT"]


def test_entering_autocommit_with_a_transaction_open_commits_it(tx):
    wrapper, session = tx
    set_autocommit(wrapper, False)
    session.statement(wrapper, "INSERT a")
    set_autocommit(wrapper, True)  # what SET AUTOCOMMIT = 1 does on the server
    assert session.sent == ["BEGIN", "INSERT a", "COMMIT"]
    assert session.server_status == 2


def test_a_session_out_of_autocommit_mode_is_toggled_as_by_djangos_backend(backend):
    session = StatusSession(status=0)  # e.g. a fresh PyMySQL connection, before Django's set-up
    wrapper = connected(backend, session)
    set_autocommit(wrapper, True)
    assert session.sent == ["SET AUTOCOMMIT = 1"]


# --------------------------------------------------------------------------------------- settings
@pytest.fixture
def playground_settings():
    import playground.settings

    return playground.settings


def test_url_query_options_reach_the_driver(playground_settings):
    database = playground_settings.database_from_url(
        "mysql://root@127.0.0.1:3306/bamboo?ssl_disabled=true&connect_timeout=5&init_command=SET+x%3D1"
    )
    assert database["OPTIONS"]["ssl_disabled"] is True
    assert database["OPTIONS"]["connect_timeout"] == 5
    assert database["OPTIONS"]["init_command"] == "SET x=1"


@pytest.mark.parametrize(("env", "expected"), [("1", True), ("0", False)])
def test_bamboo_db_pool_switches_the_pool(playground_settings, monkeypatch, env, expected):
    monkeypatch.setenv("BAMBOO_DB_POOL", env)
    database = playground_settings.database_from_url("mysql://root@127.0.0.1:3306/bamboo")
    assert database["OPTIONS"]["pool"] is expected
    max_idle = PoolOptions.from_setting(database["OPTIONS"]["pool"]).max_idle
    assert max_idle == (DEFAULT_MAX_IDLE if expected else 0)
