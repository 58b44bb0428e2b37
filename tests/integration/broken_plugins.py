"""Components whose bugs are outside their own ``execute``/``schedule`` call, for the integration tests.

Imported by every integration worker (through ``tests.integration.worker_plugins``) and by the tests
that run them (``api.run`` checks the component is registered). Registered at import by the component
metaclass.
"""

from pipeline.component_framework.component import Component
from pipeline.core.flow.activity import DefaultIntervalGenerator, Service


class _BrokenInterval(DefaultIntervalGenerator):
    def next(self):
        super().next()
        raise RuntimeError("interval generator exploded")


class IntervalBreaksService(Service):
    """Executes fine, then its first poll cannot be scheduled: the worker's own code raises."""

    __need_schedule__ = True
    interval = _BrokenInterval()

    def execute(self, data, parent_data):
        data.set_outputs("executed", True)
        return True

    def schedule(self, data, parent_data, callback_data=None):
        self.finish_schedule()
        return True


class IntervalBreaksComponent(Component):
    name = "interval breaks"
    code = "it_interval_breaks"
    bound_service = IntervalBreaksService
