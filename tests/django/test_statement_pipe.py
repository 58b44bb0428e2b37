"""``pipeline.eri.imp.statement_pipe.StatementPipe`` on SQLite: order, transaction, failures, threads.

On MariaDB the pipe carries prepare's INSERTs (tests/integration/test_prepare_literals.py and the
contract suite's django-mariadb runtime exercise it there).
"""

import contextvars
import threading

import pytest
from django.db import IntegrityError, connection, transaction

from pipeline.eri import models
from pipeline.eri.imp.statement_pipe import StatementPipe

pytestmark = pytest.mark.django_db(transaction=True)

RUN_LABEL: contextvars.ContextVar = contextvars.ContextVar("run_label", default=None)


def _insert(node_id: str) -> str:
    return f"INSERT INTO eri_data (node_id, inputs, outputs) VALUES ('{node_id}', '{{}}', '{{}}')"


def _stored() -> list:
    return list(models.Data.objects.order_by("id").values_list("node_id", flat=True))


class Recorder:
    """An execute wrapper noting each statement's thread and context variable."""

    def __init__(self) -> None:
        self.calls: list = []

    def __call__(self, execute, sql, params, many, context):
        self.calls.append((sql, threading.get_ident(), RUN_LABEL.get()))
        return execute(sql, params, many, context)


def test_statements_run_in_order_in_a_helper_thread_with_the_callers_context():
    recorder = Recorder()
    RUN_LABEL.set("run-1")
    with transaction.atomic(), connection.execute_wrapper(recorder), StatementPipe() as pipe:
        for index in range(7):
            pipe.send(_insert(f"n{index}"))
    assert _stored() == [f"n{index}" for index in range(7)]
    assert [sql for sql, _, _ in recorder.calls] == [_insert(f"n{index}") for index in range(7)]
    assert {thread for _, thread, _ in recorder.calls} != {threading.get_ident()}
    assert {label for _, _, label in recorder.calls} == {"run-1"}


def test_statements_belong_to_the_callers_transaction():
    with pytest.raises(RuntimeError), transaction.atomic():
        with StatementPipe() as pipe:
            pipe.send(_insert("a"))
            pipe.send(_insert("b"))
        assert _stored() == ["a", "b"]
        raise RuntimeError("roll back")
    assert _stored() == []


def test_a_failing_statement_stops_the_rest_and_fails_the_caller():
    recorder = Recorder()
    atomic, wrapped = transaction.atomic(), connection.execute_wrapper(recorder)
    with pytest.raises(IntegrityError), atomic, wrapped, StatementPipe() as pipe:
        pipe.send(_insert("dup"))
        pipe.send(_insert("dup"))  # unique node_id
        for index in range(5):
            pipe.send(_insert(f"after{index}"))
    assert _stored() == []
    assert [sql for sql, _, _ in recorder.calls] == [_insert("dup")] * 2
    assert not connection.allow_thread_sharing


def test_a_failure_of_the_caller_waits_for_the_helper_and_goes_on():
    pipe = StatementPipe()
    with pytest.raises(ValueError), transaction.atomic(), pipe:
        pipe.send(_insert("x"))
        raise ValueError("row building failed")
    assert not pipe._thread.is_alive()
    assert not connection.allow_thread_sharing
    assert _stored() == []


def test_an_empty_pipe_sends_nothing():
    recorder = Recorder()
    with connection.execute_wrapper(recorder), StatementPipe():
        pass
    assert recorder.calls == []
    assert not connection.allow_thread_sharing
