"""An exception escaping an execute or schedule task never strands a node RUNNING.

Realistic triggers outside the service's own ``execute``/``schedule`` (which the engine already guards):
a plugin's interval generator that runs out of delays (``IndexError`` from ``next()``), asked by the
engine after ``execute`` (execute task) or after a poll (schedule task). The node ends FAILED with the
traceback in ``ex_data`` (possibly after a bounded retry).
"""

import pytest

from bamboo_engine.builder import EmptyEndEvent, EmptyStartEvent, ServiceActivity, build_tree
from tests.compat.harness import execution_data, run, state_of, wait_states

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    "code",
    ["compat_misconfigured_poll", "compat_backoff_poll"],
    ids=["in-the-execute-task", "in-the-schedule-task"],
)
def test_unexpected_error_fails_the_node_with_its_traceback(worker, code):
    start, end = EmptyStartEvent(), EmptyEndEvent()
    act = ServiceActivity(component_code=code)
    start.extend(act).extend(end)

    root_id = run(build_tree(start))

    wait_states({act.id: "FAILED"}, root_id, worker)
    ex_data = str(execution_data(act.id)["outputs"].get("ex_data", ""))
    assert "Traceback" in ex_data and "IndexError" in ex_data, f"no traceback in ex_data: {ex_data!r}"
    assert state_of(root_id) == "RUNNING"
