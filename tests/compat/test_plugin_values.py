"""Ordinary Python values in plugin data: stored, read back with their types, or a clean FAILED.

A timer plugin keeps ``datetime.now() + timedelta(...)`` in its outputs and compares it on the next
poll; plugins commonly store dates, decimals, UUIDs, sets, tuples and bytes. Those values must survive
every place plugin data is stored: execution data, context values, execution histories and
plugin_execute rows. A value nothing can store fails its node with ``ex_data`` naming the key and the
type, in the execute task as in the schedule task.
"""

from datetime import datetime, timedelta

import pytest

from bamboo_engine.builder import (
    Data,
    EmptyEndEvent,
    EmptyStartEvent,
    NodeOutput,
    ServiceActivity,
    Var,
    build_tree,
)
from tests.compat.harness import (
    execution_data,
    ok,
    run,
    runtime,
    wait_finished,
    wait_states,
)
from tests.integration.env import wait_until

pytestmark = pytest.mark.integration


def python_values():
    from compat_plugins.components.collections.values import PYTHON_VALUES

    return PYTHON_VALUES


def assert_same_values(stored: dict) -> None:
    for key, expected in python_values().items():
        assert key in stored, f"{key} missing from {sorted(stored)}"
        value = stored[key]
        assert type(value) is type(expected) and value == expected, f"{key}: {value!r} != {expected!r}"
    aware = stored["aware_datetime"]
    assert aware.utcoffset() == timedelta(hours=8), f"offset lost: {aware!r}"


def test_datetime_timer_finishes(worker):
    start, end = EmptyStartEvent(), EmptyEndEvent()
    timer = ServiceActivity(component_code="compat_timer")
    timer.component.inputs.seconds = Var(type=Var.PLAIN, value=1)
    start.extend(timer).extend(end)
    before = datetime.now()

    root_id = run(build_tree(start))

    wait_finished(root_id, worker)
    outputs = execution_data(timer.id)["outputs"]
    assert isinstance(outputs["eta"], datetime), repr(outputs["eta"])
    assert outputs["eta"] >= before + timedelta(seconds=1)
    assert outputs["polls"] >= 1


def test_python_values_round_trip_through_execution_data_and_context(worker):
    start, end = EmptyStartEvent(), EmptyEndEvent()
    producer = ServiceActivity(component_code="compat_python_values")
    consumer = ServiceActivity(component_code="compat_type_names")
    consumer.component.inputs.bundle = Var(type=Var.SPLICE, value="${bundle}")
    start.extend(producer).extend(consumer).extend(end)
    data = Data()
    data.inputs["${bundle}"] = NodeOutput(type=Var.PLAIN, source_act=producer.id, source_key="bundle")

    root_id = run(build_tree(start, data=data))

    wait_finished(root_id, worker)
    assert_same_values(execution_data(producer.id)["outputs"])
    consumed = execution_data(consumer.id)
    assert consumed["outputs"]["types"] == {
        key: type(value).__name__ for key, value in python_values().items()
    }
    assert consumed["outputs"]["equal"] is True
    assert_same_values(consumed["inputs"]["bundle"])


def test_python_values_survive_in_execution_history(worker):
    from bamboo_engine import api

    start, end = EmptyStartEvent(), EmptyEndEvent()
    act = ServiceActivity(component_code="compat_python_values")
    act.component.inputs.fail = Var(type=Var.PLAIN, value=True)
    start.extend(act).extend(end)
    root_id = run(build_tree(start))
    wait_states({act.id: "FAILED"}, root_id, worker)

    ok(api.retry_node(runtime(), act.id, data={"fail": False}))

    wait_finished(root_id, worker)
    histories = ok(api.get_node_histories(runtime(), act.id))
    assert len(histories) == 1, histories
    assert_same_values(histories[0]["outputs"])
    assert_same_values(execution_data(act.id)["outputs"])


def test_python_values_survive_in_plugin_execute(worker):
    from pipeline.contrib.plugin_execute import api

    task_id = ok(api.run("compat_python_values", "legacy", {}, {}))

    def finished():
        state = ok(api.get_state(task_id))
        return state if state["state"] in ("FINISHED", "FAILED") else None

    try:
        state = wait_until(finished, 60, f"plugin execute task {task_id} to end", interval=0.2)
    except TimeoutError as err:
        raise AssertionError(f"{err}; {ok(api.get_state(task_id))}\n{worker.log_tail()}") from None
    assert state["state"] == "FINISHED", state
    assert_same_values(state["outputs"])


@pytest.mark.parametrize(
    "code",
    ["compat_unstorable", "compat_unstorable_poll"],
    ids=["in-the-execute-task", "in-the-schedule-task"],
)
def test_unstorable_value_fails_the_node_naming_key_and_type(worker, code):
    start, end = EmptyStartEvent(), EmptyEndEvent()
    act = ServiceActivity(component_code=code)
    start.extend(act).extend(end)

    root_id = run(build_tree(start))

    wait_states({act.id: "FAILED"}, root_id, worker)
    ex_data = str(execution_data(act.id)["outputs"].get("ex_data", ""))
    assert "handle" in ex_data and "Handle" in ex_data, f"ex_data does not name key and type: {ex_data!r}"
