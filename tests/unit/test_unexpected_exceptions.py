"""An exception that escapes an execute or schedule step never strands its node (engine/failsafe.py).

Faults are injected into the in-memory runtime with ``inject_fault`` (ordinary errors, not interrupts);
every test checks the resulting state: the node FAILED with the traceback in ``ex_data``, the process
asleep at it so ``retry_node`` finishes the run — or, for a stale message, the node left untouched.
"""

import logging

import pytest
from prometheus_client import REGISTRY

from bamboo_engine import api, states
from bamboo_engine.builder import EmptyEndEvent, EmptyStartEvent, ServiceActivity, build_tree
from bamboo_engine.engine.messages import run_schedule_message
from bamboo_engine.eri.rules.task import execute_message
from bamboo_engine.metrics import HOST_NAME
from bamboo_engine.plugin import Service, StaticIntervalGenerator
from bamboo_engine.testing import InMemoryRuntime
from bamboo_engine.testing.dispatcher import Task

FAULT = "injected fault of"


class Succeeds(Service):
    def execute(self, data, parent_data):
        data.set_outputs("done", True)
        return True


class PollsOnce(Service):
    """Polls after 5 s (a real schedule message) and finishes on that poll."""

    __need_schedule__ = True
    interval = StaticIntervalGenerator(5)

    def execute(self, data, parent_data):
        return True

    def schedule(self, data, parent_data, callback_data=None):
        data.set_outputs("polled", True)
        self.finish_schedule()
        return True


class WaitsForCallback(Service):
    __need_schedule__ = True

    def execute(self, data, parent_data):
        return True

    def schedule(self, data, parent_data, callback_data=None):
        data.set_outputs("answer", callback_data["answer"])
        return True


class ForcedFailsItself(Service):
    """Forced to fail by the operator while it runs: its run is stale from then on."""

    runtime = None

    def execute(self, data, parent_data):
        assert api.forced_fail_activity(type(self).runtime, self.id, "forced by the operator").result
        return True


def unexpected(kind, outcome):
    labels = {"kind": kind, "outcome": outcome, "hostname": HOST_NAME}
    return REGISTRY.get_sample_value("engine_unexpected_exception_count_total", labels) or 0.0


@pytest.fixture
def rt():
    runtime = InMemoryRuntime()
    for code, cls in (
        ("ok", Succeeds),
        ("poll_once", PollsOnce),
        ("wait_cb", WaitsForCallback),
        ("forced", ForcedFailsItself),
    ):
        runtime.register_service(code, cls)
    yield runtime
    runtime.close()


def start_pipeline(rt, code):
    start, act, after, end = (
        EmptyStartEvent(),
        ServiceActivity(component_code=code),
        ServiceActivity(component_code="ok"),
        EmptyEndEvent(),
    )
    start.extend(act).extend(after).extend(end)
    tree = build_tree(start)
    assert api.run_pipeline(rt, tree).result
    return tree["id"], act.id, after.id


def for_node(node_id):
    return lambda first, *args, **kwargs: first == node_id


def assert_failed_and_parked(rt, node_id, kind="execute"):
    assert rt.get_state(node_id).name == states.FAILED
    ex_data = rt.get_execution_data_outputs(node_id)["ex_data"]
    assert ex_data.startswith(f"node({node_id}) {kind} step raised an unexpected error")
    assert "Traceback (most recent call last)" in ex_data and FAULT in ex_data
    assert rt.get_sleep_process_info_with_current_node_id(node_id) is not None
    assert rt.task_errors == []


def retry_to_the_end(rt, root_id, node_id):
    result = api.retry_node(rt, node_id)
    assert result.result, result.message
    rt.run_until_idle()
    assert rt.get_state(root_id).name == states.FINISHED
    assert rt.get_state(node_id).retry == 1


# -- execute ----------------------------------------------------------------------------------------


