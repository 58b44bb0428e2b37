"""``pipeline.contrib.plugin_execute`` in an upstream-style project.

The project's Celery app uses ``config_from_object`` and no ``autodiscover_tasks``: plugin_execute's tasks
must still be registered on the worker (its app registers them when Django starts). A callback plugin
run alone stays RUNNING after a successful callback until it calls ``finish_schedule()``.
"""

from typing import Any, Dict

import pytest

from tests.compat.harness import ok
from tests.integration.env import Worker, wait_until

pytestmark = pytest.mark.integration

TASK_NAMES = {
    "pipeline.contrib.plugin_execute.tasks.execute",
    "pipeline.contrib.plugin_execute.tasks.schedule",
}


def state(task_id: int) -> Dict[str, Any]:
    from pipeline.contrib.plugin_execute import api

    return ok(api.get_state(task_id))


def wait_state(worker: Worker, task_id: int, name: str, **outputs: Any) -> Dict[str, Any]:
    """Wait until the task is in state ``name`` with (at least) ``outputs``; returns its state."""

    def reached():
        current = state(task_id)
        matches = current["state"] == name and all(
            current["outputs"].get(key) == value for key, value in outputs.items()
        )
        return current if matches else None

    try:
        return wait_until(reached, 60, f"plugin execute task {task_id} {name} {outputs}", interval=0.2)
    except TimeoutError as err:
        raise AssertionError(f"{err}; now {state(task_id)}\nworker log:\n{worker.log_tail()}") from None


def test_plugin_execute_tasks_are_registered_without_autodiscovery(worker):
    from celery import current_app

    registered = current_app.control.inspect([worker.nodename], timeout=5).registered() or {}

    names = set(registered.get(worker.nodename, []))
    assert names >= TASK_NAMES, f"missing on the worker: {sorted(TASK_NAMES - names)}"


def test_plugin_execute_runs_a_plugin_on_the_worker(worker):
    from pipeline.contrib.plugin_execute import api

    task_id = ok(api.run("compat_noop", "legacy", {"anything": 1}, {}))

    finished = wait_state(worker, task_id, "FINISHED")
    assert finished["outputs"]["_result"] is True


def test_callback_plugin_stays_running_until_it_finishes_its_schedule(worker):
    from pipeline.contrib.plugin_execute import api

    task_id = ok(api.run("compat_callback", "legacy", {}, {}))
    wait_state(worker, task_id, "RUNNING")

    ok(api.callback(task_id, {"ok": True, "step": 1}))
    first = wait_state(worker, task_id, "RUNNING", callbacks=[{"ok": True, "step": 1}])

    assert first["finish_at"] is None
    ok(api.callback(task_id, {"ok": True, "done": True}))
    finished = wait_state(worker, task_id, "FINISHED")
    assert finished["outputs"]["callbacks"] == [{"ok": True, "step": 1}, {"ok": True, "done": True}]
