"""bamboo_engine.api control operations against the in-memory runtime.

Every operation is exercised in an allowed state (checking the resulting states, data and the order of
runtime/service hooks) and in disallowed states (result=False, a typed exception naming the node and
its state, and nothing changed in the runtime).
"""

import pytest

from bamboo_engine import api
from bamboo_engine.eri import ContextValue, ContextValueType
from bamboo_engine.exceptions import (
    InvalidOperationError,
    NotFoundError,
    StartPositionInvalidException,
    TreeInvalidException,
)
from tests.unit.api_control_support import (
    SERVICE_HOOK_ATTRIBUTES,
    SERVICE_HOOKS,
    Tree,
    UpperVariable,
    assert_refused,
    linear,
    make_runtime,
    start,
    state,
)


@pytest.fixture
def rt():
    return make_runtime()


# ---- run_pipeline ----------------------------------------------------------------------------------


def test_run_pipeline_runs_hooks_in_order_and_finishes(rt):
    tree = linear(("a", "empty", {}))
    result = api.run_pipeline(rt, tree, root_pipeline_data={"k": 1})
    assert result.result and result.data is None and result.message == "success"
    assert rt.api_hook_states == [
        ("pre_prepare_run_pipeline", None),
        ("post_prepare_run_pipeline", "RUNNING"),
    ]
    assert tree["activities"]["a"]["incoming"] == ["fstart_a"]  # tree mutated by validation
    rt.run_until_idle()
    assert state(rt, "root").name == "FINISHED"
    assert state(rt, "a").name == "FINISHED"


def test_run_pipeline_passes_data_and_options_to_the_runtime(rt):
    tree = linear(("a", "empty", {}))
    assert api.run_pipeline(rt, tree, root_pipeline_data={"k": 1}, queue="q", priority=5).result
    name, kwargs = rt.hook_log[0]
    assert name == "pre_prepare_run_pipeline" and kwargs["pipeline"] is tree
    assert kwargs["root_pipeline_data"] == {"k": 1}
    assert kwargs["root_pipeline_context"] == {} and kwargs["subprocess_context"] == {}
    # the hook gets its named arguments (the event data upstream publishes); the options reach prepare
    assert set(kwargs) == {"pipeline", "root_pipeline_data", "root_pipeline_context", "subprocess_context"}
    assert [p.priority for p in rt.store.processes.values()] == [5]
    assert [(t.kind, t.kwargs["node_id"]) for t in rt.task_log] == [("execute", "start")]


def test_engine_methods_raise_instead_of_returning_results(rt):
    from bamboo_engine.engine import Engine

    start(rt, linear(("a", "callback", {}), ("b", "empty", {})))
    with pytest.raises(InvalidOperationError, match="a state is not FAILED, actual RUNNING"):
        Engine(rt).skip_node("a")
    assert Engine(rt).pause_node_appoint("b") is None


def test_run_pipeline_from_another_start_node_skips_earlier_nodes(rt):
    tree = linear(("a", "empty", {}), ("b", "empty", {}))
    start(rt, tree, start_node_id="b")
    assert state(rt, "root").name == "FINISHED"
    assert rt.get_state_or_none("a") is None and state(rt, "b").name == "FINISHED"


def test_run_pipeline_refuses_invalid_tree_or_start_node(rt):
    bad = linear(("a", "empty", {}))
    bad["flows"].pop("fa_end")
    result = api.run_pipeline(rt, bad)
    assert result.result is False and isinstance(result.exc, TreeInvalidException)
    result = api.run_pipeline(rt, linear(("a", "empty", {})), start_node_id="nope")
    assert result.result is False and isinstance(result.exc, StartPositionInvalidException)
    assert rt.get_state_or_none("root") is None and rt.api_hook_states == [] and rt.task_log == []


# ---- pause / resume / revoke pipeline --------------------------------------------------------------


