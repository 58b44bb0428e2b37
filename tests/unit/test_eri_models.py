"""ERI models: constructors, loop properties, serialisation round trips and abstract interfaces."""

import inspect
import json
import pickle

import pytest

from bamboo_engine import eri, exceptions
from bamboo_engine.eri import (
    CallbackData,
    Condition,
    ConditionalParallelGateway,
    ContextValue,
    ContextValueType,
    Data,
    DataInput,
    DefaultCondition,
    DispatchProcess,
    EmptyStartEvent,
    ExclusiveGateway,
    ExecutableEndEvent,
    ExecuteInterruptPoint,
    ExecuteResult,
    ExecutionData,
    HandlerExecuteData,
    HandlerScheduleData,
    HookType,
    LoopControlConfig,
    Node,
    NodeType,
    ParallelGateway,
    ProcessInfo,
    ScheduleInterruptPoint,
    ScheduleResult,
    ScheduleType,
    ServiceActivity,
    SubCanvas,
    SubProcess,
    SuspendedProcessInfo,
)
from bamboo_engine.eri.interfaces import (
    EngineRuntimeInterface,
    EventMixin,
    ExecutableEvent,
    Service,
    Variable,
)
from bamboo_engine.utils.collections import FancyDict


def _node_args(node_id="n1", node_type=NodeType.ServiceActivity, targets=None):
    targets = {"f1": "n2"} if targets is None else targets
    return (node_id, node_type, list(targets), list(targets.values()), targets, "root", "root")


# ---------------------------------------------------------------- nodes

_PARAM_NAMES = [
    "id",
    "type",
    "target_flows",
    "target_nodes",
    "targets",
    "root_pipeline_id",
    "parent_pipeline_id",
]


def test_node_defaults():
    node = Node(*_node_args())
    assert (node.can_skip, node.can_retry, node.name, node.reserve_rollback, node.loop_config) == (
        True,
        True,
        None,
        False,
        None,
    )
    assert node.targets == {"f1": "n2"}
    assert node.type is NodeType.ServiceActivity


def test_node_without_loop_config():
    node = Node(*_node_args())
    assert node.loop_enabled is False
    assert node.loop_times is None
    assert node.loop_fail_skip is False
    assert node.can_loop_retryable is False
    assert node.can_loop_skippable is False
    assert node.loop_outputs_key == "outputs"
    assert node.should_continue_loop(1) is False
    assert node.next_node_id_in_loop(1) == "n2"


def test_node_loop_properties_follow_config():
    config = LoopControlConfig(
        loop_times=3, fail_skip=True, retryable=True, skippable=True, outputs_key="res"
    )
    node = Node(*_node_args(), loop_config=config)
    assert node.loop_enabled is True
    assert node.loop_times == 3
    assert node.loop_fail_skip and node.can_loop_retryable and node.can_loop_skippable
    assert node.loop_outputs_key == "res"


@pytest.mark.parametrize(("inner_loop", "expected"), [(1, "n1"), (2, "n1"), (3, "n2"), (4, "n2")])
def test_next_node_id_in_loop_repeats_itself_until_loop_times(inner_loop, expected):
    node = Node(*_node_args(), loop_config=LoopControlConfig(loop_times=3))
    assert node.next_node_id_in_loop(inner_loop) == expected
    assert node.should_continue_loop(inner_loop) is (expected == "n1")


def test_loop_config_without_loop_times_never_continues():
    config = LoopControlConfig()
    assert config.outputs_key == LoopControlConfig.DEFAULT_OUTPUTS_KEY == "outputs"
    assert config.should_continue_loop(0) is False
    assert Node(*_node_args(), loop_config=config).next_node_id_in_loop(0) == "n2"


def test_next_node_id_without_target_raises_typed_error():
    node = Node(*_node_args("end", NodeType.EmptyEndEvent, targets={}))
    with pytest.raises(exceptions.ValueError, match="end"):
        node.next_node_id_in_loop(1)


