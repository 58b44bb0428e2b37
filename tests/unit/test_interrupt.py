"""Interrupters, and recovery of interrupted execute/schedule messages against the in-memory runtime."""

import collections

import pytest

from bamboo_engine import api, local, states
from bamboo_engine.builder import (
    ConvergeGateway,
    EmptyEndEvent,
    EmptyStartEvent,
    ParallelGateway,
    ServiceActivity,
    SubProcess,
    build_tree,
)
from bamboo_engine.engine.worker import interrupt_exception_catcher
from bamboo_engine.eri import (
    ExecuteInterruptEvent,
    ExecuteInterruptPoint,
    HandlerExecuteData,
    ScheduleInterruptEvent,
    ScheduleInterruptPoint,
)
from bamboo_engine.exceptions import ValueError as EngineValueError
from bamboo_engine.interrupt import (
    ExecuteInterrupter,
    ExecuteKeyPoint,
    InterruptException,
    ScheduleInterrupter,
    ScheduleKeyPoint,
)
from bamboo_engine.plugin import Service, StaticIntervalGenerator
from bamboo_engine.testing import InMemoryRuntime

# -- the interrupter on its own --------------------------------------------------------------------


class DBError(Exception):
    pass


class RecordingRuntime:
    """Just what an interrupter touches: interrupt_errors, the two dispatches and the event hooks."""

    def __init__(self):
        self.sent = []
        self.events = []

    def interrupt_errors(self):
        return (DBError,)

    def execute(self, **kwargs):
        self.sent.append(("execute", kwargs))

    def schedule(self, **kwargs):
        self.sent.append(("schedule", kwargs))

    def handle_execute_interrupt_event(self, event):
        self.events.append(event)

    def handle_schedule_interrupt_event(self, event):
        self.events.append(event)


def execute_interrupter(runtime, recover_point=None):
    return ExecuteInterrupter(runtime, "n1", 7, "p1", "root", None, recover_point, {"h": 1})


def test_recover_point_is_accepted_as_json_dict_or_object():
    point = ExecuteInterruptPoint(
        name=ExecuteKeyPoint.SET_NODE_RUNNING_DONE.value,
        running_node_version="v1",
        handler_data=HandlerExecuteData(service_executed=True),
    )
    for given in (point, point.to_json(), {"name": point.name, "running_node_version": "v1"}):
        interrupter = execute_interrupter(RecordingRuntime(), given)
        assert interrupter.recover_point.running_node_version == "v1"
        # this attempt starts from the earlier progress but does not share its object
        assert interrupter.check_point.running_node_version == "v1"
        assert interrupter.check_point is not interrupter.recover_point


def test_empty_recover_point_means_a_fresh_message():
    for given in (None, "{}", ""):
        interrupter = execute_interrupter(RecordingRuntime(), given)
        assert interrupter.recover_point is None
        assert interrupter.check_point.name == ExecuteKeyPoint.ENTRY.value
        assert interrupter.check_point.handler_data == HandlerExecuteData()


def test_check_point_may_be_given_as_a_key_point():
    given = [ExecuteKeyPoint.ENTRY, ExecuteInterruptPoint(name=ExecuteKeyPoint.ENTRY)]  # type: ignore[arg-type]
    for check_point in given:
        interrupter = ExecuteInterrupter(RecordingRuntime(), "n1", 7, "p1", "root", check_point)
        assert interrupter.check_point.name == "ENTRY"
        assert ExecuteInterruptPoint.from_json(interrupter.check_point.to_json()).name == "ENTRY"


def test_bad_recover_point_raises_a_typed_error():
    with pytest.raises(EngineValueError, match="recover_point"):
        execute_interrupter(RecordingRuntime(), 42)