def test_pause_and_resume_pipeline(rt):
    tree = linear(("a", "empty", {}), ("b", "empty", {}))
    assert api.run_pipeline(rt, tree).result
    assert api.pause_pipeline(rt, "root").result
    rt.run_until_idle()
    assert state(rt, "root").name == "SUSPENDED"
    assert rt.get_state_or_none("b") is None
    assert [p.current_node for p in rt.get_suspended_process_info("root")]

    assert api.resume_pipeline(rt, "root").result
    rt.run_until_idle()
    assert state(rt, "root").name == "FINISHED" and state(rt, "b").name == "FINISHED"
    assert [h for h in rt.api_hook_states if "prepare" not in h[0]] == [
        ("pre_pause_pipeline", "RUNNING"),
        ("post_pause_pipeline", "SUSPENDED"),
        ("pre_resume_pipeline", "SUSPENDED"),
        ("post_resume_pipeline", "RUNNING"),
    ]


def test_pipeline_controls_refused(rt):
    start(rt, linear(("a", "fail", {})))
    assert_refused(rt, lambda: api.pause_pipeline(rt, "ghost"), NotFoundError, "node(ghost) does not exist")
    assert_refused(rt, lambda: api.revoke_pipeline(rt, "ghost"), NotFoundError, "ghost")
    assert_refused(rt, lambda: api.resume_pipeline(rt, "root"), InvalidOperationError, "root", "RUNNING")
    assert api.pause_pipeline(rt, "root").result
    assert_refused(rt, lambda: api.pause_pipeline(rt, "root"), InvalidOperationError, "root", "SUSPENDED")


def test_pipeline_controls_refuse_plain_nodes_and_accept_subprocesses(rt):
    child = Tree("sp", start="s_start", end="s_end").act("s_a", "callback").link("s_start", "s_a", "s_end")
    start(rt, Tree().subprocess("sp", child).link("start", "sp", "end").build())
    assert state(rt, "s_a").name == "RUNNING"
    assert_refused(rt, lambda: api.pause_pipeline(rt, "s_a"), InvalidOperationError, "s_a", "ServiceActivity")
    assert_refused(rt, lambda: api.revoke_pipeline(rt, "s_a"), InvalidOperationError, "s_a", "RUNNING")
    assert api.pause_pipeline(rt, "sp").result
    assert state(rt, "sp").name == "SUSPENDED" and state(rt, "root").name == "RUNNING"
    assert api.callback(rt, "s_a", state(rt, "s_a").version, {}).result
    rt.run_until_idle()
    # s_a finishes; the process suspends before the child end event because its pipeline is paused
    assert state(rt, "s_a").name == "FINISHED" and rt.get_state_or_none("s_end") is None
    assert [p.current_node for p in rt.get_suspended_process_info("sp")] == ["s_end"]
    assert api.resume_pipeline(rt, "sp").result
    rt.run_until_idle()
    assert state(rt, "sp").name == "FINISHED" and state(rt, "root").name == "FINISHED"


def test_revoke_pipeline_stops_processes(rt):
    tree = linear(("a", "empty", {}), ("b", "empty", {}))
    assert api.run_pipeline(rt, tree).result
    assert api.revoke_pipeline(rt, "root").result
    rt.run_until_idle()
    assert state(rt, "root").name == "REVOKED"
    assert rt.get_state_or_none("a") is None
    assert_refused(rt, lambda: api.revoke_pipeline(rt, "root"), InvalidOperationError, "root", "REVOKED")


def test_revoke_finished_pipeline_is_refused(rt):
    start(rt, linear(("a", "empty", {})))
    assert_refused(rt, lambda: api.revoke_pipeline(rt, "root"), InvalidOperationError, "root", "FINISHED")


# ---- node appointments -----------------------------------------------------------------------------


def test_pause_and_resume_node_appoint(rt):
    tree = linear(("a", "empty", {}), ("b", "callback", {}))
    assert api.run_pipeline(rt, tree).result
    assert api.pause_node_appoint(rt, "b").result
    rt.run_until_idle()
    assert state(rt, "a").name == "FINISHED" and state(rt, "b").name == "SUSPENDED"
    assert [p.current_node for p in rt.get_suspended_process_info("b")] == ["b"]

    assert api.resume_node_appoint(rt, "b").result
    rt.run_until_idle()
    assert state(rt, "b").name == "RUNNING"
    assert [h for h in rt.api_hook_states if "node" in h[0]] == [
        ("pre_pause_node", None),
        ("post_pause_node", "SUSPENDED"),
        ("pre_resume_node", "SUSPENDED"),
        ("post_resume_node", "READY"),
    ]
    assert [name for name, _ in SERVICE_HOOKS] == [
        "pre_pause_node", "post_pause_node", "pre_resume_node", "post_resume_node",
    ]  # fmt: skip


