"""``pipeline.eri.imp._sql`` on MariaDB (``pipeline.db.mysql``): the checks of tests/sql_layer_checks.py.

Same checks as on SQLite (tests/django/test_sql_layer.py); what differs here is the server: MySQL's
quoting and ``ON DUPLICATE KEY UPDATE``, rows *matched* counted only thanks to ``CLIENT.FOUND_ROWS``,
``DATETIME(6)`` columns, utf8mb4 and backslash escapes, savepoints and READ COMMITTED visibility.
The session database is shared by the whole run: each check writes under its own prefix and removes
its rows afterwards.
"""

import uuid

import pytest

from tests.sql_layer_checks import CHECKS, cleanup

pytestmark = pytest.mark.integration


@pytest.fixture
def mariadb(it_session):
    """Django's connection to the session database, outside any transaction."""
    from django.db import connection

    connection.ensure_connection()
    assert connection.vendor == "mysql"
    assert not connection.in_atomic_block
    return connection


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.__name__.removeprefix("check_"))
def test_sql_layer(check, mariadb):
    prefix = f"sq{uuid.uuid4().hex[:8]}"
    try:
        check(prefix)
    finally:
        cleanup(prefix)


def test_the_connection_counts_matched_rows(mariadb):
    """What the unchanged-value check relies on: without FOUND_ROWS MySQL reports changed rows (0)."""
    from pymysql.constants import CLIENT

    assert mariadb.connection.client_flag & CLIENT.FOUND_ROWS