def test_subclasses_take_their_own_parameters_first():
    pg = ParallelGateway("cg", *_node_args("pg", NodeType.ParallelGateway), name="p")
    assert (pg.converge_gateway_id, pg.id, pg.name) == ("cg", "pg", "p")

    cond = Condition("f1", "1 == 1", "n2", "f1")
    default = DefaultCondition("f2", "n3", "f2")
    cpg = ConditionalParallelGateway(
        [cond], "cg", default, {"k": 1}, *_node_args("cpg", NodeType.ConditionalParallelGateway)
    )
    assert (cpg.conditions, cpg.converge_gateway_id, cpg.default_condition, cpg.extra_info) == (
        [cond],
        "cg",
        default,
        {"k": 1},
    )

    node_kwargs = dict(zip(_PARAM_NAMES, _node_args("eg", NodeType.ExclusiveGateway), strict=True))
    eg = ExclusiveGateway([cond], **node_kwargs)
    assert (eg.default_condition, eg.extra_info, eg.id) == (None, {}, "eg")

    act = ServiceActivity("code", "legacy", True, *_node_args("act"), can_skip=False)
    assert (act.code, act.version, act.error_ignorable, act.can_skip) == ("code", "legacy", True, False)

    for cls, node_type in ((SubProcess, NodeType.SubProcess), (SubCanvas, NodeType.SubCanvas)):
        sub = cls("start", *_node_args("sub", node_type))
        assert (sub.start_event_id, sub.type) == ("start", node_type)

    end = ExecutableEndEvent("my_end", *_node_args("end", NodeType.ExecutableEndEvent, targets={}))
    assert (end.code, end.target_nodes) == ("my_end", [])

    assert isinstance(EmptyStartEvent(*_node_args("s", NodeType.EmptyStartEvent)), Node)


_PARAM_NAMES = [
    "id",
    "type",
    "target_flows",
    "target_nodes",
    "targets",
    "root_pipeline_id",
    "parent_pipeline_id",
]


def test_node_subclass_equality_includes_own_fields():
    a = ParallelGateway("cg1", *_node_args("pg"))
    assert a == ParallelGateway("cg1", *_node_args("pg"))
    assert a != ParallelGateway("cg2", *_node_args("pg"))
    assert "cg1" in repr(a)


@pytest.mark.parametrize("name", [t.name for t in NodeType])
def test_node_type_value_is_name(name):
    assert NodeType[name].value == name


# ---------------------------------------------------------------- runtime records


def test_execution_data_stores_fancy_dicts():
    data = ExecutionData({"a": 1}, None)
    assert isinstance(data.inputs, FancyDict) and isinstance(data.outputs, FancyDict)
    assert data.inputs.a == 1
    data.outputs.ex_data = "boom"
    assert data.outputs == {"ex_data": "boom"}
    assert ExecutionData(None, {"x": 1}) == ExecutionData({}, {"x": 1})


def test_data_input_groups():
    data = Data(
        inputs={"a": DataInput(need_render=True, value="${x}"), "b": DataInput(need_render=False, value=2)},
        outputs={"out": "${out}"},
    )
    assert data.need_render_inputs() == {"a": "${x}"}
    assert data.plain_inputs() == {"b": 2}
    assert data.render_escape_inputs() == {"b": 2}


def test_process_info_top_pipeline_id_is_last_on_stack():
    info = ProcessInfo(
        process_id=1, destination_id="", root_pipeline_id="r", pipeline_stack=["r", "sub"], parent_id=-1
    )
    assert info.top_pipeline_id == "sub"
    suspended = SuspendedProcessInfo(
        process_id=1, current_node="n", root_pipeline_id="r", pipeline_stack=["r"]
    )
    assert suspended.top_pipeline_id == "r"


def test_enums():
    assert [(t.name, t.value) for t in ScheduleType] == [
        ("CALLBACK", 1),
        ("MULTIPLE_CALLBACK", 2),
        ("POLL", 3),
    ]
    assert [(t.name, t.value) for t in ContextValueType] == [("PLAIN", 1), ("SPLICE", 2), ("COMPUTE", 3)]
    assert len(HookType) == 24
    assert all(h.value == h.name.lower() for h in HookType)


def test_context_value_and_callback_data():
    cv = ContextValue("${a}", ContextValueType.COMPUTE, "v")
    assert cv.code is None
    assert CallbackData(1, "n", "v1", {"k": 1}).data == {"k": 1}