def test_node_appoint_refused(rt):
    child = Tree("sp", start="s_start", end="s_end").act("s_a", "empty").link("s_start", "s_a", "s_end")
    tree = Tree().subprocess("sp", child).act("a", "empty").link("start", "sp", "a", "end").build()
    start(rt, tree)
    assert_refused(rt, lambda: api.pause_node_appoint(rt, "sp"), InvalidOperationError, "sp", "SubProcess")
    assert_refused(rt, lambda: api.resume_node_appoint(rt, "sp"), InvalidOperationError, "sp", "SubProcess")
    assert_refused(rt, lambda: api.pause_node_appoint(rt, "a"), InvalidOperationError, "node(a)", "FINISHED")
    assert_refused(rt, lambda: api.resume_node_appoint(rt, "a"), InvalidOperationError, "a", "FINISHED")
    assert_refused(rt, lambda: api.pause_node_appoint(rt, "ghost"), NotFoundError, "ghost")


def test_pause_running_node_is_refused(rt):
    start(rt, linear(("a", "callback", {})))
    assert_refused(rt, lambda: api.pause_node_appoint(rt, "a"), InvalidOperationError, "node(a)", "RUNNING")
    assert_refused(rt, lambda: api.resume_node_appoint(rt, "a"), InvalidOperationError, "a", "RUNNING")


# ---- retry_node ------------------------------------------------------------------------------------


def test_retry_node_with_new_data(rt):
    tree = linear(("a", "hooked_fail", {"should_fail": True}), ("b", "empty", {}))
    start(rt, tree)
    failed = state(rt, "a")
    assert failed.name == "FAILED"

    data = {"should_fail": False, "raw": "${x}", "_escape_render_keys": ["raw"]}
    assert api.retry_node(rt, "a", data=data).result
    assert "_escape_render_keys" not in data
    inputs = api.get_data(rt, "a").data["inputs"]
    assert inputs == {
        "should_fail": {"need_render": True, "value": False},
        "raw": {"need_render": False, "value": "${x}"},
    }
    retried = state(rt, "a")
    assert retried.name == "READY" and retried.retry == 1 and retried.version != failed.version
    assert retried.started_time is None and retried.archived_time is None
    rt.run_until_idle()
    assert state(rt, "a").name == "FINISHED" and state(rt, "root").name == "FINISHED"
    assert api.get_execution_data_inputs(rt, "a").data["raw"] == "${x}"
    histories = api.get_node_histories(rt, "a").data
    assert len(histories) == 1 and histories[0]["version"] == failed.version
    assert histories[0]["outputs"]["ex_data"] == "failed on purpose"
    assert [h for h in rt.api_hook_states if "retry" in h[0]] == [
        ("pre_retry_node", "FAILED"),
        ("post_retry_node", "READY"),
    ]
    assert [name for name, _ in SERVICE_HOOKS] == ["pre_retry_node", "post_retry_node"]


def test_retry_node_refused(rt):
    tree = linear(("a", "fail", {}), ("b", "empty", {}))
    tree["activities"]["a"]["retryable"] = False
    start(rt, tree)
    assert_refused(rt, lambda: api.retry_node(rt, "a"), InvalidOperationError, "can not retry node(a)")
    assert_refused(
        rt,
        lambda: api.retry_node(rt, "start"),
        InvalidOperationError,
        "start state is not FAILED",
        "FINISHED",
    )
    assert_refused(rt, lambda: api.retry_node(rt, "b"), NotFoundError, "node(b) state does not exist")
    assert_refused(rt, lambda: api.retry_node(rt, "a", loop_retry=True), InvalidOperationError, "a", "loop")
    assert_refused(rt, lambda: api.retry_node(rt, "ghost"), NotFoundError, "ghost")


def test_retry_running_node_is_refused(rt):
    start(rt, linear(("a", "callback", {})))
    assert_refused(
        rt, lambda: api.retry_node(rt, "a"), InvalidOperationError, "a state is not FAILED, actual RUNNING"
    )


# ---- skip_node -------------------------------------------------------------------------------------


