"""SubProcess/SubCanvas data flow, node loops, schedules and interrupt recovery of the handlers."""

from bamboo_engine import api, states
from bamboo_engine.builder import (
    ConditionalParallelGateway,
    ConvergeGateway,
    Data,
    DataInput,
    EmptyEndEvent,
    EmptyStartEvent,
    NodeOutput,
    Params,
    ServiceActivity,
    SubCanvas,
    SubProcess,
    Var,
    build_tree,
)
from bamboo_engine.eri.models.interrupt import ExecuteInterruptPoint, HandlerExecuteData
from bamboo_engine.eri.models.runtime import DispatchProcess
from bamboo_engine.handler import HandlerFactory
from bamboo_engine.interrupt import ExecuteKeyPoint
from bamboo_engine.plugin import Service, StaticIntervalGenerator
from tests.unit.handler_helpers import context, inputs, make_runtime, outputs, run, state


def chain(*nodes):
    start = EmptyStartEvent()
    current = start
    for node in nodes:
        current = current.extend(node)
    end = current.extend(EmptyEndEvent())
    return start, end


def echo(**inputs):
    act = ServiceActivity(component_code="echo")
    for key, var in inputs.items():
        act.component.inputs[key] = var
    return act


class TestSubProcess:
    def build(self):
        child_act = echo(v=Var(type=Var.SPLICE, value="${p}-${d}"))
        child_start, child_end = chain(child_act)
        child_data = Data(outputs=["${r}"])
        child_data.inputs["${p}"] = DataInput(type=Var.PLAIN, value="default-p")
        child_data.inputs["${d}"] = Var(type=Var.PLAIN, value="child-default")
        child_data.inputs["${r}"] = NodeOutput(source_act=child_act.id, source_key="v", type=Var.PLAIN)
        sp = SubProcess(
            start=child_start,
            data=child_data,
            params=Params({"${p}": Var(type=Var.SPLICE, value="${pv}!")}),
        )
        start, end = chain(sp)
        data = Data()
        data.inputs["${pv}"] = Var(type=Var.PLAIN, value="parent")
        data.inputs["${res}"] = NodeOutput(source_act=sp.id, source_key="${r}", type=Var.PLAIN)
        data.inputs["${sp_loop}"] = NodeOutput(source_act=sp.id, source_key="_loop", type=Var.PLAIN)
        return build_tree(start, data=data), sp, child_act, child_end, end

    def test_params_in_outputs_out(self):
        rt = make_runtime()
        tree, sp, child_act, child_end, end = self.build()
        run(rt, tree)

        assert inputs(rt, sp.id) == {"${p}": "parent!"}
        assert inputs(rt, child_act.id)["v"] == "parent!-child-default"
        assert outputs(rt, child_end.id)["${r}"] == "parent!-child-default"
        sp_outputs = outputs(rt, sp.id)
        assert sp_outputs["${r}"] == "parent!-child-default"
        assert (sp_outputs["_loop"], sp_outputs["_inner_loop"]) == (1, 1)
        parent_context = context(rt, tree["id"])
        assert parent_context["${res}"] == "parent!-child-default"
        assert parent_context["${sp_loop}"] == 1
        assert context(rt, sp.id)["${p}"] == "parent!"
        for node_id in (sp.id, child_end.id, end.id, tree["id"]):
            assert state(rt, node_id) == states.FINISHED

    def test_params_hydrate_failure_fails_the_subprocess_node(self):
        rt = make_runtime()
        tree, sp, child_act, _, _ = self.build()
        tree["activities"][sp.id]["params"]["${p}"]["value"] = "${broken}"
        tree["data"]["inputs"]["${broken}"] = {"type": "lazy", "value": "x", "custom_type": "not-registered"}
        run(rt, tree)
        assert state(rt, sp.id) == states.FAILED
        assert "not-registered" in outputs(rt, sp.id)["ex_data"]
        assert not rt.has_state(child_act.id)


class TestSubCanvas:
    def test_child_sees_a_copy_of_the_parent_context_and_outputs_flow_back(self):
        rt = make_runtime()
        child_act = echo(v=Var(type=Var.SPLICE, value="${pv}+"))
        child_start, _ = chain(child_act)
        child_data = Data(outputs=["${cr}"])
        child_data.inputs["${cr}"] = NodeOutput(source_act=child_act.id, source_key="v", type=Var.PLAIN)
        canvas = SubCanvas(start=child_start, data=child_data)
        start, end = chain(canvas)
        data = Data()
        data.inputs["${pv}"] = Var(type=Var.PLAIN, value="shared")
        data.inputs["${back}"] = NodeOutput(source_act=canvas.id, source_key="${cr}", type=Var.PLAIN)
        tree = build_tree(start, data=data)
        run(rt, tree)

        assert inputs(rt, child_act.id)["v"] == "shared+"
        assert context(rt, canvas.id)["${pv}"] == "shared"
        assert context(rt, tree["id"])["${back}"] == "shared+"
        assert state(rt, canvas.id) == states.FINISHED
        assert state(rt, end.id) == states.FINISHED


