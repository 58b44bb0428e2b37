"""A schedule whose ``schedule()`` returned False stays unfinished; a later callback expires it.

Upstream releases the lock and leaves the row ``finished=False, expired=False`` when the node fails; a
callback for the same node version is then accepted, and its message, finding the node FAILED, expires
the schedule without running the service again.
"""

import pytest

from bamboo_engine.builder import EmptyEndEvent, EmptyStartEvent, ServiceActivity, build_tree
from tests.compat.harness import (
    callback,
    execution_data,
    ok,
    run,
    state_of,
    version_of,
    wait_schedule_waiting,
    wait_states,
)
from tests.integration.env import wait_until

pytestmark = pytest.mark.integration


def schedule_row(node_id: str, version: str):
    from pipeline.eri.models import Schedule

    return Schedule.objects.get(node_id=node_id, version=version)


def test_multi_callback_failing_first_leaves_the_schedule_unfinished_and_expired_by_the_next(worker):
    start, end = EmptyStartEvent(), EmptyEndEvent()
    act = ServiceActivity(component_code="compat_multi_callback")
    start.extend(act).extend(end)
    root_id = run(build_tree(start))
    wait_schedule_waiting(act.id, worker)
    version = version_of(act.id)

    ok(callback(act.id, {"fail": True}, version))
    wait_states({act.id: "FAILED"}, root_id, worker)
    row = schedule_row(act.id, version)
    assert (row.finished, row.expired, row.scheduling, row.schedule_times) == (False, False, False, 1)

    second = callback(act.id, {"done": True}, version)

    assert second.result, f"a callback to the failed schedule was refused: {second.message}"
    try:
        wait_until(lambda: schedule_row(act.id, version).expired, 60, "the schedule to expire", interval=0.2)
    except TimeoutError as err:
        raise AssertionError(
            f"{err}; row {vars(schedule_row(act.id, version))}\n{worker.log_tail()}"
        ) from None
    row = schedule_row(act.id, version)
    assert (row.finished, row.expired, row.schedule_times) == (False, True, 1)
    assert state_of(act.id) == "FAILED"
    assert execution_data(act.id)["outputs"]["callbacks"] == [{"fail": True}]