def test_interrupt_error_redispatches_with_the_check_point_and_reports_it():
    runtime = RecordingRuntime()
    interrupter = execute_interrupter(runtime)
    interrupter.check_and_set(ExecuteKeyPoint.SET_NODE_RUNNING_DONE, running_node_version="v9")

    with pytest.raises(InterruptException, match="SET_NODE_RUNNING_DONE"), interrupter.guard():
        raise DBError("connection lost")

    [(kind, kwargs)] = runtime.sent
    assert kind == "execute"
    assert (kwargs["process_id"], kwargs["node_id"], kwargs["root_pipeline_id"]) == (7, "n1", "root")
    assert kwargs["parent_pipeline_id"] == "p1" and kwargs["headers"] == {"h": 1}
    assert kwargs["recover_point"].running_node_version == "v9"
    [event] = runtime.events
    assert isinstance(event, ExecuteInterruptEvent)
    assert (event.name, event.process_id, event.node_id) == ("SET_NODE_RUNNING_DONE", 7, "n1")
    assert "connection lost" in event.exception_traceback


def test_other_errors_propagate_untouched():
    runtime = RecordingRuntime()
    with pytest.raises(KeyError), execute_interrupter(runtime).guard():
        raise KeyError("x")
    assert runtime.sent == [] and runtime.events == []


def test_moving_to_the_next_node_drops_the_recover_point():
    point = ExecuteInterruptPoint(name="EXECUTE_NODE_DONE", running_node_version="v1")
    interrupter = execute_interrupter(RecordingRuntime(), point)
    interrupter.move_to_node("n2")
    assert interrupter.recover_point is None
    assert interrupter.current_node_id == "n2"
    assert interrupter.check_point.running_node_version is None
    assert interrupter.check_point.handler_data == HandlerExecuteData()


def test_schedule_interrupter_redispatches_the_schedule():
    runtime = RecordingRuntime()
    interrupter = ScheduleInterrupter(runtime, "n1", 7, 11, 5, None, None, {"h": 2})
    interrupter.check_and_set(ScheduleKeyPoint.APPLY_LOCK_DONE, lock_get=True)
    with pytest.raises(InterruptException), interrupter.guard():
        raise DBError()
    [(kind, kwargs)] = runtime.sent
    assert kind == "schedule"
    assert (kwargs["schedule_id"], kwargs["callback_data_id"], kwargs["headers"]) == (11, 5, {"h": 2})
    assert isinstance(kwargs["recover_point"], ScheduleInterruptPoint)
    assert kwargs["recover_point"].lock_get is True
    assert isinstance(runtime.events[0], ScheduleInterruptEvent)


def test_catcher_swallows_interrupts_and_clears_the_current_node():
    @interrupt_exception_catcher
    def step():
        local.set_node_info(local.CurrentNodeInfo("n", "v", 1))
        raise InterruptException("re-dispatched")

    assert step() is None
    assert local.get_node_info() is None

    @interrupt_exception_catcher
    def failing():
        local.set_node_info(local.CurrentNodeInfo("n", "v", 1))
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        failing()
    assert local.get_node_info() is None


# -- recovery end to end ---------------------------------------------------------------------------

CALLS: collections.Counter = collections.Counter()


@pytest.fixture(autouse=True)
def _reset_calls():
    CALLS.clear()


class CountingPoll(Service):
    __need_schedule__ = True
    interval = StaticIntervalGenerator(0)

    def execute(self, data, parent_data):
        CALLS["execute"] += 1
        data.set_outputs("executed", CALLS["execute"])
        return True

    def schedule(self, data, parent_data, callback_data=None):
        CALLS["schedule"] += 1
        self.finish_schedule()
        return True


class CountingDelayedPoll(CountingPoll):
    interval = StaticIntervalGenerator(3)


class Counting(Service):
    def execute(self, data, parent_data):
        CALLS["execute"] += 1
        return True


