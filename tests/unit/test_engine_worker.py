"""Engine.execute / Engine.schedule against the in-memory runtime: resulting states, data and messages."""

import collections

import pytest

from bamboo_engine import api, metrics, states
from bamboo_engine.builder import (
    ConvergeGateway,
    EmptyEndEvent,
    EmptyStartEvent,
    ParallelGateway,
    ServiceActivity,
    SubProcess,
    build_tree,
)
from bamboo_engine.eri import HookType, ScheduleType
from bamboo_engine.plugin import Service, StaticIntervalGenerator
from bamboo_engine.testing import InMemoryRuntime

CALLS: collections.Counter = collections.Counter()


@pytest.fixture(autouse=True)
def _reset_calls():
    CALLS.clear()
    yield
    CALLS.clear()


class EmptyService(Service):
    def execute(self, data, parent_data):
        CALLS["empty.execute"] += 1
        data.set_outputs("done", True)
        return True


class PollService(Service):
    """POLL every 0 s; finishes on the first poll (the benchmark's debug_node)."""

    __need_schedule__ = True
    interval = StaticIntervalGenerator(0)

    def execute(self, data, parent_data):
        CALLS["poll.execute"] += 1
        return True

    def schedule(self, data, parent_data, callback_data=None):
        CALLS["poll.schedule"] += 1
        self.finish_schedule()
        return True


class SlowPollService(Service):
    """POLL every 5 s, never finishes on its own."""

    __need_schedule__ = True
    interval = StaticIntervalGenerator(5)

    def execute(self, data, parent_data):
        return True

    def schedule(self, data, parent_data, callback_data=None):
        CALLS["slow.schedule"] += 1
        return True


class CallbackService(Service):
    __need_schedule__ = True

    def execute(self, data, parent_data):
        CALLS["callback.execute"] += 1
        return True

    def schedule(self, data, parent_data, callback_data=None):
        CALLS["callback.schedule"] += 1
        data.set_outputs("callback", callback_data)
        return True

    def callback_lock_retryable(self, callback_data=None):
        return bool((callback_data or {}).get("retryable"))


class MultiCallbackService(CallbackService):
    __multi_callback_enabled__ = True


class FailFirstIterationService(Service):
    def execute(self, data, parent_data):
        CALLS["fail_first.execute"] += 1
        return data.get_one_of_inputs("_inner_loop") != 1


class HookedService(EmptyService):
    __need_run_hook__ = True

    def node_finish(self, data, parent_data):
        data.set_outputs("finish_hook", True)

    def pre_pause_node(self, data, parent_data):
        CALLS["hooked.pre_pause_node"] += 1
        data.set_outputs("pause_hook", True)


def make_runtime(**kwargs) -> InMemoryRuntime:
    rt = InMemoryRuntime(executor="sync", **kwargs)
    rt.register_service("empty", EmptyService)
    rt.register_service("poll", PollService)
    rt.register_service("slow_poll", SlowPollService)
    rt.register_service("callback", CallbackService)
    rt.register_service("multi_callback", MultiCallbackService)
    rt.register_service("hooked", HookedService)
    rt.register_service("fail_first", FailFirstIterationService)
    return rt


def linear(*codes: str):
    """``start → activities of codes → end``; returns (tree, [activity ids])."""
    start, end = EmptyStartEvent(), EmptyEndEvent()
    acts = [ServiceActivity(component_code=code) for code in codes]
    current = start
    for act in acts:
        current = current.extend(act)
    current.extend(end)
    return build_tree(start), [act.id for act in acts]


def start_run(rt, tree, **options):
    result = api.run_pipeline(rt, tree, **options)
    assert result.result, result.exc_trace


def process_of(rt, root_id):
    [record] = [p for p in rt.store.processes.values() if p.root_pipeline_id == root_id and p.parent_id == -1]
    return record


def schedule_of(rt, node_id):
    state = rt.get_state(node_id)
    return rt.get_schedule_with_node_and_version(node_id, state.version)


