"""``pipeline.eri.imp.bulk_insert``: SQL literals for PyMySQL, statement splitting, the SQLite path.

The literals are checked against MySQL's documented string-literal rules (the reference decoder of
tests/sql_strings.py) and against PyMySQL's own escaping; tests/integration/test_prepare_literals.py
sends the same strings through a real MariaDB in both escaping modes.
"""

import gc
import sqlite3

import pymysql
import pytest
from django.db import connection, transaction
from django.test import override_settings
from pymysql.converters import escape_string

from bamboo_engine.exceptions import TreeInvalidException
from bamboo_engine.validator import validate_and_process_pipeline
from pipeline.eri import models
from pipeline.eri.imp import bulk_insert, prepare
from pipeline.eri.imp.bulk_insert import (
    SERVER_STATUS_NO_BACKSLASH_ESCAPES,
    backslash_literal,
    insert_statements,
    insert_tables,
    literal_function,
    quote_doubling_literal,
)
from pipeline.eri.runtime import BambooDjangoRuntime
from tests.django.querycount import capture_queries
from tests.sql_strings import NASTY, mysql_decode
from tests.trees import linear_pipeline


def _pymysql_connection(charset: str = "utf8mb4", status: int = 0) -> pymysql.connections.Connection:
    raw = pymysql.connections.Connection(defer_connect=True, charset=charset)
    raw.server_status = status  # normally set by the handshake and every reply
    return raw


# ----------------------------------------------------------------------------------- literals


@pytest.mark.parametrize("text", NASTY)
def test_backslash_literal_reads_back_as_the_string(text):
    assert mysql_decode(backslash_literal(text)) == text


@pytest.mark.parametrize("text", NASTY)
def test_backslash_literal_is_pymysqls_escaping_except_for_double_quotes(text):
    # PyMySQL also escapes '"', which is an ordinary character inside single quotes.
    expected = "'" + escape_string(text) + "'"
    assert backslash_literal(text) == expected.replace('\\"', '"')
    if '"' not in text:
        assert backslash_literal(text) == expected


@pytest.mark.parametrize("text", NASTY)
def test_quote_doubling_literal_is_pymysqls_no_backslash_escaping(text):
    literal = quote_doubling_literal(text)
    assert literal == "'" + text.replace("'", "''") + "'"
    assert mysql_decode(literal, backslash_escapes=False) == text


def test_literal_function_follows_the_sessions_escaping_mode():
    assert literal_function(_pymysql_connection())("a'\\") == "'a\\'\\\\'"
    no_backslash = _pymysql_connection(status=SERVER_STATUS_NO_BACKSLASH_ESCAPES | 2)
    assert literal_function(no_backslash)("a'\\") == "'a''\\'"


def test_literal_function_keeps_non_strings_as_the_driver_writes_them():
    raw = _pymysql_connection()
    literal = literal_function(raw)
    for value in (0, -7, 2**70, None, True, False, 1.5, b"\x00'", 10**3):
        assert literal(value) == raw.escape(value), value


@pytest.mark.parametrize("charset", ["gbk", "big5", "sjis", "cp932"])
def test_literal_function_refuses_charsets_where_escaping_bytes_differs(charset):
    assert literal_function(_pymysql_connection(charset=charset)) is None


def test_literal_function_refuses_other_drivers_and_unconnected_pymysql():
    assert literal_function(object()) is None
    assert literal_function(sqlite3.connect(":memory:")) is None
    assert literal_function(pymysql.connections.Connection(defer_connect=True, charset="utf8mb4")) is None


# ---------------------------------------------------------------------------------- statements


def _literal(value):
    return backslash_literal(value) if isinstance(value, str) else str(value)


def test_insert_statements_split_by_batch_size():
    rows = [(str(index), index) for index in range(5)]
    statements = list(insert_statements("INSERT INTO t (a, b) VALUES ", rows, _literal, 2))
    assert statements == [
        "INSERT INTO t (a, b) VALUES ('0',0),('1',1)",
        "INSERT INTO t (a, b) VALUES ('2',2),('3',3)",
        "INSERT INTO t (a, b) VALUES ('4',4)",
    ]


