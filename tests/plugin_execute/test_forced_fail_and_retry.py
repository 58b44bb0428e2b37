"""``forced_fail`` and ``retry``: what they change, what they refuse, and late results they drop."""

import pytest

from pipeline.contrib.plugin_execute import api, states
from pipeline.contrib.plugin_execute.api import FORCED_FAIL_MESSAGE
from pipeline.contrib.plugin_execute.models import PluginExecuteTask
from pipeline.contrib.plugin_execute.queues import EXECUTE_TASK_NAME
from tests.plugin_execute import services
from tests.plugin_execute.helpers import started, state_of


def test_forced_fail_of_a_waiting_task_fails_it_and_a_late_callback_is_refused(broker):
    task_id = started("callback_node")
    broker.run_until_idle()

    result = api.forced_fail(task_id)

    assert result.result, result.message
    state = state_of(task_id)
    assert (state["state"], state["outputs"]) == (
        states.FAILED,
        {"_result": False, "ex_data": FORCED_FAIL_MESSAGE},
    )
    assert state["finish_at"] is not None
    assert api.callback(task_id, {"ok": True}).result is False


def test_forced_fail_of_a_ready_task_makes_its_execute_message_a_no_op(broker):
    task_id = started("example_component", {"message": "hi"})

    assert api.forced_fail(task_id).result
    broker.run_until_idle()

    state = state_of(task_id)
    assert (state["state"], state["outputs"]) == (
        states.FAILED,
        {"_result": False, "ex_data": FORCED_FAIL_MESSAGE},
    )


def test_result_of_an_execute_forced_failed_meanwhile_is_dropped(broker):
    services.HOOKS["fail_me"] = lambda service: api.forced_fail(int(service.id))
    task_id = started("pe_echo", {"value": 1, "during_execute": "fail_me"})

    broker.run_until_idle()

    state = state_of(task_id)
    assert (state["state"], state["outputs"]) == (
        states.FAILED,
        {"_result": False, "ex_data": FORCED_FAIL_MESSAGE},
    )


def test_poll_forced_failed_during_schedule_is_not_polled_again(broker):
    services.HOOKS["fail_me"] = lambda service: api.forced_fail(int(service.id))
    task_id = started("pe_three_polls", {"during_schedule": "fail_me"})

    delivered = broker.run_until_idle()

    assert delivered == 2  # execute + the first poll; no further poll was sent
    task = PluginExecuteTask.objects.get(id=task_id)
    assert (task.state, task.outputs["polls"], task.schedule_busy, task.schedule_times) == (
        states.FAILED,
        0,
        False,
        0,
    )


@pytest.mark.parametrize("component_code", ["example_component", "fail_node"])
def test_forced_fail_of_a_finished_or_failed_task_is_refused_and_changes_nothing(broker, component_code):
    task_id = started(component_code)
    broker.run_until_idle()
    before = state_of(task_id)

    result = api.forced_fail(task_id)

    assert result.result is False
    assert result.message == f"can not forced fail plugin execute task {task_id}: it is {before['state']}"
    assert state_of(task_id) == before


def test_forced_fail_of_an_unknown_task_is_refused(broker):
    result = api.forced_fail(31337)

    assert (result.result, result.message) == (False, "plugin execute task 31337 does not exist")


def test_retry_with_new_inputs_runs_again_with_the_next_invoke_count(broker):
    task_id = started("factorial", {"n": -1})
    broker.run_until_idle()
    assert state_of(task_id)["state"] == states.FAILED

    result = api.retry(task_id, inputs={"n": 5})
    assert result.result, result.message
    assert (state_of(task_id)["state"], state_of(task_id)["finish_at"]) == (states.READY, None)
    broker.run_until_idle()

    state = state_of(task_id)
    assert (state["state"], state["invoke_count"], state["inputs"]) == (states.FINISHED, 2, {"n": 5})
    assert state["outputs"] == {"factorial_of_n": 120, "_result": True}
    executes = [m.kwargs for m in broker.sent if m.task_name == EXECUTE_TASK_NAME]
    assert executes == [{"task_id": task_id, "invoke_count": 1}, {"task_id": task_id, "invoke_count": 2}]


def test_retry_without_arguments_keeps_inputs_contexts_and_runtime_attrs(broker):
    task_id = started(
        "pe_echo", {"value": 1, "succeed": False}, contexts={"value": 2}, runtime_attrs={"owner": "a"}
    )
    broker.run_until_idle()

    api.retry(task_id)
    broker.run_until_idle()

    state = state_of(task_id)
    assert (state["inputs"], state["contexts"], state["runtime_attrs"]) == (
        {"value": 1, "succeed": False},
        {"value": 2},
        {"owner": "a"},
    )
    assert (state["state"], state["invoke_count"], state["outputs"]["service_version"]) == (
        states.FAILED,
        2,
        "2",
    )


def test_retry_of_a_callback_task_starts_a_fresh_callback_cycle(broker):
    task_id = started("callback_node")
    broker.run_until_idle()
    api.callback(task_id, {"ok": False})
    broker.run_until_idle()

    api.retry(task_id)
    broker.run_until_idle()
    assert (state_of(task_id)["state"], state_of(task_id)["callback_data"]) == (states.RUNNING, {})
    api.callback(task_id, {"ok": True})
    broker.run_until_idle()

    assert state_of(task_id)["state"] == states.FINISHED


def test_messages_of_the_previous_invoke_change_nothing_after_retry(broker):
    task_id = started("pe_three_polls")
    broker.deliver_next()  # execute; the first poll is pending
    stale_poll = broker.pending.pop()
    api.forced_fail(task_id)
    api.retry(task_id)
    broker.run_until_idle()  # invoke 2 runs to the end

    before = state_of(task_id)
    broker.deliver(stale_poll)
    old_execute = next(m for m in broker.sent if m.task_name == EXECUTE_TASK_NAME)
    broker.deliver(old_execute)

    assert state_of(task_id) == before
    assert (before["state"], before["invoke_count"], before["outputs"]["polls"]) == (states.FINISHED, 2, 3)


@pytest.mark.parametrize("component_code", ["example_component", "callback_node"])
def test_retry_of_a_task_that_did_not_fail_is_refused_and_changes_nothing(broker, component_code):
    task_id = started(component_code)
    broker.run_until_idle()
    before = state_of(task_id)

    result = api.retry(task_id, inputs={"x": 1})

    assert result.result is False
    assert (
        result.message == f"can not retry plugin execute task {task_id}: it is {before['state']}, not FAILED"
    )
    assert state_of(task_id) == before


def test_retry_with_bad_inputs_is_refused_and_changes_nothing(broker):
    task_id = started("fail_node")
    broker.run_until_idle()
    before = state_of(task_id)

    result = api.retry(task_id, inputs={"handle": object()})

    assert result.result is False
    assert result.message.startswith(
        f"plugin execute task {task_id}: inputs.handle of type object cannot be stored"
    )
    assert state_of(task_id) == before


def test_retry_of_an_unknown_task_is_refused(broker):
    assert api.retry(4040, inputs={}).message == "plugin execute task 4040 does not exist"