def recovery_tree(code):
    """start → act → SubProcess(start → act → end) → pg ⇉ (act, act) ⇉ cg → end."""
    inner_start, inner_end = EmptyStartEvent(), EmptyEndEvent()
    inner_start.extend(ServiceActivity(component_code=code)).extend(inner_end)
    start, end, pg, cg = EmptyStartEvent(), EmptyEndEvent(), ParallelGateway(), ConvergeGateway()
    branches = [ServiceActivity(component_code=code) for _ in range(2)]
    start.extend(ServiceActivity(component_code=code)).extend(SubProcess(start=inner_start)).extend(pg)
    pg.connect(*branches).converge(cg).extend(end)
    return build_tree(start)


def run_with_interrupt(code, method, skip):
    rt = InMemoryRuntime(executor="sync")
    rt.register_service(code, {"poll": CountingPoll, "delayed": CountingDelayedPoll, "plain": Counting}[code])
    tree = recovery_tree(code)
    result = api.run_pipeline(rt, tree)
    assert result.result, result.exc_trace
    handle = rt.inject_interrupt(method, times=1, skip=skip)  # sync: nothing has run yet
    rt.run_until_idle()
    return rt, tree, handle


# (runtime method, calls let through before the one that raises); each case hits a different phase.
INTERRUPTED_CALLS = [
    ("get_process_info", 0),
    ("wake_up_at", 1),
    ("set_current_node", 4),
    ("set_running_if_fresh", 0),
    ("set_running_if_fresh", 2),
    ("get_node", 4),
    ("set_state", 1),
    ("set_state", 3),
    ("get_state", 0),
    ("set_execution_data", 0),
    ("set_execution_data", 2),
    ("set_schedule", 1),
    ("set_pipeline_stack", 0),
    ("set_pipeline_stack", 1),
    ("fork", 0),
    ("join", 0),
    ("child_process_finish", 1),
    ("sleep", 0),
    ("pre_schedule", 0),
    ("node_enter", 2),
]
# An inline first poll that ends the schedule counts its run in the write that finishes it.
INLINE_POLL_ONLY = [
    ("finish_polled_schedule", 0),
    ("finish_polled_schedule", 1),
]
# Calls only a schedule message makes: the inline first poll of "poll" works from what the execute
# holds in memory and takes no lock (no message about the schedule exists yet).
DELAYED_POLL_ONLY = [
    ("add_schedule_times", 1),
    ("finish_schedule", 0),
    ("get_schedule", 0),
    ("set_next_schedule", 2),
    ("get_execution_data", 1),
    ("apply_schedule_lock", 2),
    ("release_schedule_lock", 3),
]


@pytest.mark.parametrize(
    "code,method,skip",
    [("poll", *case) for case in INTERRUPTED_CALLS + INLINE_POLL_ONLY]
    + [("delayed", *case) for case in INTERRUPTED_CALLS + DELAYED_POLL_ONLY],
)
def test_interrupted_message_is_redispatched_and_every_service_runs_once(code, method, skip):
    rt, tree, handle = run_with_interrupt(code, method, skip)

    assert handle.raised == 1
    assert rt.get_state(tree["id"]).name == states.FINISHED
    assert CALLS["execute"] == 4 and CALLS["schedule"] == 4
    recovered = [t for t in rt.task_log if t.kwargs.get("recover_point") not in (None, "{}")]
    assert len(recovered) == 1
    assert len(rt.interrupt_events) == 1
    assert all(p.dead for p in rt.store.processes.values())
    assert not any(s.scheduling for s in rt.store.schedules.values())


@pytest.mark.parametrize("code", ["poll", "delayed"])
def test_a_fork_whose_children_were_stored_before_the_interrupt_reuses_them(code):
    # The connection is lost once the children's rows are written (a COMMIT whose answer never came):
    # the retried gateway must send those children, not fork a second set that nobody ever runs.
    rt = InMemoryRuntime(executor="sync")
    rt.register_service(code, {"poll": CountingPoll, "delayed": CountingDelayedPoll}[code])
    tree = recovery_tree(code)
    assert api.run_pipeline(rt, tree).result
    handle = rt.inject_interrupt("fork", times=1, after=True)
    rt.run_until_idle()

    assert handle.raised == 1
    assert rt.get_state(tree["id"]).name == states.FINISHED
    assert CALLS["execute"] == 4 and CALLS["schedule"] == 4
    assert len(rt.store.processes) == 3  # the root and the two children of one fork
    assert all(p.dead for p in rt.store.processes.values())


