"""Components used by the plugin_execute tests (re-registered per test by the ``test_components`` fixture).

``HOOKS`` lets a test run code from inside a service call (e.g. a ``forced_fail`` while ``execute``
is still running), keyed by the hook name the service reads from its inputs.
"""

import datetime
from decimal import Decimal
from typing import Any, Callable, Dict

from pipeline.component_framework.component import Component
from pipeline.component_framework.library import ComponentLibrary
from pipeline.core.flow.activity import DefaultIntervalGenerator, Service

HOOKS: Dict[str, Callable[[Any], None]] = {}


def _run_hook(service: Any, data: Any, phase: str) -> None:
    name = data.get_one_of_inputs(phase)
    if name:
        HOOKS[name](service)


class EchoService(Service):
    """Copies inputs and contexts to outputs, and the runtime attributes it sees."""

    def execute(self, data, parent_data):
        _run_hook(self, data, "during_execute")
        data.set_outputs("echo", data.get_one_of_inputs("value"))
        data.set_outputs("context_value", parent_data.get_one_of_inputs("value"))
        data.set_outputs("service_id", self.id)
        data.set_outputs("service_version", self.version)
        data.set_outputs("owner", getattr(self, "owner", None))
        data.set_outputs("loop_input", data.get_one_of_inputs("_loop"))
        return data.get_one_of_inputs("succeed", True)


class ThreePollService(Service):
    """POLL with the default generator (1, 4, 9 s); finishes on the third poll."""

    __need_schedule__ = True
    interval = DefaultIntervalGenerator()

    def execute(self, data, parent_data):
        data.set_outputs("polls", 0)
        return True

    def schedule(self, data, parent_data, callback_data=None):
        _run_hook(self, data, "during_schedule")
        polls = data.get_one_of_outputs("polls") + 1
        data.set_outputs("polls", polls)
        if polls >= 3:
            self.finish_schedule()
        return data.get_one_of_inputs("fail_on_poll") != polls


class RaisingPollService(ThreePollService):
    def schedule(self, data, parent_data, callback_data=None):
        raise ValueError("poll exploded")


class BreaksAfter(DefaultIntervalGenerator):
    """An interval generator that raises once ``fine`` polls were scheduled (a plugin bug)."""

    def __init__(self, fine: int):
        super().__init__()
        self.fine = fine

    def next(self):
        if super().next() > self.fine**2:
            raise RuntimeError("interval generator exploded")
        return 0


class IntervalBreaksInExecute(ThreePollService):
    """Its first poll can not be scheduled: the execute task raises after the plugin succeeded."""

    interval = BreaksAfter(fine=0)


class IntervalBreaksInSchedule(ThreePollService):
    """Its second poll can not be scheduled: the first schedule round raises after the plugin ran."""

    interval = BreaksAfter(fine=1)


class DueTimeService(Service):
    """A timer as plugins write them: stores a datetime in execute and compares it on every poll."""

    __need_schedule__ = True
    interval = DefaultIntervalGenerator()

    def execute(self, data, parent_data):
        data.set_outputs("due", datetime.datetime.now() - datetime.timedelta(microseconds=1))
        data.set_outputs("budget", {"amount": Decimal("1.50"), "tags": {"a", "b"}})
        return True

    def schedule(self, data, parent_data, callback_data=None):
        due = data.get_one_of_outputs("due")
        if datetime.datetime.now() >= due:  # a TypeError here if due came back as a string
            self.finish_schedule()
        return True


class UnstorableService(Service):
    """Writes an output the codec can not store, next to one it can."""

    def execute(self, data, parent_data):
        data.set_outputs("kept", datetime.date(2024, 5, 1))
        data.set_outputs("handle", object())
        return True


class CallbackOnceService(Service):
    """Finishes with its first callback (it calls ``finish_schedule()``, as plugin_execute requires)."""

    __need_schedule__ = True

    def execute(self, data, parent_data):
        _run_hook(self, data, "during_execute")
        return True

    def schedule(self, data, parent_data, callback_data=None):
        data.set_outputs("received", callback_data)
        self.finish_schedule()
        return bool((callback_data or {}).get("ok", True))


class CallbackUntilDoneService(Service):
    """A callback service (not multi-callback) that finishes only with a callback saying ``done``."""

    __need_schedule__ = True

    def execute(self, data, parent_data):
        data.set_outputs("received", [])
        return True

    def schedule(self, data, parent_data, callback_data=None):
        data.set_outputs("received", list(data.get_one_of_outputs("received")) + [callback_data])
        if (callback_data or {}).get("done"):
            self.finish_schedule()
        return True


def _component(code: str, service_cls: type, version: str = "legacy") -> type:
    attrs = {
        "code": code,
        "name": code,
        "version": version,
        "bound_service": service_cls,
        "__module__": __name__,
    }
    return type(f"{code}_{version}_component", (Component,), attrs)


# Registered at import by the component metaclass; a second echo version checks that versions are honoured.
COMPONENTS = [
    _component("pe_echo", EchoService),
    _component("pe_echo", EchoService, version="v2"),
    _component("pe_three_polls", ThreePollService),
    _component("pe_raising_poll", RaisingPollService),
    _component("pe_interval_breaks_in_execute", IntervalBreaksInExecute),
    _component("pe_interval_breaks_in_schedule", IntervalBreaksInSchedule),
    _component("pe_due_time", DueTimeService),
    _component("pe_unstorable", UnstorableService),
    _component("pe_callback_once", CallbackOnceService),
    _component("pe_callback_until_done", CallbackUntilDoneService),
]


def register_all() -> None:
    """Register the test components again (a previous test may have cleared the library)."""
    for component_cls in COMPONENTS:
        ComponentLibrary.register_component(component_cls.code, component_cls.version, component_cls)
