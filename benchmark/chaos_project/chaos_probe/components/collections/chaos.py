"""``chaos_node``: the reference workload's activity with an ``execute`` probe.

Behaves like the benchmark's ``debug_node`` (execute copies the inputs to the outputs, a POLL with a 0 s
interval finishes on its first call), and records every ``execute`` call with the node's id and state
version (:func:`chaos_probe.probes.record_execute`).
"""

from pipeline.component_framework.component import Component
from pipeline.core.flow.activity import Service, StaticIntervalGenerator


class ChaosService(Service):
    __need_schedule__ = True
    interval = StaticIntervalGenerator(0)

    def execute(self, data, parent_data):
        from chaos_probe.probes import record_execute

        record_execute(getattr(self, "id", ""), getattr(self, "version", ""))
        for key, value in data.get_inputs().items():
            data.set_outputs(key, value)
        return True

    def schedule(self, data, parent_data, callback_data=None):
        self.finish_schedule()
        return True

    def outputs_format(self):
        return []


class ChaosComponent(Component):
    name = "Chaos node"
    code = "chaos_node"
    bound_service = ChaosService