def send_callback(rt, node_id, data):
    """What api.callback dispatches, without its preconditions (so stale cases can be built)."""
    state = rt.get_state(node_id)
    schedule = rt.get_schedule_with_node_and_version(node_id, state.version)
    data_id = rt.set_callback_data(node_id, state.version, data)
    rt.schedule(
        process_id=schedule.process_id, node_id=node_id, schedule_id=schedule.id, callback_data_id=data_id
    )
    return schedule


# -- the happy path --------------------------------------------------------------------------------


def test_linear_pipeline_finishes_and_process_dies():
    rt = make_runtime()
    tree, [act] = linear("empty")
    start_run(rt, tree)
    rt.run_until_idle()

    assert rt.get_state(tree["id"]).name == states.FINISHED
    assert rt.get_state(act).name == states.FINISHED
    assert rt.get_execution_data_outputs(act)["done"] is True
    process = process_of(rt, tree["id"])
    assert process.dead is True
    # One message carries the whole chain: nothing in it needs a broker round trip.
    assert [task.kind for task in rt.task_log] == ["execute"]


def test_first_poll_due_at_once_runs_inline():
    rt = make_runtime()
    tree, acts = linear("poll", "poll")
    start_run(rt, tree)
    rt.run_until_idle()

    assert rt.get_state(tree["id"]).name == states.FINISHED
    assert CALLS["poll.execute"] == 2 and CALLS["poll.schedule"] == 2
    for act in acts:
        schedule = schedule_of(rt, act)
        assert (schedule.finished, schedule.expired, schedule.times) == (True, False, 1)
        assert rt.store.schedules[schedule.id].scheduling is False
    assert [task.kind for task in rt.task_log] == ["execute"]


def test_delayed_poll_goes_through_a_schedule_message():
    rt = make_runtime()
    tree, [act] = linear("slow_poll")
    start_run(rt, tree)
    rt.run_until_idle(auto_advance=False)

    process = process_of(rt, tree["id"])
    assert process.asleep is True and process.current_node_id == act
    [task] = rt.pending_tasks()
    assert task.kind == "schedule" and task.kwargs["node_id"] == act
    assert rt.get_state(act).name == states.RUNNING


def test_parallel_children_wake_the_parent_at_the_converge_gateway():
    rt = make_runtime()
    start, end, pg, cg = EmptyStartEvent(), EmptyEndEvent(), ParallelGateway(), ConvergeGateway()
    branches = [ServiceActivity(component_code="poll") for _ in range(3)]
    start.extend(pg).connect(*branches).converge(cg).extend(end)
    tree = build_tree(start)
    start_run(rt, tree)
    rt.run_until_idle()

    assert rt.get_state(tree["id"]).name == states.FINISHED
    assert rt.get_state(cg.id).name == states.FINISHED
    assert CALLS["poll.execute"] == 3
    children = [p for p in rt.store.processes.values() if p.parent_id != -1]
    assert len(children) == 3 and all(child.dead for child in children)
    parent = process_of(rt, tree["id"])
    assert parent.dead is True
    parent_executes = [t for t in rt.task_log if t.kind == "execute" and t.kwargs["process_id"] == parent.id]
    assert [t.kwargs["node_id"] for t in parent_executes] == [start.id, cg.id]


def test_subprocess_stack_is_tracked_without_rereading_the_process():
    rt = make_runtime()
    inner_start, inner_end = EmptyStartEvent(), EmptyEndEvent()
    inner_act = ServiceActivity(component_code="empty")
    inner_start.extend(inner_act).extend(inner_end)
    sub = SubProcess(start=inner_start)
    start, end = EmptyStartEvent(), EmptyEndEvent()
    after = ServiceActivity(component_code="empty")
    start.extend(sub).extend(after).extend(end)
    tree = build_tree(start)
    start_run(rt, tree)
    rt.run_until_idle()

    assert rt.get_state(sub.id).name == states.FINISHED
    assert rt.get_state(inner_act.id).parent_id == sub.id
    assert rt.get_state(after.id).parent_id == tree["id"]
    assert process_of(rt, tree["id"]).pipeline_stack == [tree["id"]]


