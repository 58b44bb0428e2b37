"""The first POLL run inline from what execute holds in memory: results equal those of a schedule message.

A due-now first poll runs in the execute worker without re-reading the node's data, without the state
check and without the schedule lock. These tests pin that the observable outcome is unchanged: states,
execution data, the Schedule row, the process asleep whenever the node waits, and interrupts recovered
through a schedule message that runs the service no second time.
"""

import collections

import pytest

from bamboo_engine import api, states
from bamboo_engine.builder import EmptyEndEvent, EmptyStartEvent, ServiceActivity, Var, build_tree
from bamboo_engine.engine import Engine
from bamboo_engine.plugin import Service, StaticIntervalGenerator
from bamboo_engine.testing import InMemoryRuntime

CALLS: collections.Counter = collections.Counter()
PROBED: list = []


@pytest.fixture(autouse=True)
def _reset_calls():
    CALLS.clear()
    PROBED.clear()
    yield
    ThreePolls.probe = None


class ThreePolls(Service):
    """Counts its polls in the outputs and finishes on the third one.

    ``probe`` (set by a test) is called at every poll; its results are kept in ``PROBED``.
    """

    __need_schedule__ = True
    interval = StaticIntervalGenerator(0)
    probe = None

    def execute(self, data, parent_data):
        CALLS["execute"] += 1
        data.set_outputs("polls", 0)
        return True

    def schedule(self, data, parent_data, callback_data=None):
        CALLS["schedule"] += 1
        polls = data.get_one_of_outputs("polls") + 1
        data.set_outputs("polls", polls)
        if type(self).probe is not None:
            PROBED.append(type(self).probe())
        if polls == 3:
            self.finish_schedule()
        return True


class FailingPoll(Service):
    __need_schedule__ = True
    interval = StaticIntervalGenerator(0)

    def execute(self, data, parent_data):
        return True

    def schedule(self, data, parent_data, callback_data=None):
        CALLS["schedule"] += 1
        data.set_outputs("ex_data", "poll failed")
        return False


class OnePoll(Service):
    __need_schedule__ = True
    interval = StaticIntervalGenerator(0)

    def execute(self, data, parent_data):
        CALLS["execute"] += 1
        data.set_outputs("seen", data.get_one_of_inputs("value"))
        return True

    def schedule(self, data, parent_data, callback_data=None):
        CALLS["schedule"] += 1
        self.finish_schedule()
        return True


def make_runtime() -> InMemoryRuntime:
    rt = InMemoryRuntime(executor="sync")
    rt.register_service("three_polls", ThreePolls)
    rt.register_service("failing_poll", FailingPoll)
    rt.register_service("one_poll", OnePoll)
    return rt


def start_single(rt, code):
    start, end = EmptyStartEvent(), EmptyEndEvent()
    act = ServiceActivity(component_code=code)
    act.component.inputs.value = Var(type=Var.PLAIN, value="v")
    start.extend(act).extend(end)
    tree = build_tree(start)
    assert api.run_pipeline(rt, tree).result
    return tree, act.id


def process_of(rt, root_id):
    [record] = [p for p in rt.store.processes.values() if p.root_pipeline_id == root_id]
    return record


def schedule_record(rt, node_id):
    version = rt.get_state(node_id).version
    return rt.store.schedules[rt.get_schedule_with_node_and_version(node_id, version).id]


def schedule_flags(rt, node_id):
    """``(finished, scheduling, expired, schedule_times)`` of the node's current schedule row."""
    record = schedule_record(rt, node_id)
    return record.finished, record.scheduling, record.expired, record.schedule_times


def test_a_poll_that_is_not_done_leaves_the_process_asleep_and_every_later_poll_is_saved():
    rt = make_runtime()
    tree, act = start_single(rt, "three_polls")
    # what a poll sees: (process asleep, polls saved so far)
    ThreePolls.probe = lambda: (
        process_of(rt, tree["id"]).asleep,
        rt.get_execution_data_outputs(act)["polls"],
    )
    rt.run_until_idle()

    # the inline first poll ran in the execute worker (process awake); the two polls sent as messages
    # found the process asleep and the previous poll's outputs saved
    assert PROBED == [(False, 0), (True, 1), (True, 2)]
    assert rt.get_state(tree["id"]).name == states.FINISHED
    assert rt.get_execution_data_outputs(act)["polls"] == 3
    record = schedule_record(rt, act)
    assert (record.finished, record.scheduling, record.expired, record.schedule_times) == (
        True,
        False,
        False,
        3,
    )
    assert CALLS == {"execute": 1, "schedule": 3}
    assert [task.kind for task in rt.task_log].count("schedule") == 2