def test_insert_statements_stay_under_the_statement_length(monkeypatch):
    monkeypatch.setattr(bulk_insert, "MAX_STATEMENT_CHARS", 60)
    head = "INSERT INTO t (a) VALUES "  # 25 characters
    rows = [("x" * 10,), ("y" * 10,), ("z" * 10,), ("w" * 100,), ("v",)]
    statements = list(insert_statements(head, rows, _literal, 500))
    assert statements == [
        head + "('xxxxxxxxxx'),('yyyyyyyyyy')",
        head + "('zzzzzzzzzz')",
        head + "('" + "w" * 100 + "')",  # longer than the limit on its own: alone
        head + "('v')",
    ]
    assert all(len(sql) <= 60 for sql in statements if "w" not in sql)


def test_insert_statements_of_no_rows():
    assert list(insert_statements("INSERT INTO t (a) VALUES ", [], _literal, 10)) == []


# ------------------------------------------------------------------------------- SQLite path


def _context_rows(pipeline_id: str):
    return [
        (pipeline_id, f"${{k{index}}}", index, "json", text[:128], text, text)
        for index, text in enumerate(NASTY)
    ]


def _stored(pipeline_id: str):
    return list(
        models.ContextValue.objects.filter(pipeline_id=pipeline_id)
        .order_by("id")
        .values_list("pipeline_id", "key", "type", "serializer", "code", "value", "references")
    )


COLUMNS = ["pipeline_id", "key", "type", "serializer", "code", "value", "references"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("batch_size", [1, 4, 500, 0])
def test_insert_tables_round_trips_nasty_strings_on_sqlite(batch_size):
    first, second = _context_rows("p_first"), _context_rows("p_second")
    tables = [("eri_contextvalue", COLUMNS, iter(first)), ("eri_contextvalue", COLUMNS, second)]
    with transaction.atomic(), capture_queries() as log:
        insert_tables(transaction.get_connection(), tables, batch_size)
    assert _stored("p_first") == first and _stored("p_second") == second
    per_table = -(-len(first) // batch_size) if batch_size else 1
    assert len([sql for sql in log.sql if "INSERT" in sql]) == 2 * per_table


@pytest.mark.django_db(transaction=True)
def test_insert_tables_of_no_rows_sends_nothing():
    with capture_queries() as log:
        insert_tables(connection, [("eri_contextvalue", COLUMNS, [])], 500)
    assert log.sql == []


@pytest.mark.django_db(transaction=True)
def test_store_run_writes_with_cyclic_collection_paused(monkeypatch):
    seen = []

    def spy(*args, **kwargs):
        seen.append(gc.isenabled())
        return insert_tables(*args, **kwargs)

    monkeypatch.setattr(prepare, "insert_tables", spy)
    tree = linear_pipeline(component_code="debug_node", node_count=3)
    validate_and_process_pipeline(tree)
    was_enabled = gc.isenabled()
    BambooDjangoRuntime().prepare_run_pipeline(tree, {}, {}, {})
    assert seen and not any(seen)
    assert gc.isenabled() == was_enabled


@pytest.mark.django_db(transaction=True)
def test_a_tree_failing_late_in_the_walk_leaves_no_rows():
    """Rows are made while the tree is walked: a node that fails to translate rolls back the batches
    already inserted."""
    tree = linear_pipeline(component_code="debug_node", node_count=9)
    validate_and_process_pipeline(tree)
    last = list(tree["activities"].values())[-1]
    last["component"]["inputs"] = {"broken": "not a dict"}
    small_batches = override_settings(BAMBOO_DJANGO_ERI_PREPARE_BATCH_SIZE=2)
    with small_batches, capture_queries() as log, pytest.raises(TreeInvalidException, match="broken"):
        BambooDjangoRuntime().prepare_run_pipeline(tree, {}, {}, {})
    assert any("INSERT" in sql for sql in log.sql), "some batches were sent before the failure"
    assert not models.Node.objects.exists() and not models.Data.objects.exists()