def test_a_subprocess_node_finishes_when_its_child_pipeline_does():
    rt = make_runtime()
    inner_start, inner_end = EmptyStartEvent(), EmptyEndEvent()
    inner_act = ServiceActivity(component_code="empty")
    inner_start.extend(inner_act).extend(inner_end)
    sub = SubProcess(start=inner_start)
    start, end = EmptyStartEvent(), EmptyEndEvent()
    start.extend(sub).extend(end)
    tree = build_tree(start)
    start_run(rt, tree)
    rt.run_until_idle()

    finished = [kwargs["node_id"] for name, kwargs in rt.hook_log if name == "node_finish"]
    assert finished == [start.id, inner_start.id, inner_act.id, inner_end.id, sub.id, end.id]


def test_node_finish_hook_runs_and_persists_outputs():
    rt = make_runtime()
    tree, [act] = linear("hooked")
    start_run(rt, tree)
    rt.run_until_idle()

    outputs = rt.get_execution_data_outputs(act)
    assert outputs["finish_hook"] is True
    finished = [kwargs["node_id"] for name, kwargs in rt.hook_log if name == "node_finish"]
    assert act in finished and tree["start_event"]["id"] in finished


def test_read_only_hooks_do_not_persist_outputs():
    from bamboo_engine.engine.worker import WorkerMixin

    rt = make_runtime()
    tree, [act] = linear("hooked")
    start_run(rt, tree)
    rt.run_until_idle()
    worker = WorkerMixin()
    worker.runtime = rt
    worker.hook_dispatch(tree["id"], tree["id"], act, HookType.PRE_PAUSE_NODE)
    assert CALLS["hooked.pre_pause_node"] == 1
    assert "pause_hook" not in rt.get_execution_data_outputs(act)
    worker.hook_dispatch(
        tree["id"], tree["id"], tree["start_event"]["id"], HookType.NODE_FINISH
    )  # not an activity


def test_hook_dispatch_swallows_errors():
    from bamboo_engine.engine.worker import WorkerMixin

    worker = WorkerMixin()
    worker.runtime = object()  # every runtime call raises AttributeError
    assert worker.hook_dispatch("p", "p", "n", HookType.NODE_FINISH) is None


# -- stopping the process --------------------------------------------------------------------------


def test_revoked_root_kills_the_process():
    rt = make_runtime()
    tree, [act] = linear("empty")
    start_run(rt, tree)
    rt.set_state(tree["id"], states.REVOKED)
    rt.run_until_idle()

    assert process_of(rt, tree["id"]).dead is True
    assert rt.get_state_or_none(tree["start_event"]["id"]) is None
    assert rt.get_state_or_none(act) is None


def test_suspended_pipeline_on_the_stack_suspends_the_process():
    rt = make_runtime()
    inner_start, inner_end = EmptyStartEvent(), EmptyEndEvent()
    waiting = ServiceActivity(component_code="callback")
    inner_next = ServiceActivity(component_code="empty")
    inner_start.extend(waiting).extend(inner_next).extend(inner_end)
    sub = SubProcess(start=inner_start)
    start, end = EmptyStartEvent(), EmptyEndEvent()
    start.extend(sub).extend(end)
    tree = build_tree(start)
    start_run(rt, tree)
    rt.run_until_idle()
    assert rt.get_state(waiting.id).name == states.RUNNING

    rt.set_state(sub.id, states.SUSPENDED)
    send_callback(rt, waiting.id, {})
    rt.run_until_idle()

    assert rt.get_state(waiting.id).name == states.FINISHED
    process = process_of(rt, tree["id"])
    assert (process.suspended, process.suspended_by) == (True, sub.id)
    assert process.current_node_id == inner_next.id
    assert rt.get_state_or_none(inner_next.id) is None


