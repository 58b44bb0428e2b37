"""``run`` + ``get_state``: plugins without schedule, POLL plugins and failures, through the task bodies."""

import datetime
from decimal import Decimal

from django.db import connection

from pipeline.contrib.plugin_execute import api, states
from pipeline.contrib.plugin_execute.models import PluginExecuteTask
from pipeline.contrib.plugin_execute.queues import EXECUTE_TASK_NAME, SCHEDULE_TASK_NAME
from tests.plugin_execute.helpers import started, state_of


def test_run_queues_a_ready_task_and_one_execute_message(broker):
    task_id = started("example_component", {"message": "hi"})

    state = state_of(task_id)
    assert (state["state"], state["invoke_count"], state["outputs"], state["finish_at"]) == (
        states.READY,
        1,
        {},
        None,
    )
    assert [(m.task_name, m.kwargs) for m in broker.sent] == [
        (EXECUTE_TASK_NAME, {"task_id": task_id, "invoke_count": 1})
    ]


def test_plugin_without_schedule_finishes_with_its_outputs(broker):
    task_id = started("example_component", {"message": "hi"}, contexts={"project": 1}, runtime_attrs={"a": 1})

    broker.run_until_idle()

    state = state_of(task_id)
    assert state["state"] == states.FINISHED
    assert state["outputs"] == {"message": "hi", "_result": True}
    assert state["finish_at"] is not None and state["finish_at"] >= state["create_at"]
    assert {key: state[key] for key in ("task_id", "component_code", "version", "inputs", "contexts")} == {
        "task_id": task_id,
        "component_code": "example_component",
        "version": "legacy",
        "inputs": {"message": "hi"},
        "contexts": {"project": 1},
    }
    assert (state["runtime_attrs"], state["callback_data"]) == ({"a": 1}, {})


def test_get_state_has_exactly_the_documented_keys(broker):
    task_id = started("example_component")

    assert set(state_of(task_id)) == {
        "task_id",
        "state",
        "component_code",
        "version",
        "invoke_count",
        "inputs",
        "outputs",
        "callback_data",
        "contexts",
        "runtime_attrs",
        "create_at",
        "finish_at",
    }


def test_service_sees_inputs_contexts_and_runtime_attributes(broker):
    task_id = started("pe_echo", {"value": 1}, contexts={"value": 2}, runtime_attrs={"owner": "alice"})

    broker.run_until_idle()

    outputs = state_of(task_id)["outputs"]
    assert outputs == {
        "echo": 1,
        "context_value": 2,
        "service_id": str(task_id),
        "service_version": "1",
        "owner": "alice",
        "loop_input": 1,
        "_result": True,
    }


def test_the_requested_version_runs(broker):
    task_id = started("pe_echo", {"value": 1}, version="v2")

    broker.run_until_idle()

    assert (state_of(task_id)["version"], state_of(task_id)["state"]) == ("v2", states.FINISHED)


def test_execute_returning_false_fails_with_the_plugin_message(broker):
    task_id = started("fail_node", {"message": "no disk"})

    broker.run_until_idle()

    state = state_of(task_id)
    assert (state["state"], state["outputs"]) == (states.FAILED, {"ex_data": "no disk", "_result": False})
    assert state["finish_at"] is not None


def test_execute_raising_fails_with_the_traceback(broker):
    task_id = started("raise_node", {"message": "boom"})

    broker.run_until_idle()

    state = state_of(task_id)
    assert state["state"] == states.FAILED
    assert "PlaygroundError: boom" in state["outputs"]["ex_data"]


def test_outputs_the_codec_can_not_store_fail_the_task_naming_key_and_type(broker):
    task_id = started("pe_unstorable")

    broker.run_until_idle()

    state = state_of(task_id)
    assert state["state"] == states.FAILED
    assert state["outputs"]["ex_data"].startswith("outputs.handle of type object cannot be stored")
    assert state["outputs"]["kept"] == datetime.date(2024, 5, 1)  # what can be stored is kept


def test_poll_plugin_is_scheduled_with_the_interval_generator_countdowns(broker):
    task_id = started("pe_three_polls")

    broker.deliver_next()  # execute
    assert (state_of(task_id)["state"], PluginExecuteTask.objects.get(id=task_id).scheduling) == (
        states.RUNNING,
        True,
    )
    broker.run_until_idle()

    state = state_of(task_id)
    assert (state["state"], state["outputs"]) == (states.FINISHED, {"polls": 3, "_result": True})
    schedules = [m for m in broker.sent if m.task_name == SCHEDULE_TASK_NAME]
    assert [(m.kwargs["schedule_round"], m.countdown) for m in schedules] == [(1, 1), (2, 4), (3, 9)]
    assert PluginExecuteTask.objects.get(id=task_id).scheduling is False


def test_datetimes_and_decimals_in_outputs_come_back_as_stored_on_the_next_poll(broker):
    task_id = started("pe_due_time")

    broker.run_until_idle()

    state = state_of(task_id)
    assert state["state"] == states.FINISHED, state["outputs"].get("ex_data")
    assert isinstance(state["outputs"]["due"], datetime.datetime)
    assert state["outputs"]["budget"] == {"amount": Decimal("1.50"), "tags": {"a", "b"}}
    with connection.cursor() as cursor:
        table = PluginExecuteTask._meta.db_table
        cursor.execute(f"SELECT outputs FROM {table} WHERE id = %s", [task_id])
        assert cursor.fetchone()[0].startswith("tagged_json:{")


def test_playground_sleep_timer_finishes(broker):
    task_id = started("sleep_timer", {"seconds": 0})

    broker.run_until_idle()

    assert state_of(task_id)["state"] == states.FINISHED


def test_poll_returning_false_fails_and_stops_polling(broker):
    task_id = started("pe_three_polls", {"fail_on_poll": 2})

    broker.run_until_idle()

    state = state_of(task_id)
    assert (state["state"], state["outputs"]["polls"]) == (states.FAILED, 2)
    assert len([m for m in broker.sent if m.task_name == SCHEDULE_TASK_NAME]) == 2


def test_poll_raising_fails_with_the_traceback(broker):
    task_id = started("pe_raising_poll")

    broker.run_until_idle()

    state = state_of(task_id)
    assert state["state"] == states.FAILED
    assert "ValueError: poll exploded" in state["outputs"]["ex_data"]


def test_run_of_an_unknown_component_is_refused_and_creates_nothing(broker):
    result = api.run("no_such_plugin", "legacy", {}, {})

    assert result.result is False
    assert "no_such_plugin" in result.message and "does not exist" in result.message
    assert (PluginExecuteTask.objects.count(), broker.sent) == (0, [])


def test_run_of_an_unknown_version_is_refused(broker):
    result = api.run("example_component", "v9", {}, {})

    assert result.result is False and "'v9'" in result.message
    assert PluginExecuteTask.objects.count() == 0


def test_run_refuses_inputs_that_are_not_a_dict_or_not_storable(broker):
    not_dict = api.run("example_component", "legacy", ["a"], {})
    not_json = api.run("example_component", "legacy", {}, {"when": object()})

    assert (not_dict.result, not_json.result) == (False, False)
    assert "inputs must be a dict, got list" in not_dict.message
    assert "contexts.when of type object cannot be stored" in not_json.message
    assert PluginExecuteTask.objects.count() == 0


def test_get_state_of_an_unknown_task_is_refused(broker):
    for task_id in (424242, "nope", None):
        result = api.get_state(task_id)
        assert result.result is False
        assert result.message == f"plugin execute task {task_id!r} does not exist"
