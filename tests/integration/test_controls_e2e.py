"""Control operations end to end: api calls in the test process, work in a real gevent worker.

The pipelines use the playground components (``sleep_timer``, ``callback_node``, ``fail_node``,
``debug_node``); every wait polls the database with a timeout.
"""

from typing import Tuple

import pytest

from bamboo_engine import api
from bamboo_engine.builder import EmptyEndEvent, EmptyStartEvent, ServiceActivity, Var, build_tree
from tests.integration.env import wait_until
from tests.integration.helpers import runtime, start, state_name, wait_finished, wait_for_states

pytestmark = pytest.mark.integration

QUEUE = "gv"


def _activity(code: str, **inputs) -> ServiceActivity:
    activity = ServiceActivity(component_code=code)
    for key, value in inputs.items():
        setattr(activity.component.inputs, key, Var(type=Var.PLAIN, value=value))
    return activity


def _chain(*activities: ServiceActivity) -> dict:
    start_event = EmptyStartEvent()
    tail = start_event
    for activity in activities:
        tail = tail.extend(activity)
    tail.extend(EmptyEndEvent())
    return build_tree(start_event)


def _ok(result: api.EngineAPIResult):
    assert result.result, f"api call failed: {result.message}\n{result.exc_trace}"
    return result.data


def _two_steps(first: ServiceActivity) -> Tuple[dict, str, str]:
    second = _activity("debug_node", note="after")
    return _chain(first, second), first.id, second.id


def _process_suspended(root_id: str) -> bool:
    from pipeline.eri.models import Process

    return Process.objects.filter(root_pipeline_id=root_id, suspended=True).exists()


def test_pause_then_resume_pipeline(gevent_worker):
    tree, timer_id, next_id = _two_steps(_activity("sleep_timer", seconds=1))
    root_id = start(tree, queue=QUEUE)
    wait_for_states({timer_id: "RUNNING"})
    _ok(api.pause_pipeline(runtime(), root_id))
    assert state_name(root_id) == "SUSPENDED"
    # The running timer still finishes; the process then stops before the next node.
    wait_for_states({timer_id: "FINISHED"})
    wait_until(lambda: _process_suspended(root_id), 60, "the process to be suspended")
    assert state_name(next_id) is None
    _ok(api.resume_pipeline(runtime(), root_id))
    wait_finished([root_id])
    assert state_name(next_id) == "FINISHED"


def test_pause_and_resume_node_appoint(gevent_worker):
    first, second = _activity("sleep_timer", seconds=1), _activity("debug_node", step=2)
    tree = _chain(first, second)
    root_id = start(tree, queue=QUEUE)
    wait_for_states({first.id: "RUNNING"})
    _ok(api.pause_node_appoint(runtime(), second.id))
    wait_for_states({first.id: "FINISHED"})
    wait_until(lambda: _process_suspended(root_id), 60, "the process to stop at the appointed node")
    assert state_name(second.id) in (None, "SUSPENDED")
    _ok(api.resume_node_appoint(runtime(), second.id))
    wait_finished([root_id])
    assert state_name(second.id) == "FINISHED"


def test_revoke_pipeline_while_a_node_waits_for_callback(gevent_worker):
    tree, callback_id, next_id = _two_steps(_activity("callback_node"))
    root_id = start(tree, queue=QUEUE)
    wait_for_states({callback_id: "RUNNING"})
    _ok(api.revoke_pipeline(runtime(), root_id))
    wait_for_states({root_id: "REVOKED"})
    assert state_name(next_id) is None
    # Revoking is final: the pipeline cannot be resumed.
    assert api.resume_pipeline(runtime(), root_id).result is False
    assert state_name(root_id) == "REVOKED"


def test_retry_failed_node_with_new_inputs(gevent_worker):
    tree, timer_id, next_id = _two_steps(_activity("sleep_timer", seconds=-1))
    root_id = start(tree, queue=QUEUE)
    wait_for_states({timer_id: "FAILED"})
    outputs = _ok(api.get_execution_data_outputs(runtime(), timer_id))
    assert "non-negative" in str(outputs.get("ex_data"))
    _ok(api.retry_node(runtime(), timer_id, data={"seconds": 0}))
    wait_finished([root_id])
    state = runtime().get_state(timer_id)
    assert (state.name, state.retry) == ("FINISHED", 1)
    assert state_name(next_id) == "FINISHED"


def test_skip_failed_node(gevent_worker):
    tree, fail_id, next_id = _two_steps(_activity("fail_node", message="broken on purpose"))
    root_id = start(tree, queue=QUEUE)
    wait_for_states({fail_id: "FAILED"})
    assert _ok(api.get_execution_data_outputs(runtime(), fail_id))["ex_data"] == "broken on purpose"
    _ok(api.skip_node(runtime(), fail_id))
    wait_finished([root_id])
    state = runtime().get_state(fail_id)
    assert (state.name, state.skip) == ("FINISHED", True)
    assert state_name(next_id) == "FINISHED"


def test_callback_finishes_the_node_with_its_data(gevent_worker):
    tree, callback_id, _ = _two_steps(_activity("callback_node"))
    root_id = start(tree, queue=QUEUE)

    def schedule_ready() -> bool:
        state = runtime().get_state_or_none(callback_id)
        if state is None or state.name != "RUNNING":
            return False
        return runtime().get_sleep_process_info_with_current_node_id(callback_id) is not None

    wait_until(schedule_ready, 60, "the callback node to wait for its callback")
    version = runtime().get_state(callback_id).version

    # The schedule row is written right after the process sleeps: retry the callback until accepted.
    def accepted() -> bool:
        return api.callback(runtime(), callback_id, version, {"ok": True, "answer": 42}).result

    wait_until(accepted, 30, "the callback to be accepted", interval=0.2)
    wait_finished([root_id])
    outputs = _ok(api.get_execution_data_outputs(runtime(), callback_id))
    assert outputs["callback_data"] == {"ok": True, "answer": 42}


def test_callback_reporting_failure_then_skip(gevent_worker):
    tree, callback_id, _ = _two_steps(_activity("callback_node"))
    root_id = start(tree, queue=QUEUE)
    wait_for_states({callback_id: "RUNNING"})
    version = runtime().get_state(callback_id).version
    wait_until(
        lambda: api.callback(runtime(), callback_id, version, {"ok": False, "message": "no"}).result,
        30,
        "the failing callback to be accepted",
        interval=0.2,
    )
    wait_for_states({callback_id: "FAILED"})
    _ok(api.skip_node(runtime(), callback_id))
    wait_finished([root_id])