def loop_tree(fail_skip, loop_times=3):
    act = ServiceActivity(component_code="loop")
    start, end = chain(act)
    data = Data()
    data.inputs["${results}"] = NodeOutput(source_act=act.id, source_key="outputs", type=Var.PLAIN)
    tree = build_tree(start, data=data)
    tree["activities"][act.id]["loop_config"] = {
        "enable": True,
        "loop_times": loop_times,
        "fail_skip": fail_skip,
        "outputs_key": "${results}",
    }
    return tree, act, end


class TestNodeLoop:
    def test_fail_skip_records_failed_iteration_and_aggregates_outputs(self):
        rt = make_runtime()
        tree, act, end = loop_tree(fail_skip=True)
        run(rt, tree)
        assert context(rt, tree["id"])["${results}"] == [
            {"i": 1, "result": True, "inner_loop": 1},
            {"i": 2, "result": False, "inner_loop": 2},
            {"i": 3, "result": True, "inner_loop": 3},
        ]
        act_state = rt.get_state(act.id)
        assert act_state.name == states.FINISHED and act_state.inner_loop == 3
        assert state(rt, end.id) == states.FINISHED

    def test_without_fail_skip_the_failed_iteration_stops_the_loop(self):
        rt = make_runtime()
        tree, act, end = loop_tree(fail_skip=False)
        run(rt, tree)
        assert state(rt, act.id) == states.FAILED
        assert [item["i"] for item in context(rt, tree["id"])["${results}"]] == [1, 2]
        assert not rt.has_state(end.id)


class TestSchedules:
    def test_poll_until_finished(self):
        rt = make_runtime()
        act = ServiceActivity(component_code="poll")
        start, end = chain(act)
        tree = build_tree(start)
        run(rt, tree)
        assert state(rt, act.id) == states.FINISHED
        out = outputs(rt, act.id)
        assert out["polls"] == 3 and out["_result"] is True
        assert state(rt, end.id) == states.FINISHED

    def callback_pipeline(self):
        rt = make_runtime()
        act = ServiceActivity(component_code="callback")
        start, end = chain(act)
        tree = build_tree(start)
        run(rt, tree)
        assert state(rt, act.id) == states.RUNNING
        return rt, act, end

    def test_callback_success_finishes(self):
        rt, act, end = self.callback_pipeline()
        result = api.callback(rt, act.id, rt.get_state(act.id).version, {"ok": True, "n": 1})
        assert result.result, result.exc_trace
        rt.run_until_idle()
        assert state(rt, act.id) == states.FINISHED
        assert outputs(rt, act.id)["got"] == {"ok": True, "n": 1}
        assert state(rt, end.id) == states.FINISHED

    def test_callback_failure_fails(self):
        rt, act, end = self.callback_pipeline()
        api.callback(rt, act.id, rt.get_state(act.id).version, {"ok": False})
        rt.run_until_idle()
        assert state(rt, act.id) == states.FAILED
        assert outputs(rt, act.id)["_result"] is False
        assert not rt.has_state(end.id)


class CountingService(Service):
    executions = 0

    def execute(self, data, parent_data):
        CountingService.executions += 1
        data.set_outputs("fresh", True)
        return True


class FakeInterrupter:
    def __init__(self):
        self.check_point = ExecuteInterruptPoint(name="ENTRY", handler_data=HandlerExecuteData())
        self.reached = []

    def check(self, key_point):
        self.reached.append(key_point)


class TestRecovery:
    def test_recovered_service_is_not_executed_again(self):
        rt = make_runtime()
        rt.register_service("counting", CountingService)
        act = ServiceActivity(component_code="counting")
        start, end = chain(act)
        tree = build_tree(start)
        assert api.run_pipeline(rt, tree).result  # sync executor: nothing runs yet
        process = rt.get_process_info_with_root_pipeline(tree["id"])[0]
        version = rt.set_state(
            act.id, states.RUNNING, loop=1, inner_loop=1, root_id=tree["id"], parent_id=tree["id"]
        )
        serialized, serializer = rt.serialize_execution_data({"recorded": 1})
        recover_point = ExecuteInterruptPoint(
            name=ExecuteKeyPoint.SA_SERVICE_EXECUTE_DONE.value,
            handler_data=HandlerExecuteData(
                service_executed=True,
                execute_serialize_outputs=serialized,
                execute_outputs_serializer=serializer,
            ),
        )
        interrupter = FakeInterrupter()
        CountingService.executions = 0
        handler = HandlerFactory.get_handler(rt.get_node(act.id), rt, interrupter)
        result = handler.execute(process, 1, 1, version, recover_point=recover_point)

        assert CountingService.executions == 0
        assert result.next_node_id == end.id
        assert outputs(rt, act.id)["recorded"] == 1 and "fresh" not in outputs(rt, act.id)
        assert state(rt, act.id) == states.FINISHED
        assert ExecuteKeyPoint.SA_SERVICE_EXECUTE_DONE in interrupter.reached
        assert interrupter.check_point.handler_data.service_executed is True


