"""The pooled MySQL backend (``pipeline.db.mysql``) on the session's MariaDB.

Each "task" runs in its own thread, so it gets its own Django connection object, as a greenlet does in a
gevent worker; the server's ``CONNECTION_ID()`` tells whether two of them shared a DB connection. The
pool of ``default`` is emptied before every test, so a connection that was not given back cannot be
confused with an older idle one.
"""

import copy
import json
import subprocess
import sys
import threading
from typing import Any, Callable, Dict, List

import pytest

from tests.integration.env import REPO_ROOT, _mysql_execute, wait_until

pytestmark = pytest.mark.integration

THREAD_TIMEOUT = 30.0
GEVENT_PROBE = REPO_ROOT / "tests" / "integration" / "pool_gevent_probe.py"


class Interrupted(BaseException):
    """What a killed greenlet or a gevent Timeout looks like to the code it interrupts."""


class Statements:
    """An execute wrapper recording the SQL a connection object sends (session set-up included)."""

    def __init__(self) -> None:
        self.sql: List[str] = []

    def __call__(self, execute, sql, params, many, context):
        self.sql.append(sql)
        return execute(sql, params, many, context)


def in_thread(work: Callable[[], Any]) -> Any:
    """``work()`` in a new thread, i.e. on a new Django connection object; its result or its exception."""
    outcome: Dict[str, Any] = {}

    def run() -> None:
        from django.db import connections

        try:
            outcome["value"] = work()
        except BaseException as err:  # re-raised in the calling thread
            outcome["error"] = err
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(THREAD_TIMEOUT)
    assert not thread.is_alive(), "the task thread did not finish"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def connection_id(connection=None) -> int:
    from django.db import connection as default

    with (connection or default).cursor() as cursor:
        cursor.execute("SELECT CONNECTION_ID()")
        return cursor.fetchone()[0]


def query_then_close() -> int:
    """A task that needs no more than one query: the id of the connection it used."""
    from django.db import connection

    used = connection_id()
    connection.close()
    return used


def server_has(thread_id: int) -> bool:
    rows = _mysql_execute(f"SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = {int(thread_id)}")
    return rows[0][0] == 1


def wait_closed_on_server(thread_id: int) -> None:
    wait_until(lambda: not server_has(thread_id), 10, f"connection {thread_id} to be closed on the server")


def counts_delta(before: Dict[str, int]) -> Dict[str, int]:
    from pipeline.db.mysql import pool

    after = pool.counts()
    changed = {key: after.get(key, 0) - before.get(key, 0) for key in after}
    return {key: delta for key, delta in changed.items() if delta}


def wrapper(alias: str, pool_setting: Any):
    """A new backend connection object on the session database with ``OPTIONS["pool"] = pool_setting``."""
    from django.db import connections

    from pipeline.db.mysql.base import DatabaseWrapper

    settings_dict = copy.deepcopy(connections["default"].settings_dict)
    settings_dict["OPTIONS"]["pool"] = pool_setting
    return DatabaseWrapper(settings_dict, alias=alias)


@pytest.fixture
def empty_pool(it_session):
    """The session database through ``pipeline.db.mysql``, every idle pooled connection closed first."""
    from django.db import connection

    from pipeline.db.mysql import pool

    assert connection.settings_dict["ENGINE"] == "pipeline.db.mysql"
    assert connection.settings_dict["CONN_MAX_AGE"] == 0
    pool.close_all()
    yield pool
    pool.close_all()


@pytest.fixture
def unique_table(empty_pool):
    """A table with a primary key, to provoke a constraint violation."""
    _session_execute("CREATE TABLE pool_it_unique (id INT PRIMARY KEY)")
    yield "pool_it_unique"
    _session_execute("DROP TABLE pool_it_unique")


def _session_execute(sql: str) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql)


# --------------------------------------------------------------------------------------- reuse
def test_a_closed_connection_is_reused_by_the_next_thread_without_session_set_up(empty_pool):
    from django.db import connection

    def task(statements: Statements):
        def run():
            with connection.execute_wrapper(statements):
                used = connection_id()
                with connection.cursor() as cursor:
                    cursor.execute("SELECT @@SESSION.tx_isolation")
                    isolation = cursor.fetchone()[0]
            connection.close()
            return used, isolation

        return run

    before = empty_pool.counts()
    first, second = Statements(), Statements()
    first_id, first_isolation = in_thread(task(first))
    second_id, second_isolation = in_thread(task(second))

    assert second_id == first_id
    assert any("ISOLATION LEVEL READ COMMITTED" in sql for sql in first.sql)
    assert second.sql == ["SELECT CONNECTION_ID()", "SELECT @@SESSION.tx_isolation"]
    assert first_isolation == second_isolation == "READ-COMMITTED"
    assert counts_delta(before) == {"opened": 1, "kept": 2, "reused": 1}


def test_the_most_recently_returned_connection_is_taken_first(empty_pool):
    from django.db import connection

    def two_connections():
        # The thread's own connection plus a second one open meanwhile; the thread's is returned last.
        other = wrapper("default", True)
        ids = (connection_id(), connection_id(other))
        other.close()
        connection.close()
        return ids

    last_returned_id, other_id = in_thread(two_connections)
    assert last_returned_id != other_id
    assert in_thread(query_then_close) == last_returned_id
    assert in_thread(query_then_close) == last_returned_id