def test_appointment_pause_suspends_the_process_at_the_node():
    rt = make_runtime()
    tree, [first, paused] = linear("empty", "empty")
    rt.set_state(paused, states.SUSPENDED)
    start_run(rt, tree)
    rt.run_until_idle()

    assert rt.get_state(first).name == states.FINISHED
    state = rt.get_state(paused)
    assert state.name == states.SUSPENDED
    assert (state.root_id, state.parent_id) == (tree["id"], tree["id"])
    process = process_of(rt, tree["id"])
    assert (process.suspended, process.suspended_by) == (True, paused)


def test_message_for_a_failed_node_only_puts_the_process_to_sleep():
    rt = make_runtime()
    tree, [act] = linear("callback")
    start_run(rt, tree)
    rt.run_until_idle()
    rt.set_state(act, states.FAILED, refresh_version=True)
    process = process_of(rt, tree["id"])
    rt.execute(process_id=process.id, node_id=act, root_pipeline_id=tree["id"], parent_pipeline_id=tree["id"])
    rt.run_until_idle()

    assert rt.get_state(act).name == states.FAILED
    assert process_of(rt, tree["id"]).asleep is True
    assert CALLS["callback.execute"] == 1


# -- re-entry and loops ----------------------------------------------------------------------------


def loop_tree(code: str, loop_times: int, fail_skip: bool = False):
    tree, [act] = linear(code)
    tree["activities"][act]["loop_config"] = {
        "enable": True,
        "loop_times": loop_times,
        "fail_skip": fail_skip,
        "retryable": True,
        "skippable": True,
        "outputs_key": "outputs",
    }
    return tree, act


def test_reentry_bookkeeping_of_a_loop_node():
    rt = make_runtime()
    tree, act = loop_tree("empty", 3)
    start_run(rt, tree)
    rt.run_until_idle()

    state = rt.get_state(act)
    assert (state.name, state.loop, state.inner_loop) == (states.FINISHED, 3, 3)
    assert CALLS["empty.execute"] == 3
    histories = rt.get_histories(act)
    assert [h.loop for h in histories] == [1, 2]
    versions = {h.version for h in histories} | {state.version}
    assert len(versions) == 3
    assert rt.get_execution_data_inputs(act)["_loop"] == 3
    assert rt.get_state(tree["id"]).name == states.FINISHED


def test_reentry_resets_error_ignored_of_the_previous_iteration():
    rt = make_runtime()
    tree, act = loop_tree("fail_first", 2, fail_skip=True)
    start_run(rt, tree)
    rt.run_until_idle()

    assert CALLS["fail_first.execute"] == 2
    [first] = rt.get_histories(act)
    assert first.outputs["_result"] is False
    state = rt.get_state(act)
    assert (state.name, state.loop, state.error_ignored, state.skip) == (states.FINISHED, 2, False, False)
    assert rt.get_state(tree["id"]).name == states.FINISHED


def test_rerun_limit_fails_the_node_with_the_exact_ex_data():
    rt = make_runtime(node_rerun_limit=2)
    tree, act = loop_tree("empty", 5)
    start_run(rt, tree)
    rt.run_until_idle()

    state = rt.get_state(act)
    assert state.name == states.FAILED and state.archived_time is not None
    assert rt.get_execution_data_outputs(act)["ex_data"] == "node execution exceed rerun limit 2"
    assert CALLS["empty.execute"] == 3  # loop 1..3 ran; entering with loop 3 > 2 fails
    assert process_of(rt, tree["id"]).asleep is True
    assert rt.get_state(tree["id"]).name == states.RUNNING


# -- schedules -------------------------------------------------------------------------------------


def test_callback_finishes_the_node_and_moves_on():
    rt = make_runtime()
    tree, [act, after] = linear("callback", "empty")
    start_run(rt, tree)
    rt.run_until_idle()
    assert process_of(rt, tree["id"]).asleep is True

    schedule = send_callback(rt, act, {"x": 1})
    rt.run_until_idle()

    assert rt.get_state(after).name == states.FINISHED
    assert rt.get_execution_data_outputs(act)["callback"] == {"x": 1}
    stored = rt.store.schedules[schedule.id]
    assert (stored.finished, stored.expired, stored.scheduling) == (True, False, False)
    assert rt.get_state(tree["id"]).name == states.FINISHED


