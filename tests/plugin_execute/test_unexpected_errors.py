"""A plugin run never stays RUNNING because something other than the plugin's own call raised.

Both components below run their ``execute``/``schedule`` fine; what raises is their interval generator,
called by the worker to schedule the next poll (in the execute task, then in a schedule task). The
task must end FAILED with the traceback in ``ex_data``, ready for ``retry``; no exception reaches Celery.
"""

import pytest
from prometheus_client import REGISTRY

from bamboo_engine.metrics import HOST_NAME
from pipeline.contrib.plugin_execute import states
from pipeline.contrib.plugin_execute.queues import SCHEDULE_TASK_NAME
from tests.plugin_execute.helpers import started, state_of


def failures(kind):
    labels = {"kind": kind, "outcome": "task_failed", "hostname": HOST_NAME}
    return REGISTRY.get_sample_value("engine_unexpected_exception_count_total", labels) or 0.0


@pytest.mark.parametrize(
    ("code", "kind", "polls"),
    [
        ("pe_interval_breaks_in_execute", "plugin_execute", 0),
        ("pe_interval_breaks_in_schedule", "plugin_schedule", 1),
    ],
)
def test_an_error_outside_the_plugin_call_fails_the_task(broker, code, kind, polls):
    before = failures(kind)
    task_id = started(code)

    broker.run_until_idle()  # a task body raising would fail the test here

    state = state_of(task_id)
    assert state["state"] == states.FAILED and state["finish_at"] is not None
    assert state["outputs"]["_result"] is False
    ex_data = state["outputs"]["ex_data"]
    assert ex_data.startswith(
        f"plugin execute task {task_id} {kind.split('_')[1]} raised an unexpected error"
    )
    assert "interval generator exploded" in ex_data and "Traceback (most recent call last)" in ex_data
    assert len([m for m in broker.sent if m.task_name == SCHEDULE_TASK_NAME]) == polls
    assert failures(kind) == before + 1