# --------------------------------------------------------------------------------------- not reused
def test_a_connection_closed_inside_atomic_is_not_reused(empty_pool):
    from django.db import connection, transaction

    def close_in_atomic():
        with transaction.atomic():
            used = connection_id()
            connection.close()
        return used

    before = empty_pool.counts()
    closed_id = in_thread(close_in_atomic)
    wait_closed_on_server(closed_id)
    assert in_thread(query_then_close) != closed_id
    assert counts_delta(before) == {"opened": 2, "not_returned": 1, "kept": 1}


def test_a_query_interrupted_by_a_non_db_exception_closes_the_connection(empty_pool):
    from django.db import connection

    def interrupt(execute, sql, params, many, context):
        # Registered after the backend's own guard, so it runs inside it (the first wrapper is outermost).
        execute(sql, params, many, context)
        raise Interrupted()

    def interrupted_task():
        used = connection_id()
        with connection.execute_wrapper(interrupt), pytest.raises(Interrupted):
            connection_id()
        connection.close()
        return used

    before = empty_pool.counts()
    interrupted_id = in_thread(interrupted_task)
    wait_closed_on_server(interrupted_id)
    assert in_thread(query_then_close) != interrupted_id
    assert counts_delta(before)["not_returned"] == 1


def test_after_a_programming_error_a_direct_close_does_not_reuse_the_connection(empty_pool):
    from django.db import ProgrammingError, connection

    def bad_sql():
        used = connection_id()
        with pytest.raises(ProgrammingError), connection.cursor() as cursor:
            cursor.execute("SELEC 1")
        assert connection.errors_occurred
        connection.close()
        return used

    failed_id = in_thread(bad_sql)
    wait_closed_on_server(failed_id)
    assert in_thread(query_then_close) != failed_id


def test_after_a_programming_error_celerys_end_of_task_check_pings_and_reuses(empty_pool):
    from django.db import ProgrammingError, connection

    def bad_sql_then_task_end():
        used = connection_id()
        with pytest.raises(ProgrammingError), connection.cursor() as cursor:
            cursor.execute("SELEC 1")
        # What Celery's Django fix-up calls after each task: the ping succeeds, errors_occurred is reset
        # and CONN_MAX_AGE = 0 closes, which hands the connection to the pool.
        connection.close_if_unusable_or_obsolete()
        assert connection.connection is None
        return used

    failed_id = in_thread(bad_sql_then_task_end)
    assert in_thread(query_then_close) == failed_id


def test_an_integrity_error_keeps_the_connection_reusable(unique_table):
    from django.db import IntegrityError, connection

    def duplicate_key():
        used = connection_id()
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {unique_table} (id) VALUES (1)")
            with pytest.raises(IntegrityError):
                cursor.execute(f"INSERT INTO {unique_table} (id) VALUES (1)")
        connection.close()
        return used

    used = in_thread(duplicate_key)
    assert in_thread(query_then_close) == used


# --------------------------------------------------------------------------------------- options
def test_a_connection_killed_while_idle_is_replaced_on_take_after_ping_after(empty_pool):
    before = empty_pool.counts()
    first = wrapper("pool_it_ping", {"ping_after": 0})
    killed_id = connection_id(first)
    first.close()
    _mysql_execute(f"KILL {int(killed_id)}")
    wait_closed_on_server(killed_id)

    second = wrapper("pool_it_ping", {"ping_after": 0})
    try:
        new_id = connection_id(second)
    finally:
        second.close()
    assert new_id != killed_id
    assert counts_delta(before) == {"opened": 2, "kept": 2, "closed_dead": 1}


def test_pool_false_opens_a_new_connection_each_time(empty_pool):
    before = empty_pool.counts()
    ids = []
    for _ in range(2):
        unpooled = wrapper("pool_it_off", False)
        ids.append(connection_id(unpooled))
        unpooled.close()
        wait_closed_on_server(ids[-1])
    assert ids[0] != ids[1]
    assert counts_delta(before) == {}


def test_server_facts_are_read_once_per_process(empty_pool):
    first, second = wrapper("pool_it_server_data", True), wrapper("pool_it_server_data", True)
    first_statements, second_statements = Statements(), Statements()
    with first.execute_wrapper(first_statements):
        first_data = first.mysql_server_data
    with second.execute_wrapper(second_statements):
        second_data = second.mysql_server_data
    first.close()
    assert any("VERSION()" in sql for sql in first_statements.sql)
    assert second_statements.sql == []
    assert second_data == first_data


# --------------------------------------------------------------------------------------- gevent
def run_gevent_probe(it_session, **env: str) -> Dict[str, Any]:
    result = subprocess.run(
        [sys.executable, str(GEVENT_PROBE)],
        cwd=str(REPO_ROOT),
        env=it_session.env(**env),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_gevent_tasks_of_a_second_round_open_no_connection(it_session):
    report = run_gevent_probe(it_session)
    first_round, second_round = (set(ids) for ids in report["rounds"])
    # Concurrent greenlets need connections of their own; the second round only takes pooled ones.
    assert len(first_round) > 1
    assert second_round <= first_round
    assert report["counts"][0]["opened"] == report["counts"][1]["opened"] == len(first_round)


def test_gevent_tasks_without_the_pool_open_a_connection_each(it_session):
    report = run_gevent_probe(it_session, BAMBOO_DB_POOL="0")
    first_round, second_round = (set(ids) for ids in report["rounds"])
    assert not first_round & second_round
    assert report["counts"] == [{}, {}]