def test_schedule_with_a_stale_version_is_expired_and_dropped():
    rt = make_runtime()
    tree, [act] = linear("callback")
    start_run(rt, tree)
    rt.run_until_idle()
    process = process_of(rt, tree["id"])
    stale = rt.set_schedule(process.id, act, "v-stale", ScheduleType.CALLBACK)

    rt.schedule(process_id=process.id, node_id=act, schedule_id=stale.id)
    rt.run_until_idle()

    assert rt.store.schedules[stale.id].expired is True
    assert CALLS["callback.schedule"] == 0
    assert rt.get_state(act).name == states.RUNNING


def test_schedule_of_a_node_no_longer_running_is_expired():
    rt = make_runtime()
    tree, [act] = linear("callback")
    start_run(rt, tree)
    rt.run_until_idle()
    schedule = schedule_of(rt, act)
    rt.set_state(act, states.FAILED)  # same version, but not RUNNING any more

    rt.schedule(process_id=schedule.process_id, node_id=act, schedule_id=schedule.id)
    rt.run_until_idle()

    assert rt.store.schedules[schedule.id].expired is True
    assert CALLS["callback.schedule"] == 0


def test_schedule_message_for_a_finished_schedule_is_dropped():
    rt = make_runtime()
    tree, [act] = linear("callback")
    start_run(rt, tree)
    rt.run_until_idle()
    schedule = send_callback(rt, act, {})
    rt.run_until_idle()
    assert CALLS["callback.schedule"] == 1
    sent = len(rt.task_log)

    rt.schedule(process_id=schedule.process_id, node_id=act, schedule_id=schedule.id)
    rt.run_until_idle()

    assert CALLS["callback.schedule"] == 1
    assert len(rt.task_log) == sent + 1  # only the message we sent; nothing dispatched by it
    assert rt.store.schedules[schedule.id].expired is False


def test_poll_of_a_node_forced_to_fail_is_not_redispatched():
    rt = make_runtime()
    tree, [act] = linear("slow_poll")
    start_run(rt, tree)
    rt.run_until_idle(auto_advance=False)
    rt.clock.advance(5)
    rt.run_until_idle(auto_advance=False)
    assert CALLS["slow.schedule"] == 1
    [next_poll] = rt.pending_tasks()
    assert next_poll.kind == "schedule"

    rt.set_state(act, states.FAILED, refresh_version=True)
    rt.run_until_idle()  # jumps the clock to the pending poll

    assert CALLS["slow.schedule"] == 1
    assert rt.pending_tasks() == []
    assert rt.store.schedules[next_poll.kwargs["schedule_id"]].expired is True


def _hold_lock_and_callback(rt, code, callback_data):
    tree, [act] = linear(code)
    start_run(rt, tree)
    rt.run_until_idle()
    schedule = schedule_of(rt, act)
    assert rt.apply_schedule_lock(schedule.id) is True  # another worker is scheduling right now
    send_callback(rt, act, callback_data)
    return act, schedule


def _schedule_tasks(rt, node_id):
    return [t for t in rt.task_log if t.kind == "schedule" and t.kwargs["node_id"] == node_id]


def test_locked_callback_is_retried_with_the_retry_header_until_the_limit():
    rt = make_runtime()
    act, schedule = _hold_lock_and_callback(rt, "callback", {"retryable": True})
    rt.run_until_idle()  # auto-advance runs the delayed retries too; the lock stays taken

    tasks = _schedule_tasks(rt, act)
    assert [t.kwargs["headers"].get("callback_lock_retry_times") for t in tasks] == [None, 1, 2, 3]
    delays = [(b.due - a.due).total_seconds() for a, b in zip(tasks, tasks[1:], strict=False)]
    for delay, (low, high) in zip(delays, ((1, 3), (3, 6), (6, 10)), strict=True):
        assert low <= delay <= high
    assert CALLS["callback.schedule"] == 0
    assert len({t.kwargs["callback_data_id"] for t in tasks}) == 1


