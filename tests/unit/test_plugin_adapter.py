"""bamboo_engine.plugin: the plugin service → ERI ``Service`` mapping and the other adapters."""

import logging

import pytest

from bamboo_engine.eri.models.event import HookType
from bamboo_engine.eri.models.runtime import CallbackData, ExecutionData, Schedule, ScheduleType
from bamboo_engine.plugin import (
    DataObject,
    DefaultIntervalGenerator,
    ExecutableEndEvent,
    ExecutableEndEventAdapter,
    LazyVariable,
    LazyVariableAdapter,
    LinearIntervalGenerator,
    NullIntervalGenerator,
    Service,
    ServiceAdapter,
    SquareIntervalGenerator,
    StaticIntervalGenerator,
)


def schedule_with_times(times):
    return Schedule(
        id=1,
        type=ScheduleType.POLL,
        process_id=1,
        node_id="n",
        finished=False,
        expired=False,
        version="v",
        times=times,
    )


class Plain(Service):
    def execute(self, data, parent_data):
        return None


class Poll(Service):
    __need_schedule__ = True
    interval = StaticIntervalGenerator(5)

    def execute(self, data, parent_data):
        return True


class Callback(Service):
    __need_schedule__ = True

    def execute(self, data, parent_data):
        return True


class MultiCallback(Callback):
    __multi_callback_enabled__ = True


@pytest.mark.parametrize(
    "service_cls, expected",
    [
        (Plain, None),
        (Poll, ScheduleType.POLL),
        (Callback, ScheduleType.CALLBACK),
        (MultiCallback, ScheduleType.MULTIPLE_CALLBACK),
    ],
)
def test_schedule_type_mapping(service_cls, expected):
    adapter = ServiceAdapter(service_cls())
    assert adapter.schedule_type() == expected
    assert adapter.need_schedule() == (expected is not None)


def test_schedule_after_without_interval_is_minus_one():
    data = ExecutionData({}, {})
    assert ServiceAdapter(Callback()).schedule_after(None, data, data) == -1


def test_schedule_after_restores_generator_position_from_schedule_times():
    class Square(Poll):
        interval = DefaultIntervalGenerator()

    data = ExecutionData({}, {})
    adapter = ServiceAdapter(Square())
    assert adapter.schedule_after(None, data, data) == 1  # first time: next() -> count 1
    # A fresh service instance (new message) after the 3rd schedule: count = times - 1 = 2, next -> 3
    assert ServiceAdapter(Square()).schedule_after(schedule_with_times(3), data, data) == 9


def test_interval_generator_instances_are_copied_per_service():
    first, second = Poll(), Poll()
    first.interval.next()
    assert first.interval is not second.interval and second.interval.count == 0


def test_interval_generators():
    default, square = DefaultIntervalGenerator(), SquareIntervalGenerator()
    assert [default.next() for _ in range(3)] == [1, 4, 9]
    assert [square.next() for _ in range(2)] == [1, 4]
    assert StaticIntervalGenerator(7).next() == 7
    null, linear = NullIntervalGenerator(), LinearIntervalGenerator()
    assert null.next() is None and linear.next() is None  # quirk
    assert null.count == 1


class Writer(Service):
    def execute(self, data, parent_data):
        data.outputs.answer = data.inputs.question * 2
        data.set_outputs("operator", parent_data.get_one_of_inputs("operator"))
        return True

    def schedule(self, data, parent_data, callback_data=None):
        data.reset_outputs({"callback": callback_data})
        return False


def test_execute_copies_outputs_back_into_execution_data():
    data = ExecutionData({"question": 21}, {})
    root = ExecutionData({"operator": "alice"}, {})
    assert ServiceAdapter(Writer()).execute(data, root) is True
    assert data.outputs == {"answer": 42, "operator": "alice"}


def test_schedule_receives_callback_dict_and_replaced_outputs_are_copied_back():
    data = ExecutionData({}, {"old": 1})
    outputs_dict = data.outputs
    callback = CallbackData(id=3, node_id="n", version="v", data={"status": "ok"})
    result = ServiceAdapter(Writer()).schedule(schedule_with_times(0), data, ExecutionData({}, {}), callback)
    assert result is False
    assert data.outputs == {"callback": {"status": "ok"}}
    assert data.outputs is outputs_dict  # updated in place


def test_none_result_counts_as_success_and_exception_still_copies_back():
    class Boom(Service):
        def execute(self, data, parent_data):
            data.outputs.ex_data = "partial"
            raise RuntimeError("boom")

    assert ServiceAdapter(Plain()).execute(ExecutionData({}, {}), ExecutionData({}, {})) is True
    data = ExecutionData({}, {})
    with pytest.raises(RuntimeError):
        ServiceAdapter(Boom()).execute(data, ExecutionData({}, {}))
    assert data.outputs == {"ex_data": "partial"}


class Hooked(Service):
    __need_run_hook__ = True

    def execute(self, data, parent_data):
        return True

    def node_enter(self, data, parent_data):
        data.outputs.entered = True

    def pre_callback(self, data, parent_data, callback_data=None):
        data.outputs.cb = callback_data
        return False

    def node_finish(self, data, parent_data):
        data.outputs.finished = True

    def node_schedule_fail(self, data, parent_data, **kwargs):
        data.outputs.fail_kwargs = kwargs


