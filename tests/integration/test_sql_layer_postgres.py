"""``pipeline.eri.imp._sql`` on PostgreSQL (psycopg 3): the checks of tests/sql_layer_checks.py.

Same checks as on SQLite and MariaDB; what differs here is the server: ``ON CONFLICT DO UPDATE``,
``INSERT ... RETURNING`` for the new row's id (psycopg has no ``lastrowid`` for it), ``timestamptz``
columns, and a transaction that a failed statement aborts unless a savepoint surrounds it (the
duplicate-insert check runs inside ``transaction.atomic`` and goes on using the transaction), and text
that cannot hold NUL (node log lines).
Collected only in a PostgreSQL session (``make integration-postgres``).
"""

import uuid

import pytest

from tests.sql_layer_checks import CHECKS, cleanup

pytestmark = pytest.mark.integration


@pytest.fixture
def postgres(it_session):
    """Django's connection to the session database, outside any transaction."""
    from django.db import connection

    connection.ensure_connection()
    assert connection.vendor == "postgresql"
    assert not connection.in_atomic_block
    # The checks capture statements through the query log, which holds the last 9000 only: the contract
    # suite, when it ran first in this process, has filled it.
    connection.queries_log.clear()
    return connection


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.__name__.removeprefix("check_"))
def test_sql_layer(check, postgres):
    prefix = f"sq{uuid.uuid4().hex[:8]}"
    try:
        check(prefix)
    finally:
        cleanup(prefix)


def test_a_conflicting_insert_leaves_the_transaction_usable(postgres):
    """A unique conflict inside a transaction: None back, and the transaction goes on and commits."""
    from django.db import transaction

    from pipeline.eri.imp import _sql
    from pipeline.eri.models import State

    prefix = f"sq{uuid.uuid4().hex[:8]}"
    row = {"node_id": f"{prefix}n", "name": "READY", "version": f"{prefix}v1"}
    try:
        with transaction.atomic():
            first = _sql.insert(State, row)
            assert _sql.insert(State, {**row, "name": "RUNNING"}) is None
            _sql.update(State, {"node_id": row["node_id"]}, {"name": "FINISHED"})
        assert isinstance(first, int)
        assert State.objects.get(node_id=row["node_id"]).name == "FINISHED"
    finally:
        cleanup(prefix)


def test_a_node_log_line_with_nul_is_stored_and_leaves_the_transaction_usable(postgres):
    """PostgreSQL rejects NUL in text: the node log handler (playground ``LOGGING``) stores it escaped, and
    the step's transaction (which a failed INSERT would abort) goes on and commits."""
    from django.db import transaction

    from pipeline.eri.log import get_logger
    from pipeline.eri.models import LogEntry, State

    prefix = f"sq{uuid.uuid4().hex[:8]}"
    node_id = f"{prefix}n"
    try:
        with transaction.atomic():
            get_logger(node_id, 1, "v1").warning("before\x00after")
            State.objects.create(node_id=node_id, name="RUNNING", version=f"{prefix}v1")
        assert list(LogEntry.objects.filter(node_id=node_id).values_list("message", flat=True)) == [
            "before\\x00after"
        ]
        assert State.objects.filter(node_id=node_id).exists()
    finally:
        LogEntry.objects.filter(node_id=node_id).delete()
        cleanup(prefix)


def test_insert_gets_the_new_id_from_returning_in_one_statement(postgres):
    """No ORM fallback on PostgreSQL: one ``INSERT ... RETURNING`` outside a transaction."""
    from django.test.utils import CaptureQueriesContext

    from pipeline.eri.imp import _sql
    from pipeline.eri.models import State

    prefix = f"sq{uuid.uuid4().hex[:8]}"
    try:
        with CaptureQueriesContext(postgres) as captured:
            new_id = _sql.insert(State, {"node_id": f"{prefix}n", "name": "READY", "version": f"{prefix}v"})
        assert [query["sql"].split(" RETURNING ")[1] for query in captured.captured_queries] == ['"id"']
        assert State.objects.get(node_id=f"{prefix}n").id == new_id
    finally:
        cleanup(prefix)