# ---------------------------------------------------------------- serialisation


def test_dispatch_process_round_trip():
    dp = DispatchProcess(process_id=3, node_id="n")
    assert dp.to_dict() == {"process_id": 3, "node_id": "n"}
    assert DispatchProcess.from_dict(dp.to_dict()) == dp


@pytest.mark.parametrize("schedule_type", [None, ScheduleType.POLL, ScheduleType.CALLBACK])
def test_execute_result_round_trip_through_json(schedule_type):
    result = ExecuteResult(
        should_sleep=True,
        schedule_ready=schedule_type is not None,
        schedule_type=schedule_type,
        schedule_after=5,
        dispatch_processes=[DispatchProcess(1, "a"), DispatchProcess(2, "b")],
        next_node_id=None,
        should_die=True,
    )
    assert ExecuteResult.from_dict(json.loads(json.dumps(result.to_dict()))) == result


def test_schedule_result_round_trip():
    result = ScheduleResult(has_next_schedule=True, schedule_after=3, schedule_done=False, next_node_id="n")
    assert ScheduleResult.from_dict(json.loads(json.dumps(result.to_dict()))) == result


def test_handler_data_round_trips():
    execute_data = HandlerExecuteData(dispatch_processes=[DispatchProcess(1, "a")], service_executed=True)
    assert HandlerExecuteData.from_dict(json.loads(json.dumps(execute_data.to_dict()))) == execute_data
    assert HandlerExecuteData.from_dict(HandlerExecuteData().to_dict()) == HandlerExecuteData()
    schedule_data = HandlerScheduleData(service_scheduled=True, schedule_serialize_outputs='{"a": 1}')
    assert HandlerScheduleData.from_dict(schedule_data.to_dict()) == schedule_data


def test_execute_interrupt_point_round_trip_with_nested_data():
    point = ExecuteInterruptPoint(
        name="ExecuteInterrupter",
        version=1,
        state_already_exist=True,
        running_node_version="v1",
        execute_result=ExecuteResult(True, True, ScheduleType.POLL, 2, [DispatchProcess(7, "x")], None),
        set_schedule_done=True,
        handler_data=HandlerExecuteData(
            dispatch_processes=[DispatchProcess(8, "y")],
            service_executed=True,
            service_execute_fail=True,
            execute_serialize_outputs='{"_result": false}',
            execute_outputs_serializer="json",
        ),
    )
    restored = ExecuteInterruptPoint.from_json(point.to_json())
    assert restored == point
    assert restored.handler_data.dispatch_processes[0].process_id == 8
    assert restored.execute_result.schedule_type is ScheduleType.POLL


def test_schedule_interrupt_point_round_trip_with_nested_data():
    point = ScheduleInterruptPoint(
        name="ScheduleInterrupter",
        version_mismatch=False,
        node_not_running=False,
        lock_get=True,
        schedule_result=ScheduleResult(False, -1, True, "next"),
        lock_released=True,
        handler_data=HandlerScheduleData(service_scheduled=True, is_schedule_done=True),
    )
    assert ScheduleInterruptPoint.from_json(point.to_json()) == point


def test_interrupt_points_without_nested_data_round_trip():
    assert ExecuteInterruptPoint.from_json(ExecuteInterruptPoint("e").to_json()) == ExecuteInterruptPoint("e")
    assert ScheduleInterruptPoint.from_json(ScheduleInterruptPoint("s").to_json()) == ScheduleInterruptPoint(
        "s"
    )


@pytest.mark.parametrize("cls", [ExecuteInterruptPoint, ScheduleInterruptPoint])
@pytest.mark.parametrize("empty", [None, "", "{}"])
def test_from_json_of_nothing_is_none(cls, empty):
    assert cls.from_json(empty) is None


@pytest.mark.parametrize("cls", [ExecuteInterruptPoint, ScheduleInterruptPoint])
@pytest.mark.parametrize("bad", ["not json", "[1, 2]", '{"version": 1}'])
def test_from_json_of_bad_input_raises_typed_error(cls, bad):
    with pytest.raises(exceptions.ValueError, match=cls.__name__):
        cls.from_json(bad)


