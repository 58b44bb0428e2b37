"""``callback``: single and multiple callbacks, early callbacks, and the refusals."""

from pipeline.contrib.plugin_execute import api, states
from pipeline.contrib.plugin_execute.models import PluginExecuteTask
from pipeline.contrib.plugin_execute.queues import SCHEDULE_TASK_NAME
from tests.plugin_execute import services
from tests.plugin_execute.helpers import started, state_of


def _running(broker, component_code, inputs=None):
    task_id = started(component_code, inputs)
    broker.run_until_idle()
    assert state_of(task_id)["state"] == states.RUNNING
    return task_id


def test_callback_runs_schedule_with_the_data_and_finishes(broker):
    task_id = _running(broker, "callback_node")

    result = api.callback(task_id, {"ok": True, "value": 7})
    broker.run_until_idle()

    assert result.result, result.message
    state = state_of(task_id)
    assert state["state"] == states.FINISHED
    assert state["callback_data"] == {"ok": True, "value": 7}
    assert state["outputs"] == {"callback_data": {"ok": True, "value": 7}, "_result": True}


def test_callback_without_data_hands_none_to_schedule_and_stores_empty_data(broker):
    task_id = _running(broker, "pe_callback_once")

    assert api.callback(task_id).result
    broker.run_until_idle()

    state = state_of(task_id)
    assert (state["state"], state["callback_data"], state["outputs"]["received"]) == (states.FINISHED, {}, {})


def test_callback_reporting_failure_fails_the_task(broker):
    task_id = _running(broker, "callback_node")

    api.callback(task_id, {"ok": False, "message": "remote job failed"})
    broker.run_until_idle()

    state = state_of(task_id)
    assert (state["state"], state["outputs"]["ex_data"]) == (states.FAILED, "remote job failed")


def test_callback_plugin_stays_running_after_a_successful_callback_until_it_calls_finish_schedule(broker):
    task_id = _running(broker, "pe_callback_until_done")

    assert api.callback(task_id, {"n": 1}).result
    broker.run_until_idle()
    waiting = state_of(task_id)
    assert (waiting["state"], waiting["outputs"]["received"], waiting["finish_at"]) == (
        states.RUNNING,
        [{"n": 1}],
        None,
    )

    assert api.callback(task_id, {"n": 2, "done": True}).result
    broker.run_until_idle()
    done = state_of(task_id)
    assert (done["state"], done["outputs"]["received"]) == (
        states.FINISHED,
        [{"n": 1}, {"n": 2, "done": True}],
    )


def test_callback_after_the_plugin_finished_is_refused(broker):
    task_id = _running(broker, "callback_node")
    assert api.callback(task_id, {"n": 1}).result
    broker.run_until_idle()

    second = api.callback(task_id, {"n": 2})

    assert second.result is False
    assert (
        second.message == f"plugin execute task {task_id} is FINISHED, only a RUNNING task takes a callback"
    )
    assert state_of(task_id)["outputs"]["callback_data"] == {"n": 1}


def test_callback_accepted_before_an_earlier_one_finished_the_plugin_is_dropped(broker):
    task_id = _running(broker, "pe_callback_until_done")

    assert api.callback(task_id, {"n": 1, "done": True}).result
    assert api.callback(task_id, {"n": 2}).result
    broker.run_until_idle()

    state = state_of(task_id)
    assert (state["state"], state["outputs"]["received"]) == (states.FINISHED, [{"n": 1, "done": True}])


def test_multi_callback_plugin_takes_callbacks_until_it_finishes(broker):
    task_id = _running(broker, "multi_callback_node", {"callbacks_needed": 3})

    for number in range(3):
        assert api.callback(task_id, {"n": number}).result
        broker.run_until_idle()
        expected = states.FINISHED if number == 2 else states.RUNNING
        assert state_of(task_id)["state"] == expected

    assert state_of(task_id)["outputs"]["callbacks"] == [{"n": 0}, {"n": 1}, {"n": 2}]


def test_concurrent_multi_callbacks_are_handled_one_after_the_other_in_order(broker):
    task_id = _running(broker, "multi_callback_node", {"callbacks_needed": 2})
    api.callback(task_id, {"n": 1})
    api.callback(task_id, {"n": 2})

    # The second message is delivered first: it waits for the first callback's round.
    broker.pending.reverse()
    broker.run_until_idle()

    assert [m.kwargs["schedule_round"] for m in broker.retried] == [2]
    state = state_of(task_id)
    assert (state["state"], state["outputs"]["callbacks"]) == (states.FINISHED, [{"n": 1}, {"n": 2}])


def test_callback_during_execute_is_handled_after_execute_returned(broker):
    services.HOOKS["early"] = lambda service: api.callback(int(service.id), {"early": True})
    task_id = started("pe_callback_once", {"during_execute": "early"})

    broker.deliver_next()  # execute: the callback arrives meanwhile
    assert [m.task_name for m in broker.pending] == [SCHEDULE_TASK_NAME]
    broker.run_until_idle()

    state = state_of(task_id)
    assert (state["state"], state["outputs"]["received"]) == (states.FINISHED, {"early": True})


def test_callback_to_a_poll_plugin_is_refused(broker):
    task_id = started("pe_three_polls")
    broker.deliver_next()  # execute; the first poll stays pending

    result = api.callback(task_id, {"x": 1})

    assert result.result is False
    assert (
        result.message == f"plugin execute task {task_id}: pe_three_polls/legacy polls, it takes no callback"
    )
    assert PluginExecuteTask.objects.get(id=task_id).callbacks_received == 0


def test_callback_to_a_plugin_without_schedule_is_refused(broker):
    task_id = started("example_component")

    result = api.callback(task_id, {"x": 1})

    assert result.result is False
    assert "does not schedule, it takes no callback" in result.message


def test_callback_to_a_task_that_is_not_running_is_refused(broker):
    task_id = started("callback_node")

    ready = api.callback(task_id, {"x": 1})
    broker.run_until_idle()
    api.forced_fail(task_id)
    failed = api.callback(task_id, {"x": 1})

    assert (ready.result, failed.result) == (False, False)
    assert ready.message == f"plugin execute task {task_id} is READY, only a RUNNING task takes a callback"
    assert failed.message == f"plugin execute task {task_id} is FAILED, only a RUNNING task takes a callback"
    assert state_of(task_id)["callback_data"] == {}


def test_callback_with_bad_data_or_unknown_task_is_refused(broker):
    task_id = _running(broker, "callback_node")

    not_dict = api.callback(task_id, "ok")
    unknown = api.callback(999999, {})

    assert (not_dict.result, unknown.result) == (False, False)
    assert not_dict.message == f"plugin execute task {task_id}: callback_data must be a dict, got str"
    assert unknown.message == "plugin execute task 999999 does not exist"
    assert state_of(task_id)["state"] == states.RUNNING
