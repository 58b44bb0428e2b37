"""Benchmark components: ``debug_node``, ``debug_no_schedule_node``, ``empty_node``."""

from pipeline.component_framework.component import Component
from pipeline.core.flow.activity import Service, StaticIntervalGenerator

__group_name__ = "Debug"


def copy_inputs_to_outputs(data):
    # Copies every input, _loop and _inner_loop included (the benchmark's expected outputs rely on it).
    for key, value in data.get_inputs().items():
        data.set_outputs(key, value)


class DebugService(Service):
    """POLL with a 0 s interval: execute copies inputs to outputs, the first poll finishes."""

    __need_schedule__ = True
    interval = StaticIntervalGenerator(0)

    def execute(self, data, parent_data):
        copy_inputs_to_outputs(data)
        return True

    def schedule(self, data, parent_data, callback_data=None):
        self.finish_schedule()
        return True

    def outputs_format(self):
        return []


class DebugComponent(Component):
    name = "Debug node"
    code = "debug_node"
    bound_service = DebugService


class DebugNoScheduleService(Service):
    """Copies inputs to outputs, no schedule."""

    def execute(self, data, parent_data):
        copy_inputs_to_outputs(data)
        return True


class DebugNoScheduleComponent(Component):
    name = "Debug node without schedule"
    code = "debug_no_schedule_node"
    bound_service = DebugNoScheduleService


class EmptyService(Service):
    """Does nothing and succeeds (the latency floor of one activity)."""

    def execute(self, data, parent_data):
        return True


class EmptyComponent(Component):
    name = "Empty node"
    code = "empty_node"
    bound_service = EmptyService
