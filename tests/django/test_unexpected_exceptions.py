"""Unexpected exceptions in the real Celery task bodies never strand a node (Django runtime, SQLite).

Messages are delivered by ``pipeline.eri.celery.tasks.execute/schedule`` in the test's thread
(``tests.django.harness``); faults are ordinary errors of runtime methods or of a ``post_set_state``
receiver, not the database errors the runtime turns into interrupts. A task body raising would fail the
test in ``run_until_idle``.
"""

import logging

import pytest
from django.db import OperationalError

from bamboo_engine import api
from pipeline.eri import signals
from pipeline.eri.celery import tasks
from pipeline.eri.celery.queues import SCHEDULE_TASK_NAME
from pipeline.eri.models import Process, Schedule
from pipeline.eri.runtime import BambooDjangoRuntime
from tests.contract import trees

FAILED, FINISHED, RUNNING = "FAILED", "FINISHED", "RUNNING"


def fault(monkeypatch, method, node_id, when=lambda *args: True, error=RuntimeError, times=1):
    """``BambooDjangoRuntime.<method>`` raises ``error`` for ``node_id`` (first argument), ``times`` times."""
    original = getattr(BambooDjangoRuntime, method)
    raised = []

    def faulty(self, first, *args, **kwargs):
        if first == node_id and when(*args, **kwargs) and len(raised) < times:
            raised.append(first)
            raise error(f"injected fault of {method}")
        return original(self, first, *args, **kwargs)

    monkeypatch.setattr(BambooDjangoRuntime, method, faulty)
    return raised


def assert_failed_and_parked(harness, node_id, kind):
    assert harness.state_name(node_id) == FAILED
    ex_data = harness.outputs(node_id)["ex_data"]
    assert ex_data.startswith(f"node({node_id}) {kind} step raised an unexpected error")
    assert "Traceback (most recent call last)" in ex_data and "injected fault" in ex_data
    assert Process.objects.get(current_node_id=node_id).asleep


def retry_to_the_end(harness, root_id, node_id):
    result = api.retry_node(harness.runtime, node_id)
    assert result.result, result.message
    harness.wait_for_state(root_id, FINISHED)
    assert harness.state(node_id).retry == 1


def test_execute_task_fails_the_node_when_a_runtime_write_raises(harness, monkeypatch):
    act, after = trees.activity("empty_node"), trees.activity("empty_node")
    raised = fault(monkeypatch, "set_execution_data", act.id)

    root_id = harness.start(trees.linear_tree(act, after))
    harness.run_until_idle()

    assert raised and harness.state(after.id) is None
    assert_failed_and_parked(harness, act.id, "execute")
    retry_to_the_end(harness, root_id, act.id)


def test_execute_task_fails_the_node_when_a_post_set_state_receiver_raises(harness):
    act = trees.activity("empty_node")
    fired = []

    def receiver(sender, node_id, to_state, **kwargs):
        if node_id == act.id and to_state == RUNNING and not fired:
            fired.append(kwargs["version"])
            raise RuntimeError("injected fault of a post_set_state receiver")

    signals.post_set_state.connect(receiver, dispatch_uid="test_unexpected_receiver")
    try:
        root_id = harness.start(trees.linear_tree(act))
        harness.run_until_idle()
    finally:
        signals.post_set_state.disconnect(dispatch_uid="test_unexpected_receiver")

    assert_failed_and_parked(harness, act.id, "execute")
    assert harness.state(act.id).version != fired[0]
    retry_to_the_end(harness, root_id, act.id)


def test_schedule_task_fails_a_polled_node(harness, monkeypatch):
    poll = trees.activity("poll_node", polls=1)
    # the poll's own write: execute wrote count 0, the first poll writes count 1
    fault(monkeypatch, "set_execution_data", poll.id, when=lambda data: data.outputs.get("count") == 1)

    root_id = harness.start(trees.linear_tree(poll))
    harness.run_until_idle()

    assert_failed_and_parked(harness, poll.id, "schedule")
    (schedule,) = Schedule.objects.filter(node_id=poll.id)
    assert not schedule.scheduling  # the lock the poll took is given back
    retry_to_the_end(harness, root_id, poll.id)


def test_schedule_task_fails_a_called_back_node(harness, monkeypatch):
    waiting = trees.activity("callback_node")
    root_id = harness.start(trees.linear_tree(waiting))
    harness.run_until_idle()
    original = BambooDjangoRuntime.get_callback_data
    calls = []

    def broken(self, data_id):
        calls.append(data_id)
        if len(calls) == 1:
            raise RuntimeError("injected fault of get_callback_data")
        return original(self, data_id)

    monkeypatch.setattr(BambooDjangoRuntime, "get_callback_data", broken)

    harness.callback(waiting.id, {"answer": 1})
    harness.run_until_idle()

    assert_failed_and_parked(harness, waiting.id, "schedule")
    assert api.retry_node(harness.runtime, waiting.id).result
    harness.callback(waiting.id, {"answer": 2})
    harness.wait_for_state(root_id, FINISHED)
    assert harness.outputs(waiting.id)["answer"] == 2


def test_a_database_error_while_failing_the_node_goes_to_celerys_retry(harness, monkeypatch):
    act = trees.activity("empty_node")
    fault(monkeypatch, "set_execution_data", act.id)
    fault(monkeypatch, "set_execution_data_outputs", act.id, error=OperationalError)
    harness.start(trees.linear_tree(act))

    with pytest.raises(OperationalError):  # called directly, Celery's autoretry re-raises the error
        harness.broker.deliver(harness.broker.pop())

    assert OperationalError in tasks.execute.autoretry_for
    assert harness.state_name(act.id) == RUNNING  # nothing of the failed attempt was written


def test_the_last_retry_logs_the_message_ids(harness, monkeypatch, caplog):
    act = trees.activity("empty_node")
    harness.start(trees.linear_tree(act))
    message = harness.broker.pop()

    def database_down(*args, **kwargs):
        raise OperationalError("database is down")

    monkeypatch.setattr(tasks, "claim_delivery", database_down)
    with caplog.at_level(logging.ERROR, logger="pipeline.eri.celery.tasks"):
        result = tasks.execute.apply(kwargs=message.kwargs, retries=tasks.execute.max_retries)

    assert result.failed() and isinstance(result.result, OperationalError)
    (given_up,) = [r.getMessage() for r in caplog.records if "gave up" in r.getMessage()]
    assert message.kwargs["node_id"] in given_up and str(message.kwargs["process_id"]) in given_up


def test_a_message_of_a_missing_process_is_dropped(harness, caplog):
    with caplog.at_level(logging.ERROR, logger="bamboo_engine"):
        tasks.schedule(process_id=987654, node_id="ghost", schedule_id=1, callback_data_id=None)

    assert any("process 987654" in record.getMessage() for record in caplog.records)
    assert not [m for m in harness.broker.sent if m.task_name == SCHEDULE_TASK_NAME]
