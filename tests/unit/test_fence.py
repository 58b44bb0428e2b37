"""Message fencing (``bamboo_engine.fence``): ``FENCE_EMIT_ENABLED`` and ``FENCE_ENFORCE`` on the in-memory
runtime, whose sending and consuming of messages are the rules every runtime shares."""

import copy

import pytest

from bamboo_engine import api, fence, states
from bamboo_engine.builder import (
    ConvergeGateway,
    EmptyEndEvent,
    EmptyStartEvent,
    ParallelGateway,
    ServiceActivity,
    SubProcess,
    build_tree,
)
from bamboo_engine.config import Settings
from bamboo_engine.metrics import ENGINE_FENCE_DROP, labelled
from bamboo_engine.plugin import Service, StaticIntervalGenerator
from bamboo_engine.testing import InMemoryRuntime

EXECUTIONS = {"count": 0}


class Counting(Service):
    def execute(self, data, parent_data):
        EXECUTIONS["count"] += 1
        return True


class Poll(Service):
    __need_schedule__ = True
    interval = StaticIntervalGenerator(5)

    def execute(self, data, parent_data):
        return True

    def schedule(self, data, parent_data, callback_data=None):
        polls = data.get_one_of_outputs("polls", 0) + 1
        data.set_outputs("polls", polls)
        if polls >= 2:
            self.finish_schedule()
        return True


class Callback(Service):
    __need_schedule__ = True
    __multi_callback_enabled__ = True

    def execute(self, data, parent_data):
        return True

    def schedule(self, data, parent_data, callback_data=None):
        data.set_outputs(f"got_{callback_data.get('n')}", True)
        if callback_data.get("last"):
            self.finish_schedule()
        return True


@pytest.fixture
def fences(monkeypatch):
    def set_fences(emit=True, enforce=True):
        monkeypatch.setattr(Settings, "FENCE_EMIT_ENABLED", emit)
        monkeypatch.setattr(Settings, "FENCE_ENFORCE", enforce)

    set_fences()
    return set_fences


@pytest.fixture
def runtime():
    instance = InMemoryRuntime()
    instance.register_service("fence_counting", Counting)
    instance.register_service("fence_poll", Poll)
    instance.register_service("fence_callback", Callback)
    EXECUTIONS["count"] = 0
    yield instance
    instance.close()


def _drops(kind, reason, enforced):
    return labelled(ENGINE_FENCE_DROP, kind=kind, reason=reason, enforced=str(enforced))._value.get()


def _act(code="fence_counting"):
    return ServiceActivity(component_code=code)


def _linear(*elements):
    start = EmptyStartEvent()
    current = start
    for element in elements:
        current = current.extend(element)
    current.extend(EmptyEndEvent())
    return build_tree(start)


def _parallel():
    start, gateway, converge = EmptyStartEvent(), ParallelGateway(), ConvergeGateway()
    start.extend(gateway).connect(_act(), _act(), _act("fence_poll")).converge(converge).extend(
        EmptyEndEvent()
    )
    return build_tree(start)


def _with_subprocess():
    child_start = EmptyStartEvent()
    child_start.extend(_act()).extend(_act("fence_poll")).extend(EmptyEndEvent())
    return _linear(_act(), SubProcess(start=child_start), _act())


@pytest.mark.parametrize(
    "make_tree", [_linear, _parallel, _with_subprocess], ids=["linear", "parallel", "sub"]
)
def test_enforced_fences_drop_nothing_in_ordinary_runs(fences, runtime, make_tree):
    tree = make_tree() if make_tree is not _linear else _linear(_act(), _act("fence_poll"), _act())
    before = sum(
        _drops(k, r, True)
        for k in ("execute", "schedule")
        for r in ("process_moved", "version_mismatch", "schedule_times_mismatch")
    )
    assert api.run_pipeline(runtime, tree).result
    runtime.run_until_idle()
    assert runtime.get_state(tree["id"]).name == states.FINISHED
    after = sum(
        _drops(k, r, True)
        for k in ("execute", "schedule")
        for r in ("process_moved", "version_mismatch", "schedule_times_mismatch")
    )
    assert after == before
    fenced = [task for task in runtime._dispatcher.task_log if fence.FENCE_HEADER in task.kwargs["headers"]]
    assert {task.kind for task in fenced} == {"execute", "schedule"}