def test_skip_node_moves_on_without_mapping_outputs(rt):
    tree = linear(("a", "hooked_fail", {}), ("b", "empty", {}))
    tree["data"]["inputs"]["${out}"] = {
        "type": "plain",
        "value": "initial",
        "source_act": "a",
        "source_key": "out",
    }
    start(rt, tree)
    assert state(rt, "a").name == "FAILED"
    # a plain failure still maps outputs; reset the key to see that skip does not write it again
    assert api.update_context_values(rt, "root", [_plain_cv("${out}", "reset")]).result
    failed_version = state(rt, "a").version

    assert api.skip_node(rt, "a").result
    rt.run_until_idle()
    skipped = state(rt, "a")
    assert skipped.name == "FINISHED" and skipped.skip is True and skipped.version != failed_version
    assert skipped.archived_time is not None
    assert state(rt, "b").name == "FINISHED" and state(rt, "root").name == "FINISHED"
    assert {cv.key: cv.value for cv in rt.get_context("root")}["${out}"] == "reset"
    assert len(api.get_node_short_histories(rt, "a").data) == 1
    assert [h for h in rt.api_hook_states if "skip" in h[0]] == [
        ("pre_skip_node", "FAILED"),
        ("post_skip_node", "FINISHED"),
    ]
    assert [name for name, _ in SERVICE_HOOKS] == ["pre_skip_node", "post_skip_node"]


def _plain_cv(key, value):
    return ContextValue(key=key, type=ContextValueType.PLAIN, value=value)


def test_skip_node_refused(rt):
    tree = linear(("a", "fail", {}), ("b", "empty", {}))
    tree["activities"]["a"]["skippable"] = False
    start(rt, tree)
    assert_refused(rt, lambda: api.skip_node(rt, "a"), InvalidOperationError, "can not skip this node")
    assert_refused(rt, lambda: api.skip_node(rt, "a", loop_skip=True), InvalidOperationError, "a", "loop")
    assert_refused(
        rt, lambda: api.skip_node(rt, "start"), InvalidOperationError, "start state is not FAILED", "FINISHED"
    )


def test_skip_node_refuses_gateways(rt):
    tree = _failing_exclusive_tree()
    start(rt, tree)
    assert state(rt, "eg").name == "FAILED"
    assert_refused(
        rt, lambda: api.skip_node(rt, "eg"), InvalidOperationError, "skip_node", "eg", "ExclusiveGateway"
    )


# ---- gateways --------------------------------------------------------------------------------------


def _failing_exclusive_tree():
    tree = Tree().act("a", "empty").act("b", "empty")
    tree.gateway("eg", "ExclusiveGateway", conditions={"a": "1 == 0", "b": "2 == 0"})
    tree.gateway("cg", "ConvergeGateway")
    return tree.link("start", "eg", "a", "cg", "end").link("eg", "b", "cg").build()


def test_skip_exclusive_gateway(rt):
    start(rt, _failing_exclusive_tree())
    failed = state(rt, "eg")
    assert failed.name == "FAILED"
    assert (
        "all conditions of branches are not meet" in api.get_execution_data_outputs(rt, "eg").data["ex_data"]
    )

    assert api.skip_exclusive_gateway(rt, "eg", "feg_b").result
    rt.run_until_idle()
    skipped = state(rt, "eg")
    assert skipped.name == "FINISHED" and skipped.skip and skipped.version != failed.version
    assert state(rt, "b").name == "FINISHED" and rt.get_state_or_none("a") is None
    assert state(rt, "root").name == "FINISHED"
    assert [h for h in rt.api_hook_states if "exclusive" in h[0]] == [
        ("pre_skip_exclusive_gateway", "FAILED"),
        ("post_skip_exclusive_gateway", "FINISHED"),
    ]


def test_skip_exclusive_gateway_refused(rt):
    start(rt, _failing_exclusive_tree())
    assert_refused(
        rt, lambda: api.skip_exclusive_gateway(rt, "eg", "nope"), InvalidOperationError, "nope", "eg"
    )
    assert_refused(rt, lambda: api.skip_exclusive_gateway(rt, "start", "x"), InvalidOperationError, "start")
    assert_refused(
        rt,
        lambda: api.skip_conditional_parallel_gateway(rt, "eg", ["feg_a"], "cg"),
        InvalidOperationError,
        "eg",
    )