@pytest.mark.parametrize("skip", [0, 1, 2])
def test_a_poll_whose_lock_was_taken_before_the_interrupt_goes_on_under_that_lock(skip):
    # The lock's UPDATE committed and its answer was lost: the re-sent poll finds the lock taken by its
    # own interrupted attempt; nobody else would ever give it back.
    rt = InMemoryRuntime(executor="sync")
    rt.register_service("delayed", CountingDelayedPoll)
    tree = recovery_tree("delayed")
    assert api.run_pipeline(rt, tree).result
    handle = rt.inject_interrupt("apply_schedule_lock", times=1, skip=skip, after=True)
    rt.run_until_idle()

    assert handle.raised == 1
    assert rt.get_state(tree["id"]).name == states.FINISHED
    assert CALLS["execute"] == 4 and CALLS["schedule"] == 4
    assert not any(s.scheduling for s in rt.store.schedules.values())


def test_interrupt_after_the_service_ran_does_not_run_it_again():
    # set_execution_data is the handler's first write after the service executed.
    rt = InMemoryRuntime(executor="sync")
    rt.register_service("plain", Counting)
    start, end = EmptyStartEvent(), EmptyEndEvent()
    act = ServiceActivity(component_code="plain")
    start.extend(act).extend(end)
    tree = build_tree(start)
    assert api.run_pipeline(rt, tree).result
    handle = rt.inject_interrupt("set_execution_data", times=1)
    rt.run_until_idle()

    assert handle.raised == 1
    assert CALLS["execute"] == 1
    assert rt.get_state(act.id).name == states.FINISHED
    assert rt.get_state(tree["id"]).name == states.FINISHED
    [event] = rt.interrupt_events
    assert event.node_id == act.id and event.name == ExecuteKeyPoint.SA_SERVICE_EXECUTE_DONE.value


class CountingCallback(Service):
    __need_schedule__ = True

    def execute(self, data, parent_data):
        return True

    def schedule(self, data, parent_data, callback_data=None):
        CALLS["schedule"] += 1
        return True


def test_recovered_schedule_gives_the_lock_back_if_the_node_changed_meanwhile():
    rt = InMemoryRuntime(executor="sync")
    rt.register_service("cb", CountingCallback)
    start, end = EmptyStartEvent(), EmptyEndEvent()
    act = ServiceActivity(component_code="cb")
    start.extend(act).extend(end)
    tree = build_tree(start)
    assert api.run_pipeline(rt, tree).result
    rt.run_until_idle()
    state = rt.get_state(act.id)
    schedule = rt.get_schedule_with_node_and_version(act.id, state.version)
    rt.inject_interrupt("add_schedule_times", times=1)  # after the service ran, with the lock held
    recover_points = []

    def node_changes_while_message_is_redelivered(event):
        recover_points.extend(t.kwargs["recover_point"] for t in rt.pending_tasks())
        rt.set_state(act.id, states.FAILED, refresh_version=True)  # e.g. forced to fail

    rt.handle_schedule_interrupt_event = node_changes_while_message_is_redelivered
    data_id = rt.set_callback_data(act.id, state.version, {})
    rt.schedule(
        process_id=schedule.process_id, node_id=act.id, schedule_id=schedule.id, callback_data_id=data_id
    )
    rt.run_until_idle()

    [recover_point] = recover_points
    assert ScheduleInterruptPoint.from_json(recover_point).lock_get is True
    stored = rt.store.schedules[schedule.id]
    assert (stored.expired, stored.scheduling, stored.finished) == (True, False, False)
    assert CALLS["schedule"] == 1
    assert rt.get_state(act.id).name == states.FAILED
