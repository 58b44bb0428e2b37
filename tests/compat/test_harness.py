"""The harness itself: the upstream-style project runs ordinary pipelines on its gevent worker.

If these fail, the other compat tests say nothing about the causes they are named after.
"""

import pytest

from bamboo_engine.builder import Data, EmptyEndEvent, EmptyStartEvent, ServiceActivity, Var, build_tree
from tests.compat.harness import (
    callback,
    execution_data,
    ok,
    run,
    wait_finished,
    wait_schedule_waiting,
)

pytestmark = pytest.mark.integration


def test_a_trivial_pipeline_finishes_on_the_gevent_worker(worker):
    start, end = EmptyStartEvent(), EmptyEndEvent()
    act = ServiceActivity(component_code="compat_noop")
    start.extend(act).extend(end)

    root_id = run(build_tree(start))

    wait_finished(root_id, worker)
    assert execution_data(act.id)["outputs"]["_result"] is True


def test_a_lazy_variable_and_a_callback_work(worker):
    start, end = EmptyStartEvent(), EmptyEndEvent()
    act = ServiceActivity(component_code="compat_callback")
    act.component.inputs.word = Var(type=Var.SPLICE, value="${word}")
    start.extend(act).extend(end)
    data = Data()
    data.inputs["${word}"] = Var(type=Var.LAZY, value="bamboo", custom_type="compat_upper")
    root_id = run(build_tree(start, data=data))

    wait_schedule_waiting(act.id, worker)
    ok(callback(act.id, {"ok": True}))

    wait_finished(root_id, worker)
    assert execution_data(act.id)["inputs"]["word"] == "BAMBOO"