def _failing_cpg_tree():
    tree = Tree().act("a", "empty", {"value": "A"}).act("b", "empty", {"value": "B"})
    tree.gateway("pg", "ConditionalParallelGateway", conditions={"a": "1 == 0", "b": "2 == 0"})
    tree.gateway("cg", "ConvergeGateway")
    return tree.link("start", "pg", "a", "cg", "end").link("pg", "b", "cg").build()


def test_skip_conditional_parallel_gateway(rt):
    start(rt, _failing_cpg_tree())
    assert state(rt, "pg").name == "FAILED"
    assert api.skip_conditional_parallel_gateway(rt, "pg", ["fpg_a", "fpg_b"], "cg").result
    skipped = state(rt, "pg")
    assert skipped.name == "FINISHED" and skipped.skip
    rt.run_until_idle()
    assert state(rt, "a").name == "FINISHED" and state(rt, "b").name == "FINISHED"
    assert state(rt, "cg").name == "FINISHED" and state(rt, "root").name == "FINISHED"
    assert [h for h in rt.api_hook_states if "conditional" in h[0]] == [
        ("pre_skip_conditional_parallel_gateway", "FAILED"),
        ("post_skip_conditional_parallel_gateway", "FINISHED"),
    ]


def test_skip_conditional_parallel_gateway_refused(rt):
    start(rt, _failing_cpg_tree())
    call = api.skip_conditional_parallel_gateway
    assert_refused(rt, lambda: call(rt, "pg", ["fpg_a", "nope"], "cg"), InvalidOperationError, "nope", "pg")
    assert_refused(rt, lambda: call(rt, "pg", ["fpg_a"], "a"), InvalidOperationError, "converge", "pg")
    assert_refused(rt, lambda: call(rt, "pg", [], "cg"), InvalidOperationError, "pg")
    assert_refused(rt, lambda: api.skip_exclusive_gateway(rt, "pg", "fpg_a"), InvalidOperationError, "pg")


# ---- forced fail and callback ----------------------------------------------------------------------


def test_forced_fail_activity_then_late_callback_is_dropped(rt):
    start(rt, linear(("a", "callback", {}), ("b", "empty", {})))
    running = state(rt, "a")
    assert running.name == "RUNNING"
    schedule = rt.get_schedule_with_node_and_version("a", running.version)

    assert api.forced_fail_activity(rt, "a", "killed by operator").result
    failed = state(rt, "a")
    assert failed.name == "FAILED" and failed.version != running.version and failed.archived_time
    outputs = api.get_execution_data_outputs(rt, "a").data
    assert outputs["ex_data"] == "killed by operator" and outputs["_forced_failed"] is True
    assert rt.get_schedule(schedule.id).expired
    assert rt.get_process_info_with_root_pipeline("root")[0].process_id is not None
    hooks = [h for h in rt.api_hook_states if "forced" in h[0]]
    assert hooks == [("pre_forced_fail_activity", "RUNNING"), ("post_forced_fail_activity", "FAILED")]
    assert [n for n, _ in SERVICE_HOOKS] == ["pre_forced_fail_activity", "post_forced_fail_activity"]

    late = api.callback(rt, "a", running.version, {"late": True})
    assert late.result is False and f"node version {running.version} not exist" in str(late.exc)
    rt.run_until_idle()
    assert state(rt, "a").name == "FAILED" and rt.get_state_or_none("b") is None

    assert api.retry_node(rt, "a").result
    rt.run_until_idle()
    assert state(rt, "a").name == "RUNNING"


def test_forced_fail_stops_a_polling_activity(rt):
    assert api.run_pipeline(rt, linear(("a", "poll", {}))).result
    rt.run_until_idle(auto_advance=False)  # executes; the first poll waits 5 s on the manual clock
    assert state(rt, "a").name == "RUNNING"
    assert api.get_execution_data_outputs(rt, "a").data["polls"] == 0
    assert [task.kind for task in rt.task_log] == ["execute", "schedule"]
    running_version = state(rt, "a").version
    assert api.forced_fail_activity(rt, "a", "timeout").result
    rt.run_until_idle()  # the pending poll fires and must be dropped
    assert [task.kind for task in rt.task_log] == ["execute", "schedule"]
    assert rt.task_log[1].error is None
    assert state(rt, "a").name == "FAILED"
    outputs = api.get_execution_data_outputs(rt, "a").data
    assert outputs["polls"] == 0 and outputs["ex_data"] == "timeout"
    assert rt.get_schedule_with_node_and_version("a", running_version).expired