def test_locked_callback_is_dropped_when_the_service_does_not_retry():
    rt = make_runtime()
    act, _ = _hold_lock_and_callback(rt, "callback", {"retryable": False})
    rt.run_until_idle()

    assert len(_schedule_tasks(rt, act)) == 1
    assert CALLS["callback.schedule"] == 0


def test_locked_multiple_callback_is_resent():
    rt = make_runtime()
    act, schedule = _hold_lock_and_callback(rt, "multi_callback", {"n": 1})
    rt.run_until_idle(auto_advance=False)
    [resent] = rt.pending_tasks()
    first = _schedule_tasks(rt, act)[0]
    assert 1 <= (resent.due - first.due).total_seconds() <= 5

    rt.release_schedule_lock(schedule.id)
    rt.run_until_idle()
    assert CALLS["callback.schedule"] == 1
    assert rt.get_execution_data_outputs(act)["callback"] == {"n": 1}


# -- concurrency and metrics -----------------------------------------------------------------------


def test_parallel_branches_on_concurrent_workers_wake_the_parent_once():
    with InMemoryRuntime(executor="threads", max_workers=4) as rt:
        rt.register_service("poll", PollService)
        start, end, pg, cg = EmptyStartEvent(), EmptyEndEvent(), ParallelGateway(), ConvergeGateway()
        branches = [ServiceActivity(component_code="poll") for _ in range(8)]
        tails = [branch.extend(ServiceActivity(component_code="poll")) for branch in branches]
        start.extend(pg).connect(*branches)
        pg.converge(cg).extend(end)
        tree = build_tree(start)
        start_run(rt, tree)
        rt.wait_for_state(tree["id"], states.FINISHED, timeout=30)
        rt.run_until_idle(timeout=30)

        assert CALLS["poll.execute"] == 16 and CALLS["poll.schedule"] == 16
        assert all(rt.get_state(tail.id).name == states.FINISHED for tail in tails)
        parent = process_of(rt, tree["id"])
        converge_dispatches = [
            t for t in rt.task_log if t.kwargs.get("process_id") == parent.id and t.kwargs["node_id"] == cg.id
        ]
        assert len(converge_dispatches) == 1


def test_node_timings_are_observed_with_the_type_label():
    from prometheus_client import REGISTRY

    def samples(name, node_type):
        value = REGISTRY.get_sample_value(f"{name}_count", {"type": node_type, "hostname": metrics.HOST_NAME})
        return value or 0.0

    before = (
        samples("engine_node_execute_time", "poll_legacy"),
        samples("engine_node_schedule_time", "poll_legacy"),
    )
    start_before = samples("engine_node_execute_time", "empty_start_event")
    rt = make_runtime()
    tree, _ = linear("poll", "poll")
    start_run(rt, tree)
    rt.run_until_idle()

    assert samples("engine_node_execute_time", "poll_legacy") == before[0] + 2
    assert samples("engine_node_schedule_time", "poll_legacy") == before[1] + 2
    assert samples("engine_node_execute_time", "empty_start_event") == start_before + 1
    assert (
        metrics.ENGINE_RUNTIME_SCHEDULE_TASK_CLAIM_DELAY._name == "engine_runtime_schedule_task_claim_delay"
    )


def test_runtime_node_hooks_mark_service_entry_and_every_finished_node():
    rt = make_runtime()
    tree, [act] = linear("empty")
    start_run(rt, tree)
    rt.run_until_idle()

    entered = [kwargs["node_id"] for name, kwargs in rt.hook_log if name == "node_enter"]
    finished = [kwargs["node_id"] for name, kwargs in rt.hook_log if name == "node_finish"]
    assert entered == [act]  # node_enter precedes a service's execute: activities only
    assert finished == [tree["start_event"]["id"], act, tree["end_event"]["id"]]
    assert [kwargs["pipeline_id"] for name, kwargs in rt.hook_log if name == "pipeline_finish"] == [
        tree["id"]
    ]