def prepared(tree):
    """A runtime with ``tree`` prepared but not run (sync executor), and its root process."""
    rt = make_runtime()
    assert api.run_pipeline(rt, tree).result
    return rt, rt.get_process_info_with_root_pipeline(tree["id"])[0]


def running(rt, node_id, tree):
    return rt.set_state(
        node_id, states.RUNNING, loop=1, inner_loop=1, root_id=tree["id"], parent_id=tree["id"]
    )


class TestRecoveryOfForksAndStacks:
    def test_recovered_fork_is_reused(self):
        gw = ConditionalParallelGateway(conditions={0: "1 == 1", 1: "1 == 1"})
        start, converge, end = EmptyStartEvent(), ConvergeGateway(), EmptyEndEvent()
        start.extend(gw).connect(echo(), echo()).converge(converge).extend(end)
        tree = build_tree(start)
        rt, process = prepared(tree)
        version = running(rt, gw.id, tree)
        earlier = [DispatchProcess(process_id=4242, node_id="n-earlier")]
        recover_point = ExecuteInterruptPoint(
            name=ExecuteKeyPoint.CPG_PROCESS_FORK_DONE.value,
            handler_data=HandlerExecuteData(dispatch_processes=earlier),
        )
        interrupter = FakeInterrupter()
        handler = HandlerFactory.get_handler(rt.get_node(gw.id), rt, interrupter)
        result = handler.execute(process, 1, 1, version, recover_point=recover_point)

        assert result.dispatch_processes == earlier and result.should_sleep
        assert len(rt.get_process_info_with_root_pipeline(tree["id"])) == 1  # no new fork
        assert state(rt, gw.id) == states.FINISHED
        assert interrupter.check_point.handler_data.dispatch_processes == earlier

    def test_subprocess_stack_is_pushed_once(self):
        child_start, _ = chain(echo())
        sp = SubProcess(start=child_start, data=Data(), params=Params({}))
        start, _ = chain(sp)
        tree = build_tree(start)
        rt, process = prepared(tree)
        version = running(rt, sp.id, tree)
        handler = HandlerFactory.get_handler(rt.get_node(sp.id), rt, FakeInterrupter())
        for _ in range(2):  # the second call plays a redelivered message after the push
            result = handler.execute(rt.get_process_info(process.process_id), 1, 1, version)
            assert result.next_node_id == child_start.id
        assert rt.get_process_info(process.process_id).pipeline_stack == [tree["id"], sp.id]
        assert state(rt, sp.id) == states.RUNNING


class FlakyPollService(Service):
    __need_schedule__ = True
    interval = StaticIntervalGenerator(1)

    def execute(self, data, parent_data):
        return True

    def schedule(self, data, parent_data, callback_data=None):
        raise RuntimeError("poll exploded")


class TestScheduleFailures:
    def run_flaky(self, error_ignorable):
        rt = make_runtime()
        rt.register_service("flaky_poll", FlakyPollService)
        act = ServiceActivity(component_code="flaky_poll", error_ignorable=error_ignorable)
        start, end = chain(act)
        tree = build_tree(start)
        run(rt, tree)
        return rt, act, end

    def test_schedule_exception_fails_with_traceback(self):
        rt, act, end = self.run_flaky(error_ignorable=False)
        assert state(rt, act.id) == states.FAILED
        out = outputs(rt, act.id)
        assert "RuntimeError: poll exploded" in out["ex_data"] and out["_result"] is False
        schedule = rt.get_schedule_with_node_and_version(act.id, rt.get_state(act.id).version)
        # a failed schedule is left unfinished (and unexpired), as upstream
        assert (schedule.finished, schedule.expired, schedule.times) == (False, False, 1)
        assert not rt.has_state(end.id)

    def test_schedule_failure_of_error_ignorable_node_continues(self):
        rt, act, end = self.run_flaky(error_ignorable=True)
        act_state = rt.get_state(act.id)
        assert act_state.name == states.FINISHED and act_state.error_ignored
        assert state(rt, end.id) == states.FINISHED
