"""``pipeline.contrib.plugin_execute`` end to end: api calls here, plugins in a real prefork worker.

The worker consumes only the plugin_execute queue (``settings.PLUGIN_EXECUTE_QUEUE``, default
``"plugin_execute"``); the plugins are the playground components. Every wait polls ``get_state``.
"""

from typing import Any, Dict

import pytest

from tests.integration.env import Worker, wait_until
from tests.integration.helpers import PROBE_IMPORTS

pytestmark = pytest.mark.integration

TIMEOUT = 60.0


@pytest.fixture(scope="module")
def plugin_execute_worker(it_session):
    from pipeline.conf import settings

    worker = Worker(
        it_session, "plugin_execute", "prefork", 2, [settings.PLUGIN_EXECUTE_QUEUE], PROBE_IMPORTS
    )
    worker.start()
    yield worker
    worker.stop()


def _ok(result) -> Any:
    assert result.result, f"api call failed: {result.message}\n{result.exc_trace}"
    return result.data


def _state(task_id: int) -> Dict[str, Any]:
    from pipeline.contrib.plugin_execute import api

    return _ok(api.get_state(task_id))


def _wait_state(worker: Worker, task_id: int, name: str, invoke_count: int = 1) -> Dict[str, Any]:
    def reached():
        state = _state(task_id)
        return state if (state["state"], state["invoke_count"]) == (name, invoke_count) else None

    try:
        return wait_until(reached, TIMEOUT, f"plugin execute task {task_id} {name}", interval=0.1)
    except TimeoutError as err:
        raise TimeoutError(f"{err}; now {_state(task_id)}\nworker log:\n{worker.log_tail()}") from err


def _run(code: str, inputs: Dict[str, Any], contexts: Dict[str, Any] = None) -> int:
    from pipeline.contrib.plugin_execute import api

    return _ok(api.run(code, "legacy", inputs, contexts or {}))


def test_run_and_poll_state_until_finished(plugin_execute_worker):
    task_id = _run("example_component", {"message": "hello"}, {"project": 1})

    state = _wait_state(plugin_execute_worker, task_id, "FINISHED")

    assert state["outputs"] == {"message": "hello", "_result": True}
    assert state["contexts"] == {"project": 1}
    assert state["finish_at"] >= state["create_at"]


def test_poll_plugin_finishes_on_the_worker(plugin_execute_worker):
    task_id = _run("sleep_timer", {"seconds": 1})

    _wait_state(plugin_execute_worker, task_id, "RUNNING")
    state = _wait_state(plugin_execute_worker, task_id, "FINISHED")

    assert state["outputs"]["_result"] is True and "wake_at" in state["outputs"]


def test_callback_finishes_a_waiting_plugin(plugin_execute_worker):
    from pipeline.contrib.plugin_execute import api

    task_id = _run("callback_node", {})
    _wait_state(plugin_execute_worker, task_id, "RUNNING")

    _ok(api.callback(task_id, {"ok": True, "job": 42}))

    state = _wait_state(plugin_execute_worker, task_id, "FINISHED")
    assert state["callback_data"] == {"ok": True, "job": 42}
    assert state["outputs"]["callback_data"] == {"ok": True, "job": 42}


def test_multi_callbacks_sent_back_to_back_are_all_handled(plugin_execute_worker):
    from pipeline.contrib.plugin_execute import api

    task_id = _run("multi_callback_node", {"callbacks_needed": 3})
    _wait_state(plugin_execute_worker, task_id, "RUNNING")

    for number in range(3):
        _ok(api.callback(task_id, {"n": number}))

    state = _wait_state(plugin_execute_worker, task_id, "FINISHED")
    assert state["outputs"]["callbacks"] == [{"n": 0}, {"n": 1}, {"n": 2}]


def test_forced_fail_then_retry_with_new_inputs(plugin_execute_worker):
    from pipeline.contrib.plugin_execute import api

    task_id = _run("callback_node", {"attempt": 1})
    _wait_state(plugin_execute_worker, task_id, "RUNNING")

    _ok(api.forced_fail(task_id))
    failed = _state(task_id)
    assert failed["state"] == "FAILED" and failed["outputs"]["ex_data"]
    late = api.callback(task_id, {"ok": True})
    assert late.result is False and "FAILED" in late.message

    _ok(api.retry(task_id, inputs={"attempt": 2}))
    _wait_state(plugin_execute_worker, task_id, "RUNNING", invoke_count=2)
    _ok(api.callback(task_id, {"ok": True}))
    state = _wait_state(plugin_execute_worker, task_id, "FINISHED", invoke_count=2)
    assert state["inputs"] == {"attempt": 2}


def test_failed_plugin_retried_with_new_inputs_finishes(plugin_execute_worker):
    from pipeline.contrib.plugin_execute import api

    task_id = _run("factorial", {"n": -1})
    failed = _wait_state(plugin_execute_worker, task_id, "FAILED")
    assert failed["outputs"]["ex_data"] == "n must be a non-negative integer, got -1"

    _ok(api.retry(task_id, inputs={"n": 6}))

    state = _wait_state(plugin_execute_worker, task_id, "FINISHED", invoke_count=2)
    assert state["outputs"]["factorial_of_n"] == 720


def test_a_bug_outside_the_plugin_call_fails_the_task_on_the_worker(plugin_execute_worker):
    from tests.integration import broken_plugins  # noqa: F401 - api.run checks the registration

    task_id = _run("it_interval_breaks", {})

    state = _wait_state(plugin_execute_worker, task_id, "FAILED")
    ex_data = state["outputs"]["ex_data"]
    assert state["outputs"]["_result"] is False and "Traceback (most recent call last)" in ex_data
    assert "interval generator exploded" in ex_data