def test_messages_carry_fences_only_when_emitting(fences, runtime):
    fences(emit=False, enforce=False)
    tree = _parallel()
    assert api.run_pipeline(runtime, tree).result
    runtime.run_until_idle()
    assert not any(fence.FENCE_HEADER in task.kwargs["headers"] for task in runtime._dispatcher.task_log)


def _duplicate_the_execute_of(runtime, node_id):
    """Run until the execute message of ``node_id`` is pending, then send a second copy of it."""
    while True:
        pending = [
            t for t in runtime._dispatcher.pending() if t.kind == "execute" and t.kwargs["node_id"] == node_id
        ]
        if pending:
            runtime._dispatcher.submit("execute", copy.deepcopy(pending[0].kwargs))
            return
        assert runtime._dispatcher.step(), f"no execute message for {node_id} was sent"


def _poll_count_poll():
    counting = _act()
    return _linear(_act("fence_poll"), counting, _act("fence_poll")), counting


def test_a_second_message_for_the_same_step_is_dropped(fences, runtime):
    """Two messages for one step (a re-dispatch while the original is late): the service runs once."""
    tree, counting = _poll_count_poll()
    assert api.run_pipeline(runtime, tree).result
    _duplicate_the_execute_of(runtime, counting.id)
    dropped = _drops("execute", "process_moved", True)

    runtime.run_until_idle()

    assert runtime.get_state(tree["id"]).name == states.FINISHED
    assert EXECUTIONS["count"] == 1
    assert _drops("execute", "process_moved", True) == dropped + 1


def test_without_enforcing_the_stale_message_runs_and_is_counted(fences, runtime):
    fences(emit=True, enforce=False)
    tree, counting = _poll_count_poll()
    assert api.run_pipeline(runtime, tree).result
    _duplicate_the_execute_of(runtime, counting.id)
    observed = _drops("execute", "process_moved", False)
    runtime.run_until_idle()
    assert _drops("execute", "process_moved", False) == observed + 1
    assert EXECUTIONS["count"] == 2  # what fencing prevents when enforced


def test_a_replayed_poll_is_dropped(fences, runtime):
    tree = _linear(_act("fence_poll"))
    assert api.run_pipeline(runtime, tree).result
    runtime.run_until_idle()
    polls = [task for task in runtime._dispatcher.task_log if task.kind == "schedule"]
    assert polls and all(fence.read_schedule_fence(task.kwargs["headers"]) for task in polls)
    dropped = _drops("schedule", "schedule_times_mismatch", True)
    runtime.consume(polls[0])  # the broker delivers the first poll again
    assert _drops("schedule", "schedule_times_mismatch", True) == dropped + 1


def test_callbacks_are_not_fenced(fences, runtime):
    act = _act("fence_callback")
    tree = _linear(act)
    assert api.run_pipeline(runtime, tree).result
    runtime.run_until_idle()
    assert api.callback(runtime, act.id, runtime.get_state(act.id).version, {"n": 1}).result
    assert api.callback(runtime, act.id, runtime.get_state(act.id).version, {"n": 2, "last": True}).result
    runtime.run_until_idle()
    assert runtime.get_state(tree["id"]).name == states.FINISHED
    outputs = runtime.get_execution_data_outputs(act.id)
    assert outputs["got_1"] and outputs["got_2"]
    callbacks = [
        t for t in runtime._dispatcher.task_log if t.kind == "schedule" and t.kwargs["callback_data_id"]
    ]
    assert callbacks and not any(fence.FENCE_HEADER in t.kwargs["headers"] for t in callbacks)


def test_a_message_without_fence_runs_when_enforcing(fences, runtime):
    fences(emit=False, enforce=True)
    tree = _linear(_act(), _act())
    assert api.run_pipeline(runtime, tree).result
    runtime.run_until_idle()
    assert runtime.get_state(tree["id"]).name == states.FINISHED and EXECUTIONS["count"] == 2


def test_headers_are_read_defensively():
    assert fence.read_execute_fence(None) is None
    assert fence.read_execute_fence({"fence": {"kind": "execute", "from_node": 3}}) is None
    assert fence.read_schedule_fence({"fence": {"kind": "schedule", "schedule_times": True}}) is None
    token = fence.read_execute_fence({"fence": {"kind": "execute", "from_node": "n1", "from_version": "v"}})
    assert token == fence.ExecuteFence("n1", "v")
    assert fence.dispatch_headers(
        {"fence": {"kind": "schedule", "schedule_times": 1}}, fence.ScheduleFence(3)
    ) == {"fence": {"kind": "schedule", "schedule_times": 1}}