def test_forced_fail_refused(rt):
    start(rt, linear(("a", "fail", {})))
    assert_refused(rt, lambda: api.forced_fail_activity(rt, "a", "x"), InvalidOperationError, "a", "FAILED")
    assert_refused(
        rt, lambda: api.forced_fail_activity(rt, "start", "x"), InvalidOperationError, "start", "activity"
    )


def test_callback_runs_schedule(rt):
    start(rt, linear(("a", "callback", {}), ("b", "empty", {})))
    version = state(rt, "a").version
    assert api.callback(rt, "a", version, {"answer": 42}).result
    rt.run_until_idle()
    assert state(rt, "a").name == "FINISHED" and state(rt, "root").name == "FINISHED"
    assert api.get_execution_data_outputs(rt, "a").data["callback"] == {"answer": 42}
    assert [h for h in rt.api_hook_states if "callback" in h[0]] == [
        ("pre_callback", "RUNNING"),
        ("post_callback", "RUNNING"),
    ]
    assert SERVICE_HOOKS == [("pre_callback", "a"), ("post_callback", "a")]
    # hooks run by the API see the runtime attributes of the node's current run, as upstream sets them
    assert SERVICE_HOOK_ATTRIBUTES == [{"version": version, "loop": 1, "root_pipeline_id": "root"}] * 2
    # the schedule is finished now and the process moved on
    assert_refused(rt, lambda: api.callback(rt, "a", version, {}), InvalidOperationError, "a")


def test_callback_quoting_an_old_run_expires_its_schedule(rt):
    start(rt, linear(("a", "callback", {})))
    first_version = state(rt, "a").version
    assert api.callback(rt, "a", first_version, {"ok": False}).result
    rt.run_until_idle()
    assert state(rt, "a").name == "FAILED"
    assert api.retry_node(rt, "a").result
    rt.run_until_idle()
    second_version = state(rt, "a").version
    assert state(rt, "a").name == "RUNNING" and second_version != first_version

    result = api.callback(rt, "a", first_version, {"ok": True})
    assert result.result is False and isinstance(result.exc, InvalidOperationError)
    assert str(result.exc) == f"node version {first_version} not exist"
    assert rt.get_schedule_with_node_and_version("a", first_version).expired
    assert not rt.get_schedule_with_node_and_version("a", second_version).expired
    assert api.callback(rt, "a", second_version, {"ok": True}).result
    rt.run_until_idle()
    assert state(rt, "root").name == "FINISHED"


def test_callback_with_unknown_version_is_refused(rt):
    start(rt, linear(("a", "callback", {})))
    version = state(rt, "a").version
    result = api.callback(rt, "a", "v_unknown", {})
    assert result.result is False and isinstance(result.exc, NotFoundError) and "v_unknown" in str(result.exc)
    schedule = rt.get_schedule_with_node_and_version("a", version)
    assert not schedule.expired and not schedule.finished
    assert_refused(rt, lambda: api.callback(rt, "ghost", version, {}), NotFoundError, "ghost")


# ---- subprocess ------------------------------------------------------------------------------------


def _failing_subprocess_tree():
    child = Tree("sp", start="s_start", end="s_end").act(
        "s_a", "empty", {"value": {"type": "splice", "value": "${p}"}}
    )
    child.link("s_start", "s_a", "s_end")
    child.tree["data"]["inputs"]["${p}"] = {"type": "plain", "value": "default", "is_param": True}
    params = {"${p}": {"type": "lazy", "value": "abc", "custom_type": "not_registered_yet"}}
    return (
        Tree()
        .subprocess("sp", child, params=params)
        .act("b", "empty")
        .link("start", "sp", "b", "end")
        .build()
    )