def test_a_failed_inline_poll_fails_the_node_and_the_process_sleeps():
    rt = make_runtime()
    tree, act = start_single(rt, "failing_poll")
    rt.run_until_idle()

    assert rt.get_state(act).name == states.FAILED
    assert rt.get_execution_data_outputs(act)["ex_data"] == "poll failed"
    assert rt.get_execution_data_outputs(act)["_result"] is False
    assert process_of(rt, tree["id"]).asleep
    record = schedule_record(rt, act)
    # a failed schedule is left unfinished, as after a poll message
    assert (record.finished, record.expired, record.scheduling) == (False, False, False)
    assert record.schedule_times == 1
    assert CALLS["schedule"] == 1


# the inline poll that ends the schedule counts its run in the write that finishes it
@pytest.mark.parametrize("method", ["pre_schedule", "set_state", "finish_polled_schedule"])
def test_an_interrupted_inline_poll_is_resent_with_the_process_asleep_and_polls_once(method):
    rt = make_runtime()
    tree, act = start_single(rt, "one_poll")
    # set_state: FINISHED of start passes (the RUNNING of start and act are set_running_if_fresh);
    # the act's FINISHED is interrupted
    handle = rt.inject_interrupt(method, times=1, skip=1 if method == "set_state" else 0)
    asleep_when_resent = []
    rt.handle_schedule_interrupt_event = lambda event: asleep_when_resent.append(
        process_of(rt, tree["id"]).asleep
    )
    rt.run_until_idle()

    assert handle.raised == 1
    assert asleep_when_resent == [True]
    assert rt.get_state(tree["id"]).name == states.FINISHED
    assert rt.get_execution_data_outputs(act)["seen"] == "v"
    assert CALLS == {"execute": 1, "schedule": 1}
    record = schedule_record(rt, act)
    assert (record.finished, record.scheduling, record.expired, record.schedule_times) == (
        True,
        False,
        False,
        1,
    )


def test_an_interrupted_next_poll_dispatch_is_recovered_without_an_extra_poll():
    rt = make_runtime()
    tree, act = start_single(rt, "three_polls")
    handle = rt.inject_interrupt("set_next_schedule", times=1)
    rt.run_until_idle()

    assert handle.raised == 1
    assert rt.get_state(tree["id"]).name == states.FINISHED
    assert rt.get_execution_data_outputs(act)["polls"] == 3
    assert CALLS == {"execute": 1, "schedule": 3}


def test_without_inline_polls_the_outcome_is_the_same(monkeypatch):
    monkeypatch.setattr(Engine, "INLINE_FIRST_POLL", False)
    rt = make_runtime()
    tree, act = start_single(rt, "three_polls")
    rt.run_until_idle()

    assert rt.get_state(tree["id"]).name == states.FINISHED
    assert rt.get_execution_data_outputs(act)["polls"] == 3
    record = schedule_record(rt, act)
    assert (record.finished, record.scheduling, record.schedule_times) == (True, False, 3)
    assert [task.kind for task in rt.task_log].count("schedule") == 3


class FinishedTooEarly(Service):
    """Calls ``finish_schedule()`` already in execute; only its second poll really finishes."""

    __need_schedule__ = True
    interval = StaticIntervalGenerator(0)

    def execute(self, data, parent_data):
        self.finish_schedule()
        return True

    def schedule(self, data, parent_data, callback_data=None):
        CALLS["schedule"] += 1
        if CALLS["schedule"] == 2:
            self.finish_schedule()
        return True


def test_the_inline_poll_does_not_inherit_a_finished_flag_from_execute():
    # a poll message always starts from a fresh service instance; the inline poll must not differ
    rt = make_runtime()
    rt.register_service("finished_too_early", FinishedTooEarly)
    tree, act = start_single(rt, "finished_too_early")
    rt.run_until_idle()

    assert rt.get_state(tree["id"]).name == states.FINISHED
    assert CALLS["schedule"] == 2
    assert schedule_flags(rt, act) == (True, False, False, 2)