def test_execute_error_fails_the_node_fires_its_hooks_counts_and_retry_finishes(rt, caplog):
    root_id, act_id, after_id = start_pipeline(rt, "ok")
    rt.inject_fault("set_execution_data", when=for_node(act_id))
    before = unexpected("execute", "node_failed")

    with caplog.at_level(logging.ERROR, logger="bamboo_engine"):
        rt.run_until_idle()

    assert_failed_and_parked(rt, act_id)
    assert rt.get_state_or_none(after_id) is None
    assert unexpected("execute", "node_failed") == before + 1
    assert ("node_execute_fail", {"root_pipeline_id": root_id, "node_id": act_id}) in rt.hook_log
    assert any(act_id in record.getMessage() for record in caplog.records if record.levelno == logging.ERROR)
    retry_to_the_end(rt, root_id, act_id)


def test_a_signal_raising_after_the_running_write_fails_that_run(rt):
    """set_state(RUNNING) wrote the state, then a listener raised: the RUNNING run is the step's own."""
    root_id, act_id, _ = start_pipeline(rt, "ok")
    fired = []

    def listener(state):
        if state.node_id == act_id and state.name == states.RUNNING and not fired:
            fired.append(state.version)
            raise RuntimeError(f"{FAULT} a post_set_state receiver")

    rt.state_listeners.append(listener)
    rt.run_until_idle()

    assert_failed_and_parked(rt, act_id)
    assert rt.get_state(act_id).version != fired[0]  # a new version: nothing of the crashed run lands
    retry_to_the_end(rt, root_id, act_id)


def test_a_node_without_state_gets_a_failed_one(rt):
    root_id, act_id, _ = start_pipeline(rt, "ok")
    rt.inject_fault("get_node", when=for_node(act_id))

    rt.run_until_idle()

    assert_failed_and_parked(rt, act_id)
    state = rt.get_state(act_id)
    assert (state.root_id, state.loop, state.inner_loop) == (root_id, 1, 1)
    retry_to_the_end(rt, root_id, act_id)


def test_a_retried_node_failing_before_it_is_entered_goes_through_running(rt):
    root_id, act_id, _ = start_pipeline(rt, "ok")
    rt.inject_fault("set_execution_data", when=for_node(act_id))
    rt.run_until_idle()
    assert api.retry_node(rt, act_id).result
    assert rt.get_state(act_id).name == states.READY
    rt.inject_fault("get_node", when=for_node(act_id))
    transitions = []

    def record(state):
        if state.node_id == act_id:
            transitions.append(state.name)

    rt.state_listeners.append(record)

    rt.run_until_idle()

    assert_failed_and_parked(rt, act_id)
    assert transitions == [states.RUNNING, states.FAILED]
    assert api.retry_node(rt, act_id).result
    rt.run_until_idle()
    assert rt.get_state(root_id).name == states.FINISHED


def test_a_finish_hook_raising_fails_the_finished_node(rt):
    root_id, act_id, after_id = start_pipeline(rt, "ok")
    rt.inject_fault("node_finish", when=lambda root, node_id: node_id == act_id)

    rt.run_until_idle()

    assert_failed_and_parked(rt, act_id)
    assert rt.get_state_or_none(after_id) is None
    retry_to_the_end(rt, root_id, act_id)


def test_a_stale_run_does_not_fail_the_node_again(rt):
    """The node was forced to fail while its service ran; the run's error leaves that failure alone."""
    ForcedFailsItself.runtime = rt
    _, act_id, _ = start_pipeline(rt, "forced")
    rt.inject_fault("set_execution_data", when=for_node(act_id))
    before = unexpected("execute", "node_left")

    rt.run_until_idle()

    assert rt.get_state(act_id).name == states.FAILED
    assert rt.get_execution_data_outputs(act_id)["ex_data"] == "forced by the operator"
    assert unexpected("execute", "node_left") == before + 1
    assert rt.task_errors == []


def test_a_duplicate_message_does_not_fail_a_running_node_of_another_run(rt):
    root_id, act_id, _ = start_pipeline(rt, "wait_cb")
    rt.run_until_idle()
    waiting = rt.get_state(act_id)
    process = rt.get_sleep_process_info_with_current_node_id(act_id)
    rt.inject_fault("sleep", when=lambda process_id: process_id == process.process_id)

    rt.execute(process.process_id, act_id, root_id, root_id)  # a stray execute of the waiting node
    rt.run_until_idle()

    assert rt.get_state(act_id) == waiting
    assert rt.get_sleep_process_info_with_current_node_id(act_id) is not None
    assert api.callback(rt, act_id, waiting.version, {"answer": 42}).result
    rt.run_until_idle()
    assert rt.get_state(root_id).name == states.FINISHED


