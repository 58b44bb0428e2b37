"""Callback components: ``callback_node`` (one callback) and ``multi_callback_node`` (several)."""

from pipeline.component_framework.component import Component
from pipeline.core.flow.activity import Service
from pipeline.core.flow.io import IntItemSchema

__group_name__ = "Callbacks"


class CallbackService(Service):
    """Waits for one ``api.callback``; ``{"ok": false, "message": ...}`` fails the node."""

    __need_schedule__ = True

    def execute(self, data, parent_data):
        return True

    def schedule(self, data, parent_data, callback_data=None):
        callback_data = callback_data or {}
        if not callback_data.get("ok", True):
            data.set_outputs("ex_data", callback_data.get("message", "callback reported a failure"))
            return False
        data.set_outputs("callback_data", callback_data)
        # A pipeline finishes a callback node after its one callback anyway; plugin_execute waits for this.
        self.finish_schedule()
        return True


class CallbackComponent(Component):
    name = "Callback node"
    code = "callback_node"
    bound_service = CallbackService


class MultiCallbackService(Service):
    """Collects callbacks into ``callbacks``; finished after ``callbacks_needed`` (default 2) of them."""

    __need_schedule__ = True
    __multi_callback_enabled__ = True

    def inputs_format(self):
        return [
            self.InputItem(
                name="Callbacks needed",
                key="callbacks_needed",
                type="int",
                required=False,
                schema=IntItemSchema("callbacks before the node finishes"),
            )
        ]

    def execute(self, data, parent_data):
        data.set_outputs("callbacks", [])
        return True

    def schedule(self, data, parent_data, callback_data=None):
        received = list(data.get_one_of_outputs("callbacks", [])) + [callback_data]
        data.set_outputs("callbacks", received)
        if len(received) >= data.get_one_of_inputs("callbacks_needed", 2):
            self.finish_schedule()
        return True


class MultiCallbackComponent(Component):
    name = "Multiple callback node"
    code = "multi_callback_node"
    bound_service = MultiCallbackService