def test_models_survive_pickle():
    # The pickle serializer is an opt-in for task payloads; models must round-trip through it.
    objects = [
        ExecutionData({"a": 1}, {"b": 2}),
        ParallelGateway("cg", *_node_args("pg")),
        ExecuteInterruptPoint(
            "e", handler_data=HandlerExecuteData(dispatch_processes=[DispatchProcess(1, "a")])
        ),
        DispatchProcess(1, "a"),
    ]
    for obj in objects:
        assert pickle.loads(pickle.dumps(obj)) == obj


def test_from_json_ignores_unknown_keys():
    point = ExecuteInterruptPoint.from_json(json.dumps({"name": "e", "added_later": 1}))
    assert point == ExecuteInterruptPoint("e")


# ---------------------------------------------------------------- interfaces


def test_interfaces_are_published_under_the_package_path():
    for name in (
        "Service",
        "Variable",
        "ExecutableEvent",
        "EngineRuntimeInterface",
        "EventMixin",
        "TaskMixin",
    ):
        assert getattr(eri.interfaces, name).__module__ == "bamboo_engine.eri.interfaces"
    assert eri.interfaces.__version__ == "7.2.0" == eri.version()


def test_event_mixin_is_not_a_base_of_the_runtime_interface():
    assert not issubclass(EngineRuntimeInterface, EventMixin)


def test_runtime_interface_bases_in_published_order():
    assert [base.__name__ for base in EngineRuntimeInterface.__bases__] == [
        "PluginManagerMixin",
        "EngineAPIHooksMixin",
        "EngineRuntimeHooksMixin",
        "TaskMixin",
        "ProcessMixin",
        "StateMixin",
        "NodeMixin",
        "ScheduleMixin",
        "ContextMixin",
        "DataMixin",
        "ExecutionHistoryMixin",
        "InterruptMixin",
        "ConfigMixin",
        "RollbackMixin",
    ]


def _abstract_names(cls):
    return {
        name for name, member in inspect.getmembers(cls) if getattr(member, "__isabstractmethod__", False)
    }


def _complete_runtime_class(skip=()):
    """A subclass implementing every abstract method of EngineRuntimeInterface except ``skip``."""
    namespace = {name: (lambda self, *a, **k: None) for name in _abstract_names(EngineRuntimeInterface)}
    for name in skip:
        del namespace[name]
    return type("Runtime", (EngineRuntimeInterface,), namespace)


def test_complete_runtime_instantiates_and_hooks_are_noops():
    runtime = _complete_runtime_class()()
    assert runtime.node_finish("root", "n") is None
    assert runtime.pre_prepare_run_pipeline({}, {}, {}, {}, extra=1) is None
    assert runtime.post_forced_fail_activity("n", "ex", "v1", "v2") is None


REQUIRED_METHODS = ["prepare_run_pipeline", "node_rerun_limit", "get_state", "set_state", "interrupt_errors",
                    "get_config", "pre_execute", "fork", "get_service"]  # fmt: skip


@pytest.mark.parametrize("missing", REQUIRED_METHODS)
def test_runtime_missing_a_method_fails_at_construction(missing):
    with pytest.raises(TypeError, match=missing):
        _complete_runtime_class(skip=[missing])()


def test_hooks_are_not_abstract():
    abstract = _abstract_names(EngineRuntimeInterface)
    assert "node_enter" not in abstract and "pre_callback" not in abstract
    assert {
        "prepare_run_pipeline",
        "node_rerun_limit",
        "execute",
        "schedule",
        "set_next_schedule",
    } <= abstract


@pytest.mark.parametrize("cls", [Service, Variable, ExecutableEvent, EventMixin])
def test_plugin_abstractions_cannot_be_instantiated(cls):
    with pytest.raises(TypeError):
        cls()


def test_executable_event_implementation_is_an_ordinary_method():
    calls = []

    class EndEvent(ExecutableEvent):
        def execute(self, pipeline_stack, root_pipeline_id):
            calls.append((pipeline_stack, root_pipeline_id))

    EndEvent().execute(["root"], "root")
    assert calls == [(["root"], "root")]
