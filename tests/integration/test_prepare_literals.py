"""The SQL literals of ``prepare_run_pipeline``'s bulk inserts, through a real MariaDB.

``pipeline.eri.imp.bulk_insert`` builds the INSERT statements itself on PyMySQL; here the nasty strings
of the unit tests go through the server in both escaping modes (backslash escapes, the default, and
``NO_BACKSLASH_ESCAPES``) and must read back unchanged, equal to what the driver's own escaping stores.
"""

from contextlib import contextmanager
from typing import Iterator, List

import pytest

from tests.sql_strings import NASTY

pytestmark = pytest.mark.integration

NO_BACKSLASH_ESCAPES = "NO_BACKSLASH_ESCAPES"
COLUMNS = ["pipeline_id", "key", "type", "serializer", "code", "value", "references"]


@pytest.fixture
def mariadb(it_session):
    """Django's connection to the session database (MariaDB through PyMySQL)."""
    from django.db import connection

    connection.ensure_connection()
    assert connection.vendor == "mysql"
    return connection


@contextmanager
def sql_mode(connection, extra: str) -> Iterator[None]:
    """The session's sql_mode plus ``extra`` inside the block (restored: the connection is pooled)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT @@SESSION.sql_mode")
        (saved,) = cursor.fetchone()
        if extra:
            cursor.execute("SET SESSION sql_mode = %s", [f"{saved},{extra}" if saved else extra])
        try:
            yield
        finally:
            cursor.execute("SET SESSION sql_mode = %s", [saved])


def _rows(pipeline_id: str) -> List[tuple]:
    long_text = "'\\" * 300_000 + "🙂" * 300_000  # longer than a statement: sent on its own
    texts = [*NASTY, long_text]
    return [
        (pipeline_id, f"${{k{index}}}", index, "json", text[:128], text, text[::-1])
        for index, text in enumerate(texts)
    ]


def _stored(pipeline_id: str) -> List[tuple]:
    from pipeline.eri.models import ContextValue

    return list(ContextValue.objects.filter(pipeline_id=pipeline_id).order_by("id").values_list(*COLUMNS))


def _delete(*pipeline_ids: str) -> None:
    from pipeline.eri.models import ContextValue

    ContextValue.objects.filter(pipeline_id__in=pipeline_ids).delete()


@pytest.mark.parametrize("mode", ["", NO_BACKSLASH_ESCAPES])
def test_nasty_strings_read_back_unchanged_and_equal_to_the_drivers_escaping(mariadb, mode):
    from django.db import transaction

    from pipeline.eri.imp.bulk_insert import (
        SERVER_STATUS_NO_BACKSLASH_ESCAPES,
        insert_tables,
        literal_function,
        quote_doubling_literal,
    )

    ours, driver = f"p_ours_{mode[:3]}", f"p_driver_{mode[:3]}"
    try:
        with sql_mode(mariadb, mode), transaction.atomic():
            status = mariadb.connection.server_status & SERVER_STATUS_NO_BACKSLASH_ESCAPES
            assert bool(status) == bool(mode)
            literal = literal_function(mariadb.connection)
            assert literal is not None, "the literal path, not executemany, is under test"
            assert (literal("'") == quote_doubling_literal("'")) == bool(mode)
            insert_tables(mariadb, [("eri_contextvalue", COLUMNS, _rows(ours))], 4)
            placeholders = ", ".join(["%s"] * len(COLUMNS))
            columns = ", ".join(mariadb.ops.quote_name(c) for c in COLUMNS)
            with mariadb.cursor() as cursor:
                cursor.executemany(
                    f"INSERT INTO eri_contextvalue ({columns}) VALUES ({placeholders})", _rows(driver)
                )
        assert _stored(ours) == _rows(ours)
        assert [row[1:] for row in _stored(ours)] == [row[1:] for row in _stored(driver)]
    finally:
        _delete(ours, driver)


def _nasty_tree() -> dict:
    from bamboo_engine.builder import (
        Data,
        DataInput,
        EmptyEndEvent,
        EmptyStartEvent,
        ServiceActivity,
        Var,
        build_tree,
    )

    start, end = EmptyStartEvent(), EmptyEndEvent()
    tail = start
    for text in NASTY:
        activity = ServiceActivity(component_code="debug_node", name=text or None)
        activity.component.inputs.plain = Var(type=Var.PLAIN, value=text)
        activity.component.inputs.lazy = Var(type=Var.LAZY, value=text + "${x}")
        tail = tail.extend(activity)
    tail.extend(end)
    data = Data()
    data.inputs["${x}"] = DataInput(type=Var.PLAIN, value="".join(NASTY))
    return build_tree(start, data=data)


def test_store_run_writes_exactly_the_rows_it_builds(mariadb):
    """Every column of every row of a run is the text the row builders produced."""
    from bamboo_engine.prepare import prepare_pipeline
    from bamboo_engine.validator import validate_and_process_pipeline
    from pipeline.eri.imp import prepare
    from pipeline.eri.models import ContextOutputs, ContextValue, Data, Node, Process, State
    from tests.integration.helpers import runtime

    tree = _nasty_tree()
    validate_and_process_pipeline(tree)
    root_id = tree["id"]
    expected_prepared = prepare_pipeline(tree, {"root": "'\\\0🙂"}, {}, {})
    try:
        runtime().prepare_run_pipeline(tree, {"root": "'\\\0🙂"}, {}, {})
        node_ids = list(expected_prepared.nodes) + [root_id]
        expected = {
            Node: list(prepare._node_rows(iter(expected_prepared.nodes.values()), root_id)),
            Data: list(prepare._data_rows(expected_prepared)),
            ContextValue: list(prepare._context_rows(runtime(), expected_prepared)),
            ContextOutputs: list(prepare._outputs_rows(expected_prepared)),
        }
        lookups = {
            Node: {"node_id__in": node_ids},
            Data: {"node_id__in": node_ids},
            ContextValue: {"pipeline_id": root_id},
            ContextOutputs: {"pipeline_id": root_id},
        }
        for model, rows in expected.items():
            stored = model.objects.filter(**lookups[model]).order_by("id")
            assert list(stored.values_list(*prepare._COLUMNS[model])) == rows, model.__name__
        assert len(expected[ContextValue]) == len(NASTY) + 1
    finally:
        for model in (Node, Data):
            model.objects.filter(node_id__in=list(expected_prepared.nodes) + [root_id]).delete()
        for model in (ContextValue, ContextOutputs):
            model.objects.filter(pipeline_id=root_id).delete()
        Process.objects.filter(root_pipeline_id=root_id).delete()
        State.objects.filter(node_id=root_id).delete()


def test_a_tree_failing_late_in_the_walk_rolls_back_the_piped_inserts(mariadb):
    """On MariaDB the node rows are inserted by the statement pipe while the tree is walked."""
    from bamboo_engine.exceptions import TreeInvalidException
    from bamboo_engine.validator import validate_and_process_pipeline
    from pipeline.eri.models import Data, Node
    from tests.django.querycount import capture_queries
    from tests.integration.helpers import runtime
    from tests.trees import linear_pipeline

    tree = linear_pipeline(component_code="debug_node", node_count=1200)
    validate_and_process_pipeline(tree)
    node_ids = [tree["start_event"]["id"], tree["end_event"]["id"], *tree["activities"]]
    list(tree["activities"].values())[-1]["component"]["inputs"] = {"broken": "not a dict"}
    with capture_queries() as log, pytest.raises(TreeInvalidException, match="broken"):
        runtime().prepare_run_pipeline(tree, {}, {}, {})
    assert (
        sum("INSERT INTO `eri_node`" in sql for sql in log.sql) >= 2
    ), "batches were sent before the failure"
    assert not Node.objects.filter(node_id__in=node_ids).exists()
    assert not Data.objects.filter(node_id__in=node_ids).exists()
