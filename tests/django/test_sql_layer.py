"""``pipeline.eri.imp._sql`` on SQLite: the checks of tests/sql_layer_checks.py, plus vendor handling.

The shared checks also run on MariaDB (tests/integration/test_sql_layer_mariadb.py). They use
``transactional_db``: the insert checks need to see the difference between autocommit and an explicit
``transaction.atomic()`` block, which pytest-django's wrapping transaction would hide.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pipeline.eri.imp import _sql
from pipeline.eri.models import ContextValue, State
from tests.sql_layer_checks import CHECKS, cleanup


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.__name__.removeprefix("check_"))
def test_sql_layer(check, transactional_db):
    prefix = "sq"
    try:
        check(prefix)
    finally:
        cleanup(prefix)


def test_sqlite_is_what_the_checks_ran_on(transactional_db):
    assert connection.vendor == "sqlite"


def test_upsert_statements_are_cached_per_vendor():
    """One process may talk to MySQL and SQLite (two aliases): a cached statement must not cross over."""
    names, key, update = ("pipeline_id", "key", "value"), ("pipeline_id", "key"), ("value",)
    sqlite = _sql._upsert_sql_for("sqlite", ContextValue, names, key, update, 1)
    mysql = _sql._upsert_sql_for("mysql", ContextValue, names, key, update, 1)
    assert "ON CONFLICT" in sqlite and "ON DUPLICATE KEY" not in sqlite
    assert "ON DUPLICATE KEY UPDATE" in mysql and "ON CONFLICT" not in mysql
    assert _sql._upsert_sql_for("sqlite", ContextValue, names, key, update, 1) == sqlite


@pytest.mark.parametrize(
    "cached, args",
    [
        (_sql._update_sql_for, (State, ("name",), (), ("node_id",))),
        (_sql._insert_sql_for, (State, ("node_id", "name"))),
        (_sql._select_sql_for, (State, ("name",), ("node_id",), None, 0, None)),
    ],
    ids=["update", "insert", "select"],
)
def test_every_statement_cache_is_keyed_by_vendor(cached, args):
    before = cached.cache_info()
    cached("vendor-a", *args)
    cached("vendor-b", *args)
    cached("vendor-a", *args)
    after = cached.cache_info()
    assert (after.misses - before.misses, after.hits - before.hits) == (2, 1)


@pytest.mark.parametrize("write", ["upsert", "upsert_many"])
def test_upserts_on_another_vendor_send_nothing(write, transactional_db, monkeypatch):
    """The caller (``pipeline.eri.imp._db.upsert``) then takes the ORM path."""
    row = {"pipeline_id": "p", "key": "k", "type": 1, "serializer": "json", "value": "v", "references": ""}
    key = ("pipeline_id", "key")
    with monkeypatch.context() as patch, CaptureQueriesContext(connection) as queries:
        patch.setattr(connection, "vendor", "oracle")
        if write == "upsert":
            assert _sql.upsert(ContextValue, key, row, ("value",)) is False
        else:
            assert _sql.upsert_many(ContextValue, key, [row], ("value",)) is False
    assert queries.captured_queries == []
    assert not ContextValue.objects.exists()


def _state_row(node_id: str) -> dict:
    return {"node_id": node_id, "name": "READY", "version": "v1", "root_id": "r", "parent_id": "p"}


def test_insert_on_a_backend_without_plain_sql_takes_the_orm_path(transactional_db, monkeypatch):
    """A backend this module writes no INSERT for: the id comes from the ORM, conflicts still give None.
    (PostgreSQL's ``INSERT ... RETURNING`` is checked by tests/integration/test_sql_layer_postgres.py.)"""
    monkeypatch.setattr(_sql, "_INSERT_VENDORS", ())
    new_id = _sql.insert(State, _state_row("orm-path"))
    assert new_id == State.objects.get(node_id="orm-path").pk
    assert _sql.insert(State, _state_row("orm-path")) is None


@pytest.mark.parametrize("call", ["update", "select"])
def test_none_in_a_where_condition_is_refused(call, transactional_db):
    """``column = NULL`` would silently match nothing (the ORM writes ``IS NULL``)."""
    with pytest.raises(ValueError, match="None in a WHERE"):
        if call == "update":
            _sql.update(State, {"node_id": None}, {"name": "RUNNING"})
        else:
            _sql.select(State, ("name",), {"node_id": None})
