"""Plain plugins: a no-op, a datetime timer, a callback, a multi-callback."""

from datetime import datetime, timedelta

from pipeline.component_framework.component import Component
from pipeline.core.flow.activity import Service, StaticIntervalGenerator

__group_name__ = "Compat basics"


class NoopService(Service):
    def execute(self, data, parent_data):
        return True


class NoopComponent(Component):
    name = "No-op"
    code = "compat_noop"
    bound_service = NoopService


class TimerService(Service):
    """Waits ``seconds``: stores its deadline as a ``datetime`` and compares it on every poll."""

    __need_schedule__ = True
    interval = StaticIntervalGenerator(0.5)

    def execute(self, data, parent_data):
        seconds = data.get_one_of_inputs("seconds", 1)
        data.set_outputs("eta", datetime.now() + timedelta(seconds=seconds))
        data.set_outputs("polls", 0)
        return True

    def schedule(self, data, parent_data, callback_data=None):
        data.set_outputs("polls", data.get_one_of_outputs("polls") + 1)
        if datetime.now() >= data.get_one_of_outputs("eta"):
            self.finish_schedule()
        return True


class TimerComponent(Component):
    name = "Timer"
    code = "compat_timer"
    bound_service = TimerService


class CallbackService(Service):
    """Logs, then waits for callbacks: ``{"ok": false}`` fails it, ``{"done": true}`` finishes it.

    In a pipeline a callback service is done after its first successful callback; run alone through
    ``pipeline.contrib.plugin_execute`` it stays RUNNING until it calls ``finish_schedule()``.
    """

    __need_schedule__ = True

    def execute(self, data, parent_data):
        self.logger.info("compat_callback %s waits for its callback", self.id)
        return True

    def schedule(self, data, parent_data, callback_data=None):
        callback_data = callback_data or {}
        data.set_outputs("callbacks", data.get_one_of_outputs("callbacks", []) + [callback_data])
        if not callback_data.get("ok", True):
            data.set_outputs("ex_data", "the callback reported a failure")
            return False
        if callback_data.get("done"):
            self.finish_schedule()
        return True


class CallbackComponent(Component):
    name = "Callback"
    code = "compat_callback"
    bound_service = CallbackService


class MultiCallbackService(Service):
    """Collects callbacks: ``{"fail": true}`` fails the node, ``{"done": true}`` finishes it."""

    __need_schedule__ = True
    __multi_callback_enabled__ = True

    def execute(self, data, parent_data):
        data.set_outputs("callbacks", [])
        return True

    def schedule(self, data, parent_data, callback_data=None):
        callback_data = callback_data or {}
        data.set_outputs("callbacks", data.get_one_of_outputs("callbacks", []) + [callback_data])
        if callback_data.get("fail"):
            data.set_outputs("ex_data", "the first callback failed the node")
            return False
        if callback_data.get("done"):
            self.finish_schedule()
        return True


class MultiCallbackComponent(Component):
    name = "Multi-callback"
    code = "compat_multi_callback"
    bound_service = MultiCallbackService
