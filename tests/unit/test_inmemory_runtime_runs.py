"""End-to-end glue: pipelines run by the engine through the in-memory runtime and its plugins."""

import pytest

from bamboo_engine import api, states
from bamboo_engine.builder import (
    ConvergeGateway,
    Data,
    EmptyEndEvent,
    EmptyStartEvent,
    ExecutableEndEvent,
    NodeOutput,
    ParallelGateway,
    Params,
    ServiceActivity,
    SubProcess,
    Var,
    build_tree,
)
from bamboo_engine.plugin import ExecutableEndEvent as PluginEndEvent
from bamboo_engine.plugin import LazyVariable, Service, StaticIntervalGenerator
from bamboo_engine.testing import InMemoryRuntime


class Double(Service):
    def execute(self, data, parent_data):
        data.outputs.result = data.get_one_of_inputs("number") * 2
        return True


class WaitReady(Service):
    __need_schedule__ = True
    interval = StaticIntervalGenerator(10)

    def execute(self, data, parent_data):
        return True

    def schedule(self, data, parent_data, callback_data=None):
        data.outputs.polls = data.get_one_of_outputs("polls", 0) + 1
        if data.outputs.polls >= 3:
            self.finish_schedule()
        return True


class Approve(Service):
    __need_schedule__ = True

    def execute(self, data, parent_data):
        return True

    def schedule(self, data, parent_data, callback_data=None):
        data.outputs.approved = callback_data["approved"]
        return callback_data["approved"]


class Counting(Service):
    executions = 0

    def execute(self, data, parent_data):
        type(self).executions += 1
        data.outputs.value = data.get_one_of_inputs("value")
        return True


class Echo(Service):
    def execute(self, data, parent_data):
        data.outputs.value = data.get_one_of_inputs("value")
        return True


class Fail(Service):
    def execute(self, data, parent_data):
        data.outputs.ex_data = "nope"
        return False


@pytest.fixture
def rt():
    runtime = InMemoryRuntime()
    for code, cls in [("double", Double), ("wait_ready", WaitReady), ("approve", Approve), ("echo", Echo)]:
        runtime.register_service(code, cls)
    runtime.register_service("counting", Counting)
    runtime.register_service("fail", Fail)
    yield runtime
    runtime.close()


def run(rt, start, data=None, **options):
    tree = build_tree(start, data=data)
    result = api.run_pipeline(rt, tree, **options)
    assert result.result, result.exc_trace
    return tree


def test_documented_example_runs_with_poll_schedule_and_outputs(rt):
    start, end = EmptyStartEvent(), EmptyEndEvent()
    double = ServiceActivity(component_code="double")
    double.component.inputs.number = Var(type=Var.SPLICE, value="${n}")
    wait = ServiceActivity(component_code="wait_ready")
    start.extend(double).extend(wait).extend(end)
    data = Data()
    data.inputs["${n}"] = Var(type=Var.PLAIN, value=21)
    data.inputs["${doubled}"] = NodeOutput(source_act=double.id, source_key="result", type=Var.PLAIN)
    data.outputs = ["${doubled}"]
    started = rt.clock.now()
    tree = run(rt, start, data)
    assert rt.states() == {tree["id"]: states.RUNNING}  # sync: only prepared, nothing ran yet
    rt.run_until_idle()
    assert set(rt.states(tree["id"]).values()) == {states.FINISHED}
    assert rt.get_execution_data_outputs(wait.id)["polls"] == 3
    assert rt.get_execution_data_outputs(tree["id"]) == {"${doubled}": 42}
    assert (rt.clock.now() - started).total_seconds() == 30  # three 10 s polls, clock jumped
    assert ("pipeline_finish", {"pipeline_id": tree["id"]}) in rt.hook_log


def test_poll_steps_follow_the_manual_clock(rt):
    start, wait, end = EmptyStartEvent(), ServiceActivity(component_code="wait_ready"), EmptyEndEvent()
    start.extend(wait).extend(end)
    run(rt, start)
    rt.run_until_idle(auto_advance=False)
    assert rt.get_state(wait.id).name == states.RUNNING
    assert "polls" not in rt.get_execution_data_outputs(wait.id)
    rt.clock.advance(10)
    rt.run_until_idle(auto_advance=False)
    assert rt.get_execution_data_outputs(wait.id)["polls"] == 1


def test_callback_between_steps(rt):
    start, approve, end = EmptyStartEvent(), ServiceActivity(component_code="approve"), EmptyEndEvent()
    start.extend(approve).extend(end)
    tree = run(rt, start)
    rt.run_until_idle()
    assert rt.get_state(approve.id).name == states.RUNNING
    version = rt.get_state(approve.id).version
    assert api.callback(rt, approve.id, version, {"approved": True}).result
    rt.run_until_idle()
    assert rt.get_state(tree["id"]).name == states.FINISHED
    assert rt.get_execution_data_outputs(approve.id)["approved"] is True


def test_failed_node_waits_for_operator_and_wait_for_state_reports(rt):
    start, fail, end = EmptyStartEvent(), ServiceActivity(component_code="fail"), EmptyEndEvent()
    start.extend(fail).extend(end)
    tree = run(rt, start)
    assert rt.wait_for_state(fail.id, states.FAILED).name == states.FAILED
    assert rt.get_execution_data_outputs(fail.id)["ex_data"] == "nope"
    with pytest.raises(TimeoutError, match=f"{end.id} is no state"):
        rt.wait_for_state(end.id, states.FINISHED)
    assert rt.get_state(tree["id"]).name == states.RUNNING


