"""``slow_node``: a stuck remote call, for node timeouts (docs/node-timeout.md).

Its execute sleeps ``seconds`` (default 30) before it returns: with a ``timeout_config`` shorter than that
the node is failed while the call is still in flight, and the late result changes nothing.
"""

import time

from pipeline.component_framework.component import Component
from pipeline.core.flow.activity import Service
from pipeline.core.flow.io import FloatItemSchema

__group_name__ = "Timers"


class SlowService(Service):
    def inputs_format(self):
        schema = FloatItemSchema("seconds to sleep")
        return [self.InputItem(name="Seconds", key="seconds", type="float", schema=schema)]

    def execute(self, data, parent_data):
        seconds = data.get_one_of_inputs("seconds", 30)
        if not isinstance(seconds, int | float) or isinstance(seconds, bool) or seconds < 0:
            data.set_outputs("ex_data", f"seconds must be a non-negative number, got {seconds!r}")
            return False
        self.logger.info("slow_node: calling the remote side, answer in %s s", seconds)
        time.sleep(seconds)
        self.logger.info("slow_node: the remote side answered")
        data.set_outputs("slept", seconds)
        return True


class SlowComponent(Component):
    name = "Slow call"
    code = "slow_node"
    bound_service = SlowService