def test_hook_dispatch_calls_hook_and_passes_callback_data():
    adapter = ServiceAdapter(Hooked())
    assert adapter.need_run_hook() is True
    data = ExecutionData({}, {})
    assert adapter.hook_dispatch(HookType.NODE_ENTER, data, ExecutionData({}, {})) is True
    assert data.outputs.entered is True
    callback = CallbackData(id=1, node_id="n", version="v", data={"x": 1})
    assert adapter.hook_dispatch(HookType.PRE_CALLBACK, data, ExecutionData({}, {}), callback) is False
    assert data.outputs.cb is callback  # the ERI object, as upstream hands it to hooks


def test_callback_data_goes_only_to_hooks_that_take_it():
    adapter, data, callback = ServiceAdapter(Hooked()), ExecutionData({}, {}), CallbackData(1, "n", "v", {})

    # node_finish(data, parent_data) after a callback: called without the callback data
    assert adapter.hook_dispatch(HookType.NODE_FINISH, data, ExecutionData({}, {}), callback) is True
    assert data.outputs.finished is True
    # **kwargs takes it by keyword
    assert adapter.hook_dispatch(HookType.NODE_SCHEDULE_FAIL, data, ExecutionData({}, {}), callback)
    assert data.outputs.fail_kwargs == {"callback_data": callback}
    # no callback data (a POLL schedule): the default of the hook applies
    assert adapter.hook_dispatch(HookType.PRE_CALLBACK, data, ExecutionData({}, {})) is False
    assert data.outputs.cb is None


def test_hook_missing_on_service_counts_as_false():
    class Bare:
        interval = None

    assert (
        ServiceAdapter(Bare()).hook_dispatch(
            HookType.NODE_FINISH, ExecutionData({}, {}), ExecutionData({}, {})
        )
        is False
    )


def test_schedule_done_and_callback_lock_retryable():
    class Retryable(MultiCallback):
        def callback_lock_retryable(self, callback_data=None):
            return callback_data == {"retry": True}

    service = Retryable()
    adapter = ServiceAdapter(service)
    assert adapter.is_schedule_done() is False
    service.finish_schedule()
    assert adapter.is_schedule_done() is True
    service.clean_status()
    assert adapter.is_schedule_done() is False
    assert adapter.callback_lock_retryable(CallbackData(1, "n", "v", {"retry": True})) is True
    assert adapter.callback_lock_retryable(None) is False


def test_runtime_attributes_and_logger():
    service = Plain()
    ServiceAdapter(service).setup_runtime_attributes(
        id="n1", version="v1", top_pipeline_id="p", root_pipeline_id="p", loop=2, inner_loop=1
    )
    assert (service.id, service.version, service.root_pipeline_id, service.loop) == ("n1", "v1", "p", 2)
    assert isinstance(service.logger, logging.LoggerAdapter)
    assert service.logger.logger.name == "bamboo_engine.plugin"
    assert service.logger.extra == {"node_id": "n1", "loop": 2, "version": "v1"}
    with pytest.raises(AttributeError):
        service.not_a_runtime_attr  # noqa: B018


def test_service_outputs_include_default_outputs():
    keys = [item.key for item in Plain().outputs()]
    assert keys == ["_result", "_loop", "_inner_loop"]
    assert Plain().outputs()[0].as_dict() == {
        "name": "Execution result",
        "key": "_result",
        "type": "boolean",
        "schema": {},
    }


def test_data_object_api():
    data = DataObject({"a": 1})
    assert data.get_one_of_inputs("a") == 1 and data.get_one_of_inputs("b", 2) == 2
    data.update_outputs({"x": 1})
    copy = data.outputs_copy()
    copy["x"] = 2
    assert data.get_one_of_outputs("x") == 1
    data.override_inputs({"b": 3})
    assert data.inputs.b == 3
    assert '"x": 1' in data.serializer()
    with pytest.raises(TypeError):
        DataObject(["not", "a", "dict"])


def test_executable_end_event_adapter_passes_stack_facts():
    seen = []

    class Recorder(ExecutableEndEvent):
        def execute(self, in_subprocess, root_pipeline_id, current_pipeline_id):
            seen.append((in_subprocess, root_pipeline_id, current_pipeline_id))

    ExecutableEndEventAdapter(Recorder()).execute(["root"], "root")
    ExecutableEndEventAdapter(Recorder()).execute(["root", "sub"], "root")
    assert seen == [(False, "root", "root"), (True, "root", "sub")]


class _Source:
    def __init__(self, value):
        self.value = value

    def get(self):
        return self.value


class Upper(LazyVariable):
    code = "upper"

    def get_value(self):
        if self.value == "bad":
            raise KeyError("bad value")
        if self.value == "specific":
            raise LookupError("specific")
        return f"{self.value.upper()}:{self.pipeline_data.get('operator')}:{self.inner_loop}"


def test_lazy_variable_adapter_renders_and_computes():
    adapter = LazyVariableAdapter(Upper, "${v}", _Source("abc"), {"operator": "bob"}, inner_loop=2)
    assert adapter.get() == "ABC:bob:2"


def test_lazy_variable_errors_quirk_is_for_direct_callers_only():
    assert Upper("${v}", "bad", {}, {}).get() == "bad"

    class Specific(Upper):
        specific_exceptions = (LookupError,)

    assert Specific("${v}", "specific", {}, {}).get() == "Error: specific"
    # the engine's adapter lets the error through: the node needing the variable fails
    with pytest.raises(KeyError, match="bad value"):
        LazyVariableAdapter(Upper, "${v}", _Source("bad"), {}).get()
    with pytest.raises(LookupError, match="specific"):
        LazyVariableAdapter(Specific, "${v}", _Source("specific"), {}).get()