def test_retry_subprocess(rt):
    start(rt, _failing_subprocess_tree())
    failed = state(rt, "sp")
    assert failed.name == "FAILED"
    assert_refused(rt, lambda: api.skip_node(rt, "sp"), InvalidOperationError, "sp")

    rt.register_compute_variable("not_registered_yet", UpperVariable)
    assert api.retry_subprocess(rt, "sp").result
    retried = state(rt, "sp")
    assert retried.name == "READY" and retried.retry == 1 and retried.version != failed.version
    rt.run_until_idle()
    assert state(rt, "sp").name == "FINISHED" and state(rt, "root").name == "FINISHED"
    assert api.get_execution_data_outputs(rt, "s_a").data["out"] == "ABC"
    assert len(api.get_node_histories(rt, "sp").data) == 1
    assert [h for h in rt.api_hook_states if "subprocess" in h[0]] == [
        ("pre_retry_subprocess", "FAILED"),
        ("post_retry_subprocess", "READY"),
    ]


def test_retry_subprocess_refused(rt):
    start(rt, linear(("a", "fail", {})))
    assert_refused(rt, lambda: api.retry_subprocess(rt, "a"), InvalidOperationError, "a", "SubProcess")
    assert_refused(rt, lambda: api.retry_subprocess(rt, "ghost"), NotFoundError, "ghost")


# ---- loops -----------------------------------------------------------------------------------------


def _loop_tree(fail_at=2, retryable=True, skippable=True):
    tree = linear(("a", "fail", {"fail_at": fail_at}), ("b", "empty", {}))
    tree["activities"]["a"]["loop_config"] = {
        "enable": True, "loop_times": 3, "fail_skip": False, "retryable": retryable, "skippable": skippable,
        "outputs_key": "${outs}",
    }  # fmt: skip
    tree["data"]["inputs"]["${outs}"] = {
        "type": "plain",
        "value": [],
        "source_act": "a",
        "source_key": "outputs",
    }
    return tree


def _aggregated(rt):
    return {cv.key: cv.value for cv in rt.get_context("root")}["${outs}"]


def test_loop_retry_continues_the_loop_and_drops_the_failed_iteration(rt):
    start(rt, _loop_tree(), cycle_tolerate=True)
    failed = state(rt, "a")
    assert failed.name == "FAILED" and failed.inner_loop == 2
    assert [item["inner_loop"] for item in _aggregated(rt)] == [1, 2]

    assert api.retry_node(rt, "a", data={"fail_at": 99}, loop_retry=True).result
    retried = state(rt, "a")
    assert retried.name == "LOOP_READY" and retried.retry == failed.retry
    assert [item["inner_loop"] for item in _aggregated(rt)] == [1]
    rt.run_until_idle()
    assert state(rt, "a").name == "FINISHED" and state(rt, "root").name == "FINISHED"
    assert [item["inner_loop"] for item in _aggregated(rt)] == [1, 2, 3]


def test_plain_retry_of_loop_node_restarts_the_loop(rt):
    start(rt, _loop_tree(), cycle_tolerate=True)
    assert api.retry_node(rt, "a", data={"fail_at": 99}).result
    assert state(rt, "a").name == "READY" and _aggregated(rt) == []
    rt.run_until_idle()
    assert state(rt, "root").name == "FINISHED"
    assert [item["inner_loop"] for item in _aggregated(rt)] == [1, 2, 3]


def test_loop_skip_continues_with_next_iteration(rt):
    start(rt, _loop_tree(), cycle_tolerate=True)
    assert api.skip_node(rt, "a", loop_skip=True).result
    rt.run_until_idle()
    assert state(rt, "a").name == "FINISHED" and state(rt, "a").inner_loop == 3
    assert state(rt, "root").name == "FINISHED"


def test_loop_operations_refused_without_loop_flags(rt):
    start(rt, _loop_tree(retryable=False, skippable=False), cycle_tolerate=True)
    assert_refused(rt, lambda: api.retry_node(rt, "a", loop_retry=True), InvalidOperationError, "a", "loop")
    assert_refused(rt, lambda: api.skip_node(rt, "a", loop_skip=True), InvalidOperationError, "a", "loop")


# ---- context ---------------------------------------------------------------------------------------


def test_update_context_values(rt):
    tree = linear(("a", "empty", {}))
    tree["data"]["inputs"]["${x}"] = {"type": "plain", "value": 1}
    start(rt, tree)
    assert api.update_context_values(rt, "root", [_plain_cv("${x}", 2)]).result
    assert {cv.key: cv.value for cv in rt.get_context("root")}["${x}"] == 2
    assert_refused(
        rt, lambda: api.update_context_values(rt, "root", [_plain_cv("${nope}", 2)]), NotFoundError, "${nope}"
    )
