"""Services, runtime setup and assertions shared by the handler tests (whole pipelines, in memory)."""

from bamboo_engine import api
from bamboo_engine.plugin import ExecutableEndEvent, LazyVariable, Service, StaticIntervalGenerator
from bamboo_engine.testing import InMemoryRuntime


class EchoService(Service):
    """Copies every input to the outputs (``_loop``/``_inner_loop`` included)."""

    def execute(self, data, parent_data):
        for key, value in data.get_inputs().items():
            data.set_outputs(key, value)
        data.set_outputs("parent_owner", parent_data.get_one_of_inputs("owner"))
        return True


class FailService(Service):
    def execute(self, data, parent_data):
        data.set_outputs("ex_data", "boom")
        data.set_outputs("partial", "kept")
        return False


class RaiseService(Service):
    def execute(self, data, parent_data):
        raise RuntimeError("kaboom")


class LoopService(Service):
    """Reports its iteration under ``outputs``; iteration 2 fails."""

    def execute(self, data, parent_data):
        inner_loop = data.get_one_of_inputs("_inner_loop")
        data.set_outputs("outputs", {"i": inner_loop})
        return inner_loop != 2


class PollService(Service):
    """Polls until the third schedule."""

    __need_schedule__ = True
    interval = StaticIntervalGenerator(5)

    def execute(self, data, parent_data):
        data.set_outputs("polls", 0)
        return True

    def schedule(self, data, parent_data, callback_data=None):
        polls = data.get_one_of_outputs("polls") + 1
        data.set_outputs("polls", polls)
        if polls >= 3:
            self.finish_schedule()
        return True


class CallbackService(Service):
    __need_schedule__ = True

    def execute(self, data, parent_data):
        return True

    def schedule(self, data, parent_data, callback_data=None):
        data.set_outputs("got", callback_data)
        return callback_data.get("ok", True)


class UpperVariable(LazyVariable):
    code = "upper"

    def get_value(self):
        return str(self.value).upper()


class RecordingEndEvent(ExecutableEndEvent):
    calls = []

    def execute(self, in_subprocess, root_pipeline_id, current_pipeline_id):
        RecordingEndEvent.calls.append((in_subprocess, root_pipeline_id, current_pipeline_id))


class RaisingEndEvent(ExecutableEndEvent):
    def execute(self, in_subprocess, root_pipeline_id, current_pipeline_id):
        raise RuntimeError("end event exploded")


def make_runtime() -> InMemoryRuntime:
    rt = InMemoryRuntime(executor="sync")
    rt.register_service("echo", EchoService)
    rt.register_service("fail", FailService)
    rt.register_service("raise", RaiseService)
    rt.register_service("loop", LoopService)
    rt.register_service("poll", PollService)
    rt.register_service("callback", CallbackService)
    rt.register_compute_variable("upper", UpperVariable)
    rt.register_executable_end_event("RecordingEnd", RecordingEndEvent)
    rt.register_executable_end_event("RaisingEnd", RaisingEndEvent)
    return rt


def run(rt, tree, **options):
    result = api.run_pipeline(rt, tree, **options)
    assert result.result, result.exc_trace
    rt.run_until_idle()
    return tree


def state(rt, node_id):
    return rt.get_state(node_id).name


def outputs(rt, node_id):
    return rt.get_execution_data_outputs(node_id)


def inputs(rt, node_id):
    return rt.get_execution_data_inputs(node_id)


def context(rt, pipeline_id):
    return {cv.key: cv.value for cv in rt.get_context(pipeline_id)}
