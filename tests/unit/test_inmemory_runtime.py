"""ERI semantics of the in-memory runtime's store (states, processes, schedules, context, data)."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from bamboo_engine import states
from bamboo_engine.eri.models.runtime import ContextValue, ContextValueType, ExecutionData, ScheduleType
from bamboo_engine.exceptions import (
    InvalidOperationError,
    NotFoundError,
    SerializationError,
    StateVersionNotMatchError,
    UnstorableValueError,
)
from bamboo_engine.exceptions import ValueError as EngineValueError
from bamboo_engine.testing import InMemoryInterruptError, InMemoryRuntime, ManualClock
from bamboo_engine.testing.dispatcher import Dispatcher


@pytest.fixture
def rt():
    runtime = InMemoryRuntime()
    yield runtime
    runtime.close()


# -- states ------------------------------------------------------------------------------------


def test_state_is_created_directly_in_its_first_state(rt):
    version = rt.set_state("n1", states.RUNNING, root_id="r", parent_id="p", set_started_time=True)
    state = rt.get_state("n1")
    assert (state.name, state.version, state.root_id, state.parent_id) == (states.RUNNING, version, "r", "p")
    assert (state.loop, state.inner_loop, state.retry, state.skip, state.error_ignored) == (
        1,
        1,
        0,
        False,
        False,
    )
    assert state.created_time == rt.clock.now() and state.started_time == rt.clock.now()
    assert state.archived_time is None
    assert version.startswith("v") and len(version) == 33


def test_suspended_appointment_creates_state_suspended(rt):
    rt.set_state("n1", states.SUSPENDED)
    assert rt.get_state("n1").name == states.SUSPENDED


def test_invalid_transition_raises_invalid_operation(rt):
    rt.set_state("n1", states.RUNNING)
    rt.set_state("n1", states.FINISHED)
    with pytest.raises(InvalidOperationError, match="n1.*FINISHED.*READY"):
        rt.set_state("n1", states.READY)
    assert rt.get_state("n1").name == states.FINISHED


def test_version_mismatch_raises_and_keeps_state(rt):
    version = rt.set_state("n1", states.RUNNING)
    with pytest.raises(StateVersionNotMatchError):
        rt.set_state("n1", states.FINISHED, version="v" + "0" * 32)
    assert rt.set_state("n1", states.FINISHED, version=version) == version


def test_ignore_boring_set_is_a_no_op_for_the_same_state(rt):
    version = rt.set_state("n1", states.RUNNING)
    assert rt.set_state("n1", states.RUNNING, ignore_boring_set=True, refresh_version=True) == version
    with pytest.raises(InvalidOperationError):
        rt.set_state("n1", states.RUNNING)  # RUNNING -> RUNNING is not a transition


def test_refresh_version_counters_and_flags(rt):
    first = rt.set_state("n1", states.RUNNING)
    rt.set_state("n1", states.FAILED, set_archive_time=True)
    second = rt.set_state("n1", states.READY, is_retry=True, refresh_version=True, clear_archived_time=True)
    assert second != first
    state = rt.get_state("n1")
    assert (state.retry, state.archived_time, state.version) == (1, None, second)
    rt.set_state("n1", states.RUNNING, loop=2, inner_loop=3, error_ignored=True, is_skip=True)
    state = rt.get_state("n1")
    assert (state.loop, state.inner_loop, state.error_ignored, state.skip) == (2, 3, True, True)
    rt.set_state("n1", states.FINISHED, reset_retry=True, reset_skip=True, reset_error_ignored=True)
    state = rt.get_state("n1")
    assert (state.retry, state.skip, state.error_ignored) == (0, False, False)


def test_timestamps_follow_the_clock(rt):
    rt.set_state("n1", states.RUNNING, set_started_time=True)
    rt.clock.advance(30)
    rt.set_state("n1", states.FINISHED, set_archive_time=True)
    state = rt.get_state("n1")
    assert (state.archived_time - state.started_time).total_seconds() == 30
    rt.set_state("n1", states.RUNNING, clear_started_time=True, clear_archived_time=True)
    state = rt.get_state("n1")
    assert state.started_time is None and state.archived_time is None


def test_state_queries_and_inner_loop_reset(rt):
    rt.set_state("sub", states.RUNNING, root_id="r", parent_id="r", inner_loop=2)
    rt.set_state("c1", states.RUNNING, root_id="r", parent_id="sub", inner_loop=3)
    rt.set_state("c2", states.RUNNING, root_id="r", parent_id="sub", inner_loop=4)
    assert {s.node_id for s in rt.get_state_by_root("r")} == {"sub", "c1", "c2"}
    assert {s.node_id for s in rt.get_state_by_parent("sub")} == {"c1", "c2"}
    assert rt.batch_get_state_name(["c1", "ghost"]) == {"c1": states.RUNNING}
    assert set(rt.batch_get_state_version(["c1", "c2"])) == {"c1", "c2"}
    assert rt.reset_children_state_inner_loop("sub") == 2
    assert [rt.get_state(n).inner_loop for n in ("sub", "c1", "c2")] == [2, 0, 0]
    assert rt.reset_state_inner_loop("sub") == 1  # rows changed, as the Django runtime (and upstream's)
    assert rt.get_state("sub").inner_loop == 0
    rt.set_state_root_and_parent("c1", "r2", "p2")
    assert (rt.get_state("c1").root_id, rt.get_state("c1").parent_id) == ("r2", "p2")


def test_missing_state_raises_not_found(rt):
    with pytest.raises(NotFoundError, match="ghost"):
        rt.get_state("ghost")
    assert rt.get_state_or_none("ghost") is None and rt.has_state("ghost") is False


def test_states_read_are_copies(rt):
    rt.set_state("n1", states.RUNNING)
    rt.get_state("n1").name = "HACKED"
    assert rt.get_state("n1").name == states.RUNNING
    assert rt.states() == {"n1": states.RUNNING}


# -- processes ---------------------------------------------------------------------------------


def _root_process(rt):
    return rt.create_process("root", ["root"], queue="q", priority=7)


def test_fork_creates_asleep_children_with_destination(rt):
    parent = _root_process(rt)
    children = rt.fork(str(parent), "root", ["root"], {"b1": "cg", "b2": "cg"})
    assert [c.node_id for c in children] == ["b1", "b2"]
    for child in children:
        info = rt.get_process_info(child.process_id)
        record = rt.store.processes[child.process_id]
        assert (info.destination_id, info.parent_id, info.pipeline_stack) == ("cg", parent, ["root"])
        assert (record.asleep, record.current_node_id, record.queue, record.priority) == (
            True,
            child.node_id,
            "q",
            7,
        )


def test_child_process_finish_wakes_parent_once(rt):
    parent = _root_process(rt)
    children = rt.fork(parent, "root", ["root"], {"b1": "cg", "b2": "cg"})
    rt.sleep(parent)
    rt.join(parent, [c.process_id for c in children])
    assert rt.child_process_finish(parent, children[0].process_id) is False
    assert rt.store.processes[parent].asleep is True
    assert rt.child_process_finish(parent, children[1].process_id) is True
    record = rt.store.processes[parent]
    assert (record.asleep, record.ack_num, record.need_ack) == (False, 0, -1)
    assert all(rt.store.processes[c.process_id].dead for c in children)


def test_child_process_finish_under_threads_wakes_parent_exactly_once(rt):
    for _ in range(20):
        parent = _root_process(rt)
        children = rt.fork(parent, "root", ["root"], {f"b{i}": "cg" for i in range(8)})
        rt.join(parent, [c.process_id for c in children])
        barrier = threading.Barrier(len(children))

        def finish(child, parent=parent, barrier=barrier):
            barrier.wait()
            return rt.child_process_finish(parent, child.process_id)

        with ThreadPoolExecutor(max_workers=len(children)) as pool:
            results = list(pool.map(finish, children))
        assert results.count(True) == 1


def test_process_flags_and_lookups(rt):
    pid = _root_process(rt)
    rt.set_current_node(pid, "n1")
    assert rt.get_current_node_id(pid) == "n1"
    rt.sleep(pid)
    assert rt.get_sleep_process_info_with_current_node_id("n1").process_id == pid
    assert rt.get_process_id_with_current_node_id("n1") == pid
    assert rt.wake_up_if_sleeping_at(pid, "other") is False
    assert rt.wake_up_if_sleeping_at(pid, "n1") is True
    assert rt.get_sleep_process_info_with_current_node_id("n1") is None
    rt.suspend(pid, "root")
    assert [p.process_id for p in rt.get_suspended_process_info("root")] == [pid]
    rt.batch_resume([pid])
    assert rt.get_suspended_process_info("root") == []
    rt.freeze(pid)
    assert rt.is_frozen(pid)
    rt.set_pipeline_stack(pid, ["root", "sub"])
    assert rt.get_process_info(pid).top_pipeline_id == "sub"
    rt.kill(pid)
    assert rt.store.processes[pid].asleep is True
    rt.clock.advance(5)
    rt.beat(pid)
    assert rt.store.processes[pid].last_heartbeat == rt.clock.now()
    assert [p.process_id for p in rt.get_process_info_with_root_pipeline("root")] == [pid]
    rt.die(pid)
    assert rt.get_process_info_with_root_pipeline("root") == []
    with pytest.raises(NotFoundError):
        rt.get_process_info(999)


# -- schedules ---------------------------------------------------------------------------------


def test_schedule_is_unique_per_node_version_and_lock_is_exclusive(rt):
    schedule = rt.set_schedule(1, "n1", "v1", ScheduleType.POLL)
    assert rt.set_schedule(1, "n1", "v1", ScheduleType.POLL).id == schedule.id
    assert rt.set_schedule(1, "n1", "v2", ScheduleType.CALLBACK).id != schedule.id
    assert rt.get_schedule_with_node_and_version("n1", "v1").type == ScheduleType.POLL
    assert rt.apply_schedule_lock(str(schedule.id)) is True
    assert rt.apply_schedule_lock(schedule.id) is False
    rt.add_schedule_times(schedule.id)
    rt.release_schedule_lock(schedule.id)
    assert rt.apply_schedule_lock_with_times(schedule.id, 0) is False
    assert rt.apply_schedule_lock_with_times(schedule.id, 1) is True
    rt.release_schedule_lock(schedule.id)
    rt.finish_schedule(schedule.id)
    rt.expire_schedule(schedule.id)
    final = rt.get_schedule(schedule.id)
    assert (final.finished, final.expired, final.times, rt.is_schedule_locked(schedule.id)) == (
        True,
        True,
        1,
        False,
    )
    with pytest.raises(NotFoundError):
        rt.get_schedule_with_node_and_version("n1", "v9")


def test_schedule_lock_under_threads_has_one_winner(rt):
    schedule = rt.set_schedule(1, "n1", "v1", ScheduleType.MULTIPLE_CALLBACK)
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: rt.apply_schedule_lock(schedule.id), range(8)))
    assert results.count(True) == 1


# -- context -----------------------------------------------------------------------------------


def test_context_upsert_references_and_outputs(rt):
    rt.save_context_value("p", ContextValue("${a}", ContextValueType.SPLICE, "${b}"), {"${b}", "${c}"})
    rt.upsert_plain_context_values("p", {"${b}": ContextValue("${b}", ContextValueType.SPLICE, 5)})
    values = {cv.key: cv for cv in rt.get_context("p")}
    assert values["${b}"].type == ContextValueType.PLAIN and values["${b}"].value == 5
    assert rt.get_context_key_references("p", {"${a}", "${b}", "${ghost}"}) == {"${b}", "${c}"}
    assert [cv.key for cv in rt.get_context_values("p", {"${a}", "${ghost}"})] == ["${a}"]
    rt.update_context_values(
        "p",
        [
            ContextValue("${a}", ContextValueType.SPLICE, "${b}-${x}"),
            ContextValue("${b}", ContextValueType.SPLICE, "${y}"),
        ],
    )
    assert rt.get_context_key_references("p", {"${a}"}) == {"${b}", "${x}", "${y}"}
    with pytest.raises(NotFoundError, match="ghost"):
        rt.update_context_values("p", [ContextValue("${ghost}", ContextValueType.PLAIN, 1)])
    with pytest.raises(NotFoundError):
        rt.get_context_outputs("p")


def test_copy_context_values_to_new_pipeline(rt):
    rt.upsert_plain_context_values("p", {"${a}": ContextValue("${a}", ContextValueType.PLAIN, {"k": 1})})
    rt.upsert_plain_context_values("p", {"${b}": ContextValue("${b}", ContextValueType.PLAIN, 2)})
    rt.copy_context_values_to_new_pipeline("p", "child", exclude_keys={"${b}"})
    assert {cv.key: cv.value for cv in rt.get_context("child")} == {"${a}": {"k": 1}}


def test_context_values_read_are_copies(rt):
    rt.upsert_plain_context_values("p", {"${a}": ContextValue("${a}", ContextValueType.PLAIN, {"k": [1]})})
    rt.get_context("p")[0].value["k"].append(2)
    assert rt.get_context("p")[0].value == {"k": [1]}


# -- data --------------------------------------------------------------------------------------


def test_execution_data_is_stored_serialised_and_read_back_as_copies(rt):
    outputs = {"list": [1, 2], "nested": {"a": 1}}
    rt.set_execution_data("n1", ExecutionData({"in": 1}, outputs))
    outputs["list"].append(3)
    read = rt.get_execution_data("n1")
    assert read.outputs == {"list": [1, 2], "nested": {"a": 1}}
    read.outputs["nested"]["a"] = 99
    assert rt.get_execution_data_outputs("n1")["nested"] == {"a": 1}
    assert read.outputs.list == [1, 2]  # FancyDict attribute access
    rt.set_execution_data_inputs("n2", {"x": 1})
    assert rt.get_execution_data_inputs("n2") == {"x": 1} and rt.get_execution_data_outputs("n2") == {}
    assert rt.get_execution_data_outputs("ghost") == {}
    with pytest.raises(NotFoundError, match="ghost"):
        rt.get_execution_data("ghost")


class Opaque:
    """An object no JSON form stores (module level, so pickle can)."""

    def __eq__(self, other):
        return isinstance(other, Opaque)


def test_values_json_cannot_hold_are_tagged_and_only_objects_need_pickle():
    plain, pickling = InMemoryRuntime(), InMemoryRuntime(allow_pickle=True)
    for rt in (plain, pickling):
        rt.set_execution_data_outputs("n1", {"s": {1, 2}})
        assert rt.get_execution_data_outputs("n1") == {"s": {1, 2}}
        assert rt.serialize_execution_data({"s": {3}})[1] == "tagged_json"
    with pytest.raises(UnstorableValueError, match="allow_pickle") as raised:
        plain.set_execution_data_outputs("n1", {"obj": [Opaque()]})
    assert (raised.value.key, raised.value.value_type) == ("obj[0]", f"{__name__}.Opaque")
    text, serializer = pickling.serialize_execution_data({"obj": Opaque()})
    assert serializer == "pickle" and pickling.deserialize_execution_data(text, serializer) == {
        "obj": Opaque()
    }
    with pytest.raises(SerializationError, match="allow_pickle=False"):
        plain.deserialize_execution_data(text, serializer)
    assert plain.serialize_execution_data({"a": 1}) == ('{"a": 1}', "json")


def test_node_data_and_callback_data(rt):
    from bamboo_engine.eri.models.runtime import DataInput

    rt.set_data_inputs("n1", {"a": DataInput(need_render=True, value="${x}")})
    assert rt.get_data("n1").need_render_inputs() == {"a": "${x}"}
    assert rt.get_data_outputs("n1") == {}
    assert list(rt.get_batch_data(["n1", "ghost"])) == ["n1"]
    data_id = rt.set_callback_data("n1", "v1", {"status": "ok"})
    callback = rt.get_callback_data(data_id)
    assert (callback.node_id, callback.version, callback.data) == ("n1", "v1", {"status": "ok"})
    with pytest.raises(NotFoundError):
        rt.get_data("ghost")


def test_histories(rt):
    t0 = rt.clock.now()
    first = rt.add_history("n1", t0, t0, 1, False, 0, "v1", {"i": 1}, {"o": 1})
    rt.add_history("n1", t0, t0, 2, True, 1, "v2", {}, {})
    rt.add_history("n2", t0, t0, 1, False, 0, "v3", {}, {})
    histories = rt.get_histories("n1")
    assert [h.version for h in histories] == ["v1", "v2"] and histories[0].id == first
    assert histories[0].inputs == {"i": 1} and histories[0].outputs == {"o": 1}
    assert [h.version for h in rt.get_histories("n1", loop=2)] == ["v2"]
    short = rt.get_short_histories("n1", loop=1)
    assert len(short) == 1 and short[0].skip is False and not hasattr(short[0], "inputs")


# -- config, interrupts, dispatch --------------------------------------------------------------


def test_config_overrides_and_allowed_names():
    rt = InMemoryRuntime(config={"PIPELINE_EXCLUSIVE_GATEWAY_STRATEGY": 2})
    assert rt.get_config("PIPELINE_EXCLUSIVE_GATEWAY_STRATEGY") == 2
    assert rt.get_config("PIPELINE_ENABLE_ROLLBACK") is False
    with pytest.raises(EngineValueError, match="NOT_A_SETTING"):
        rt.get_config("NOT_A_SETTING")
    assert rt.node_rerun_limit("r", "n") == 100
    assert InMemoryRuntime(node_rerun_limit=3).node_rerun_limit("r", "n") == 3


def test_inject_interrupt_raises_the_runtime_interrupt_error(rt):
    handle = rt.inject_interrupt("set_state", times=1, skip=1)
    rt.set_state("n1", states.RUNNING)
    with pytest.raises(InMemoryInterruptError):
        rt.set_state("n1", states.FINISHED)
    rt.set_state("n1", states.FINISHED)
    assert (handle.calls, handle.raised) == (3, 1)
    assert InMemoryInterruptError in rt.interrupt_errors()


def test_dispatch_only_enqueues_with_django_like_headers(rt):
    pid = _root_process(rt)
    rt.execute(pid, "n1", "root", "root")
    rt.set_next_schedule(process_id=pid, node_id="n1", schedule_id="3", schedule_after=5)
    log = rt.task_log
    assert [t.kind for t in log] == ["execute", "schedule"]
    assert log[0].kwargs["recover_point"] == "{}"
    assert log[0].kwargs["headers"]["route_info"] == {"queue": "q", "priority": 7}
    assert (log[1].due - log[0].due).total_seconds() == 5
    assert log[1].kwargs["callback_data_id"] is None


def test_sync_dispatcher_order_delays_and_auto_advance():
    clock, ran = ManualClock(), []
    dispatcher = Dispatcher(clock, lambda task: ran.append(task.kwargs["n"]))
    dispatcher.submit("execute", {"n": "late"}, delay=10)
    dispatcher.submit("execute", {"n": "a"})
    dispatcher.submit("execute", {"n": "b"})
    dispatcher.run_until_idle(auto_advance=False)
    assert ran == ["a", "b"] and len(dispatcher.pending()) == 1
    start = clock.now()
    dispatcher.run_until_idle(auto_advance=True)
    assert ran == ["a", "b", "late"] and (clock.now() - start).total_seconds() == 10


def test_threads_dispatcher_runs_tasks_concurrently_and_collects_errors():
    from bamboo_engine.testing import RealClock

    seen, lock = set(), threading.Lock()

    def consume(task):
        if task.kwargs["n"] == 3:
            raise RuntimeError("task 3 failed")
        with lock:
            seen.add(task.kwargs["n"])

    dispatcher = Dispatcher(RealClock(), consume, executor="threads", max_workers=3)
    try:
        for n in range(6):
            dispatcher.submit("execute", {"n": n})
        dispatcher.submit("execute", {"n": 99}, delay=3600)
        dispatcher.run_until_idle(timeout=10)
    finally:
        dispatcher.close()
    assert seen == {0, 1, 2, 4, 5, 99}
    assert [str(e) for e in dispatcher.errors] == ["task 3 failed"]


def test_run_until_idle_reraises_task_errors(rt, monkeypatch):
    def broken(task):
        raise RuntimeError("engine bug")

    monkeypatch.setattr(rt._dispatcher, "_consumer", broken)
    rt.execute(_root_process(rt), "n1", "root", "root")
    with pytest.raises(RuntimeError, match="engine bug"):
        rt.run_until_idle()
    rt.run_until_idle()  # already reported


def test_wait_for_state_timeout_lists_states(rt):
    rt.set_state("n1", states.RUNNING)
    with pytest.raises(TimeoutError, match=r"n1.*RUNNING.*FINISHED.*no task left"):
        rt.wait_for_state("n1", states.FINISHED, timeout=1)
    assert rt.wait_for_state("n1", [states.RUNNING, states.FAILED]).name == states.RUNNING


# -- prepare, rollback, hooks ------------------------------------------------------------------


def _tiny_tree():
    return {
        "id": "p1",
        "start_event": {"id": "s1", "type": "EmptyStartEvent", "incoming": "", "outgoing": "f1"},
        "end_event": {"id": "e1", "type": "EmptyEndEvent", "incoming": ["f2"], "outgoing": ""},
        "activities": {
            "a1": {
                "id": "a1",
                "type": "ServiceActivity",
                "incoming": ["f1"],
                "outgoing": "f2",
                "component": {"code": "echo", "inputs": {"v": {"type": "splice", "value": "${b}"}}},
            }
        },
        "gateways": {},
        "flows": {
            "f1": {"id": "f1", "source": "s1", "target": "a1", "is_default": False},
            "f2": {"id": "f2", "source": "a1", "target": "e1", "is_default": False},
        },
        "data": {
            "inputs": {
                "${a}": {"type": "plain", "value": 1},
                "${b}": {"type": "splice", "value": "${a}+${c}"},
                "${c}": {"type": "splice", "value": "${a}"},
                "${out}": {"type": "plain", "value": None, "source_act": "a1", "source_key": "v"},
            },
            "outputs": ["${out}"],
        },
    }


def test_prepare_run_pipeline_stores_records_and_root_process(rt):
    process_id = rt.prepare_run_pipeline(_tiny_tree(), {"operator": "bob"}, {"${preset}": 5}, {}, priority=9)
    info = rt.get_process_info(process_id)
    assert (info.root_pipeline_id, info.pipeline_stack, info.parent_id) == ("p1", ["p1"], -1)
    assert rt.store.processes[process_id].priority == 9
    root = rt.get_state("p1")
    assert (root.name, root.root_id, root.parent_id, root.started_time) == (
        states.RUNNING,
        "p1",
        "",
        rt.clock.now(),
    )
    assert rt.get_node("a1").code == "echo"
    assert rt.get_data_outputs("a1") == {"v": "${out}"}
    assert rt.get_data_inputs("p1")["operator"].value == "bob"
    assert rt.get_context_key_references("p1", {"${b}"}) == {"${a}", "${c}"}
    assert {cv.key: cv.value for cv in rt.get_context("p1")}["${preset}"] == 5
    assert rt.get_context_outputs("p1") == {"${out}"}
    with pytest.raises(NotFoundError):
        rt.get_node("ghost")


def test_nodes_read_are_copies_and_loop_times_update(rt):
    tree = _tiny_tree()
    tree["activities"]["a1"]["loop_config"] = {"enable": True, "loop_times": 2}
    rt.prepare_run_pipeline(tree, {}, {}, {})
    rt.get_node("a1").loop_config.loop_times = 99
    assert rt.get_node("a1").loop_times == 2
    rt.update_node_loop_times("a1", 5)
    assert rt.get_node("a1").loop_times == 5
    with pytest.raises(InvalidOperationError, match="s1"):
        rt.update_node_loop_times("s1", 5)


def test_rollback_records_and_hook_log(rt):
    rt.prepare_run_pipeline(_tiny_tree(), {}, {}, {})
    rt.set_pipeline_token(_tiny_tree())
    rt.set_node_snapshot("p1", "a1", "echo", "legacy", {"x": 1}, {"v": 1}, {"r": 2})
    assert rt.store.rollback_tokens == {} and rt.store.node_snapshots == {}  # rollback is off
    rt.config_overrides["PIPELINE_ENABLE_ROLLBACK"] = True
    rt.set_pipeline_token(_tiny_tree())
    assert set(rt.store.rollback_tokens["p1"]) >= {"s1", "a1", "e1"}
    rt.set_node_snapshot("p1", "a1", "echo", "legacy", {"x": 1}, {"v": 1}, {"r": 2})
    [snapshot] = rt.store.node_snapshots.values()
    assert snapshot["outputs"] == ('{"r": 2}', "json")  # stored through the runtime's codec
    rt.node_finish("p1", "a1")
    rt.post_retry_node("a1", None)
    assert rt.hook_log[-2:] == [
        ("node_finish", {"root_pipeline_id": "p1", "node_id": "a1"}),
        ("post_retry_node", {"node_id": "a1", "data": None}),
    ]


def test_state_listeners_see_post_set_state(rt):
    seen = []
    rt.state_listeners.append(lambda state: seen.append((state.node_id, state.name)))
    rt.set_state("n1", states.RUNNING)
    rt.set_state("n1", states.FINISHED, send_post_set_state_signal=False)
    assert seen == [("n1", states.RUNNING)]