# -- schedule ---------------------------------------------------------------------------------------


def test_poll_error_fails_the_node_and_releases_the_lock(rt):
    root_id, act_id, _ = start_pipeline(rt, "poll_once")
    rt.run_until_idle(auto_advance=False)
    schedule = rt.get_schedule_with_node_and_version(act_id, rt.get_state(act_id).version)
    rt.inject_fault("get_execution_data", when=for_node(act_id))
    before = unexpected("schedule", "node_failed")

    rt.run_until_idle()  # the poll message

    assert_failed_and_parked(rt, act_id, kind="schedule")
    assert not rt.is_schedule_locked(schedule.id)
    assert unexpected("schedule", "node_failed") == before + 1
    assert ("node_schedule_fail", {"root_pipeline_id": root_id, "node_id": act_id}) in rt.hook_log
    retry_to_the_end(rt, root_id, act_id)


def test_callback_error_fails_the_node(rt):
    root_id, act_id, _ = start_pipeline(rt, "wait_cb")
    rt.run_until_idle()
    rt.inject_fault("get_callback_data")
    assert api.callback(rt, act_id, rt.get_state(act_id).version, {"answer": 1}).result

    rt.run_until_idle()

    assert_failed_and_parked(rt, act_id, kind="schedule")
    assert api.retry_node(rt, act_id).result
    rt.run_until_idle()
    assert api.callback(rt, act_id, rt.get_state(act_id).version, {"answer": 2}).result
    rt.run_until_idle()
    assert rt.get_state(root_id).name == states.FINISHED
    assert rt.get_execution_data_outputs(act_id)["answer"] == 2


def test_an_inline_first_poll_error_fails_the_node(rt):
    class PollsNow(PollsOnce):
        interval = StaticIntervalGenerator(0)

    rt.register_service("poll_now", PollsNow)
    root_id, act_id, _ = start_pipeline(rt, "poll_now")
    rt.inject_fault("set_execution_data", skip=1, when=for_node(act_id))  # the poll's write

    rt.run_until_idle()

    assert_failed_and_parked(rt, act_id)  # the poll ran inside the execute message
    retry_to_the_end(rt, root_id, act_id)


# -- when the node cannot be failed -----------------------------------------------------------------


def test_failing_the_node_failing_too_reaches_the_task_consumer(rt):
    _, act_id, _ = start_pipeline(rt, "ok")
    rt.inject_fault("set_execution_data", when=for_node(act_id))
    rt.inject_fault("set_execution_data_outputs", error=ConnectionError, when=for_node(act_id))
    rt.raise_task_errors = False
    before = unexpected("execute", "retried")

    rt.run_until_idle()

    assert [type(error) for error in rt.task_errors] == [ConnectionError]
    assert rt.get_state(act_id).name == states.RUNNING  # nothing of the failed attempt was written
    assert unexpected("execute", "retried") == before + 1


def test_a_message_for_a_missing_process_is_dropped(rt, caplog):
    before = unexpected("execute", "dropped")
    # Sending a message for a missing process is refused (it has no route): consume one whose process is
    # gone, as a worker would.
    kwargs = dict(execute_message(424242, "some-node", "root", "root"), headers={})

    with caplog.at_level(logging.ERROR, logger="bamboo_engine"):
        rt.consume(Task(seq=0, kind="execute", kwargs=kwargs, due=rt.clock.now()))
        rt.run_until_idle()

    assert rt.task_errors == []
    assert rt.get_state_or_none("some-node") is None
    assert unexpected("execute", "dropped") == before + 1
    assert any("process 424242" in record.getMessage() for record in caplog.records)


def test_an_undecodable_message_is_dropped(rt, caplog):
    before = unexpected("schedule", "dropped")

    with caplog.at_level(logging.ERROR, logger="bamboo_engine"):
        run_schedule_message(rt, 7, "some-node", 9, None, "{not json", None)  # returns, does not raise

    assert unexpected("schedule", "dropped") == before + 1
    assert any("some-node" in record.getMessage() for record in caplog.records)
