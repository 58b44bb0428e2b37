"""Duplicate Celery deliveries change nothing; the state machine table is exhaustive."""

import itertools

import pytest
from django.test import override_settings
from django.utils import timezone

from pipeline.contrib.plugin_execute import api, runner, states
from pipeline.contrib.plugin_execute.models import PluginExecuteTask
from pipeline.contrib.plugin_execute.queues import EXECUTE_TASK_NAME, SCHEDULE_TASK_NAME
from tests.plugin_execute import services
from tests.plugin_execute.helpers import started, state_of


def _row(task_id):
    return PluginExecuteTask.objects.filter(id=task_id).values().get()


def test_duplicate_execute_delivery_runs_execute_once(broker):
    calls = []
    services.HOOKS["count"] = lambda service: calls.append(service.id)
    task_id = started("pe_echo", {"value": 1, "during_execute": "count"})
    message = broker.pending[0]

    broker.run_until_idle()
    after_first = _row(task_id)
    broker.deliver(message)

    assert (calls, _row(task_id)) == ([str(task_id)], after_first)


def test_duplicate_delivery_while_execute_runs_is_a_no_op(broker):
    services.HOOKS["redeliver"] = lambda service: broker.deliver(broker.sent[0])
    task_id = started("pe_echo", {"value": 1, "during_execute": "redeliver"})

    broker.run_until_idle()

    assert (state_of(task_id)["state"], state_of(task_id)["outputs"]["echo"]) == (states.FINISHED, 1)


def test_duplicate_poll_delivery_polls_once(broker):
    task_id = started("pe_three_polls")
    broker.deliver_next()  # execute
    first_poll = broker.pending[0]
    broker.deliver_next()  # poll 1, sends poll 2

    broker.deliver(first_poll)

    assert _row(task_id)["schedule_times"] == 1
    assert state_of(task_id)["outputs"]["polls"] == 1
    assert [m.kwargs["schedule_round"] for m in broker.pending] == [2]


def test_duplicate_callback_delivery_is_handled_once(broker):
    task_id = started("multi_callback_node", {"callbacks_needed": 3})
    broker.run_until_idle()
    api.callback(task_id, {"n": 1})
    message = broker.pending[0]
    broker.run_until_idle()

    broker.deliver(message)

    assert state_of(task_id)["outputs"]["callbacks"] == [{"n": 1}]
    assert broker.retried == []


def test_schedule_message_of_an_unknown_task_is_dropped(broker):
    assert runner.schedule_task(123456, 1, 1) is runner.Verdict.DROPPED
    assert runner.execute_task(123456, 1) is False


def test_a_vanished_component_fails_the_task_with_the_reason(broker, monkeypatch):
    task_id = started("pe_echo", {"value": 1})
    from pipeline.component_framework.library import ComponentLibrary

    monkeypatch.setitem(ComponentLibrary.components, "pe_echo", {})
    broker.run_until_idle()

    state = state_of(task_id)
    assert state["state"] == states.FAILED
    assert "ComponentNotExistException" in state["outputs"]["ex_data"]


def _broken_publish(task_name, kwargs, countdown):
    raise ConnectionError("broker down")


def test_a_failed_publish_is_sent_later_by_the_outbox_relay(broker, monkeypatch):
    from pipeline.contrib.plugin_execute import dispatch
    from pipeline.eri import outbox
    from pipeline.eri.models import OutboxMessage

    monkeypatch.setattr(dispatch, "publish", _broken_publish)
    result = api.run("example_component", "legacy", {"message": "x"}, {})
    assert result.result and broker.sent == []
    task = PluginExecuteTask.objects.get()
    assert task.state == states.READY

    def relay_publish(task_name, kwargs, options):
        assert options == {"queue": "plugin_execute", "routing_key": "plugin_execute"}
        broker.publish(task_name, kwargs, None)

    assert outbox.relay_once(relay_publish) == 0  # too early: the fast path may still be publishing
    OutboxMessage.objects.update(publish_after=timezone.now())  # as if the relay delay had passed
    monkeypatch.setattr(dispatch, "publish", broker.publish)
    assert outbox.relay_once(relay_publish) == 1
    broker.run_until_idle()

    assert state_of(task.id)["state"] == states.FINISHED
    assert not OutboxMessage.objects.exists()


@override_settings(BAMBOO_DJANGO_ERI_OUTBOX=False)
def test_without_the_outbox_a_failed_publish_fails_the_task_so_it_can_be_retried(broker, monkeypatch):
    from pipeline.contrib.plugin_execute import dispatch

    monkeypatch.setattr(dispatch, "publish", _broken_publish)
    result = api.run("example_component", "legacy", {"message": "x"}, {})

    assert result.result is False and isinstance(result.exc, ConnectionError)
    task = PluginExecuteTask.objects.get()
    assert task.state == states.FAILED
    assert "broker down" in task.outputs["ex_data"] and EXECUTE_TASK_NAME in task.outputs["ex_data"]

    monkeypatch.setattr(dispatch, "publish", broker.publish)
    assert api.retry(task.id).result
    broker.run_until_idle()
    assert state_of(task.id)["state"] == states.FINISHED


def test_messages_carry_the_invoke_count_and_round(broker):
    task_id = started("pe_three_polls")
    broker.run_until_idle()

    assert [(m.task_name, m.kwargs) for m in broker.sent][:2] == [
        (EXECUTE_TASK_NAME, {"task_id": task_id, "invoke_count": 1}),
        (
            SCHEDULE_TASK_NAME,
            {"task_id": task_id, "invoke_count": 1, "schedule_round": 1, "callback_data": None},
        ),
    ]


# ------------------------------------------------------------------------------------ state machine
ALLOWED = {
    (states.READY, states.RUNNING),
    (states.READY, states.FAILED),
    (states.RUNNING, states.FINISHED),
    (states.RUNNING, states.FAILED),
    (states.FAILED, states.READY),
}


@pytest.mark.parametrize("from_state,to_state", list(itertools.product(sorted(states.ALL_STATES), repeat=2)))
def test_transition_table(from_state, to_state):
    assert states.can_transit(from_state, to_state) is ((from_state, to_state) in ALLOWED)


def test_unknown_state_transits_nowhere():
    assert not any(states.can_transit("SUSPENDED", to_state) for to_state in states.ALL_STATES)