def parallel_tree(branches):
    start, pg, cg, end = EmptyStartEvent(), ParallelGateway(), ConvergeGateway(), EmptyEndEvent()
    acts = []
    for index in range(branches):
        act = ServiceActivity(component_code="echo")
        act.component.inputs.value = Var(type=Var.PLAIN, value=index)
        acts.append(act)
    start.extend(pg).connect(*acts).converge(cg).extend(end)
    return start, acts


@pytest.mark.parametrize("executor", ["sync", "threads"])
def test_parallel_branches_converge_once(executor):
    with InMemoryRuntime(executor=executor, max_workers=4) as rt:
        rt.register_service("echo", Echo)
        start, acts = parallel_tree(6)
        tree = run(rt, start)
        rt.wait_for_state(tree["id"], states.FINISHED, timeout=20)
        assert [rt.get_execution_data_outputs(a.id)["value"] for a in acts] == list(range(6))
        converge_runs = [t for t in rt.task_log if t.kind == "execute" and t.kwargs["node_id"] == tree["id"]]
        assert converge_runs == []
        assert len(rt.store.processes) == 7
        assert all(p.dead for p in rt.store.processes.values())


def test_interrupted_step_is_redispatched_without_running_the_service_twice(rt):
    Counting.executions = 0
    start, act, end = EmptyStartEvent(), ServiceActivity(component_code="counting"), EmptyEndEvent()
    act.component.inputs.value = Var(type=Var.PLAIN, value="x")
    start.extend(act).extend(end)
    handle = rt.inject_interrupt("set_execution_data", times=1)
    tree = run(rt, start)
    rt.run_until_idle()
    assert handle.raised == 1
    assert rt.interrupt_events
    assert rt.get_state(tree["id"]).name == states.FINISHED
    assert Counting.executions == 1
    assert rt.get_execution_data_outputs(act.id)["value"] == "x"


class Upper(LazyVariable):
    code = "upper"

    def get_value(self):
        return f"{self.value.upper()}-{self.pipeline_data['operator']}"


class Marker(PluginEndEvent):
    calls = []

    def execute(self, in_subprocess, root_pipeline_id, current_pipeline_id):
        Marker.calls.append((in_subprocess, root_pipeline_id, current_pipeline_id))


def test_subprocess_lazy_variable_and_executable_end_event(rt):
    from bamboo_engine.validator.api import add_sink_type

    add_sink_type("marker_end")
    rt.register_compute_variable("upper", Upper)
    rt.register_executable_end_event("marker_end", Marker)
    Marker.calls = []

    child_start, child_act, child_end = (
        EmptyStartEvent(),
        ServiceActivity(component_code="echo"),
        EmptyEndEvent(),
    )
    child_act.component.inputs.value = Var(type=Var.SPLICE, value="${p}")
    child_start.extend(child_act).extend(child_end)
    child_data = Data()
    child_data.inputs["${p}"] = Var(type=Var.PLAIN, value="default")
    child_data.inputs["${echoed}"] = NodeOutput(source_act=child_act.id, source_key="value", type=Var.PLAIN)
    child_data.outputs = ["${echoed}"]

    params = Params({"${p}": Var(type=Var.LAZY, value="${name}", custom_type="upper")})
    sub = SubProcess(start=child_start, data=child_data, params=params)
    start, end = EmptyStartEvent(), ExecutableEndEvent(type="marker_end")
    start.extend(sub).extend(end)
    data = Data()
    data.inputs["${name}"] = Var(type=Var.PLAIN, value="abc")
    data.inputs["${result}"] = NodeOutput(source_act=sub.id, source_key="${echoed}", type=Var.PLAIN)
    data.outputs = ["${result}"]

    tree = run(rt, start, data, root_pipeline_data={"operator": "bob"})
    rt.run_until_idle()
    assert rt.get_state(tree["id"]).name == states.FINISHED
    assert rt.get_execution_data_outputs(child_act.id)["value"] == "ABC-bob"
    assert rt.get_execution_data_outputs(tree["id"]) == {"${result}": "ABC-bob"}
    assert Marker.calls == [(False, tree["id"], tree["id"])]


def test_threads_wait_for_state_skips_poll_delays_and_reports_idle():
    with InMemoryRuntime(executor="threads") as rt:
        rt.register_service("wait_ready", WaitReady)
        rt.register_service("fail", Fail)
        start, wait, fail, end = (
            EmptyStartEvent(),
            ServiceActivity(component_code="wait_ready"),
            ServiceActivity(component_code="fail"),
            EmptyEndEvent(),
        )
        start.extend(wait).extend(fail).extend(end)
        run(rt, start)
        rt.wait_for_state(fail.id, states.FAILED, timeout=10)  # three 10 s polls skipped by the clock
        assert rt.get_execution_data_outputs(wait.id)["polls"] == 3
        with pytest.raises(TimeoutError, match="no task left"):
            rt.wait_for_state(end.id, states.FINISHED, timeout=10)
