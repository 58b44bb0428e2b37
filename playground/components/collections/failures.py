"""Failing components: ``fail_node`` returns False with a message, ``raise_node`` raises."""

from pipeline.component_framework.component import Component
from pipeline.core.flow.activity import Service

__group_name__ = "Failures"


class FailService(Service):
    """Fails with ``ex_data`` = the ``message`` input."""

    def execute(self, data, parent_data):
        data.set_outputs("ex_data", data.get_one_of_inputs("message", "fail_node always fails"))
        return False


class FailComponent(Component):
    name = "Failing node"
    code = "fail_node"
    bound_service = FailService


class PlaygroundError(RuntimeError):
    """Raised by ``raise_node``."""


class RaiseService(Service):
    """Raises ``PlaygroundError(message)``: the node fails and ``ex_data`` holds the traceback."""

    def execute(self, data, parent_data):
        raise PlaygroundError(data.get_one_of_inputs("message", "raise_node always raises"))


class RaiseComponent(Component):
    name = "Raising node"
    code = "raise_node"
    bound_service = RaiseService
