"""Plugin-style services, end events and variables used by the contract suite.

Everything here is written against ``bamboo_engine.plugin`` (the pure-Python twin of
``pipeline.core.flow``), so the same classes can be registered in any runtime. Services report what
happened through their outputs only: worker-backed runtimes run them in other processes, where a
module-level record would be invisible to the test.
"""

import datetime
import json
import os
import uuid
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Dict, List, Tuple
from zoneinfo import ZoneInfo

from bamboo_engine.plugin import ExecutableEndEvent, LazyVariable, Service, StaticIntervalGenerator

if TYPE_CHECKING:  # pragma: no cover
    from tests.contract.harness import Harness

FAIL_MESSAGE = "fail_node failed on purpose"
FLAKY_MESSAGE = "flaky_node failed"
RAISE_MESSAGE = "raise_node exploded on purpose"
END_EVENT_RAISE_MESSAGE = "end event exploded on purpose"
VARIABLE_RAISE_MESSAGE = "variable exploded on purpose"
UNREGISTERED_VARIABLE = "contract_unregistered_var"


def _copy_inputs(data: Any) -> None:
    for key, value in data.inputs.items():
        data.set_outputs(key, value)


class DebugService(Service):
    """The benchmark ``debug_node``: POLL every 0 s, copies inputs, finishes on the first poll."""

    __need_schedule__ = True
    interval = StaticIntervalGenerator(0)

    def execute(self, data, parent_data):
        _copy_inputs(data)
        return True

    def schedule(self, data, parent_data, callback_data=None):
        self.finish_schedule()
        return True

    def outputs_format(self):
        return []


class EmptyService(Service):
    """``empty_node``: no schedule, does nothing, succeeds."""

    def execute(self, data, parent_data):
        return True


class CopyService(Service):
    """Copies inputs to outputs without scheduling; also exposes ``parent_data`` under ``parent_*``."""

    def execute(self, data, parent_data):
        _copy_inputs(data)
        for key, value in parent_data.inputs.items():
            data.set_outputs(f"parent_{key}", value)
        return True


class CopyV2Service(Service):
    """Version ``v2`` of ``copy_node``: copies inputs and tags the outputs with its version."""

    def execute(self, data, parent_data):
        _copy_inputs(data)
        data.set_outputs("version", "v2")
        return True


class FailService(Service):
    """Fails (returns False, writes ``ex_data``) unless input ``should_fail`` is falsy.

    Loop tests use input ``fail_at``: only the iteration whose ``_inner_loop`` equals it fails.
    """

    def execute(self, data, parent_data):
        _copy_inputs(data)
        fail_at = data.get_one_of_inputs("fail_at")
        if fail_at is not None:
            should_fail = int(fail_at) == int(data.get_one_of_inputs("_inner_loop"))
        else:
            should_fail = bool(data.get_one_of_inputs("should_fail", True))
        if should_fail:
            data.set_outputs("ex_data", FAIL_MESSAGE)
            return False
        return True


class RaiseService(Service):
    """Raises from ``execute``."""

    def execute(self, data, parent_data):
        raise RuntimeError(RAISE_MESSAGE)


class CallbackService(Service):
    """CALLBACK mode: one callback finishes it; callback data is copied to the outputs.

    A callback carrying ``{"ok": False}`` makes the schedule fail.
    """

    __need_schedule__ = True

    def execute(self, data, parent_data):
        _copy_inputs(data)
        return True

    def schedule(self, data, parent_data, callback_data=None):
        callback_data = callback_data or {}
        for key, value in callback_data.items():
            data.set_outputs(key, value)
        if callback_data.get("ok", True) is False:
            data.set_outputs("ex_data", FAIL_MESSAGE)
            return False
        return True


class MultiCallbackService(Service):
    """MULTIPLE_CALLBACK mode: collects ``callback_data["n"]`` and finishes after ``expected`` callbacks.

    A callback carrying ``{"ok": False}`` makes the schedule fail.
    """

    __need_schedule__ = True
    __multi_callback_enabled__ = True

    def execute(self, data, parent_data):
        data.set_outputs("received", [])
        return True

    def schedule(self, data, parent_data, callback_data=None):
        received = list(data.get_one_of_outputs("received", []) or [])
        received.append((callback_data or {}).get("n"))
        data.set_outputs("received", received)
        if (callback_data or {}).get("ok", True) is False:
            data.set_outputs("ex_data", FAIL_MESSAGE)
            return False
        if len(received) >= int(data.get_one_of_inputs("expected", 2)):
            self.finish_schedule()
        return True


def _count_call(data: Any, what: str) -> None:
    """Append ``what`` to the file named by input ``count_file``: a record any process can write."""
    with open(data.get_one_of_inputs("count_file"), "a") as count_file:
        count_file.write(f"{what}\n")


class CountingService(Service):
    """Records each ``execute`` call in the file of input ``count_file`` (the node runs in any process)."""

    def execute(self, data, parent_data):
        _count_call(data, "execute")
        data.set_outputs("counted", True)
        return True


class CountingCallbackService(Service):
    """CALLBACK mode; records each ``execute`` and ``schedule`` call in the file of input ``count_file``."""

    __need_schedule__ = True

    def execute(self, data, parent_data):
        _count_call(data, "execute")
        return True

    def schedule(self, data, parent_data, callback_data=None):
        _count_call(data, "schedule")
        data.set_outputs("called_back", (callback_data or {}).get("n"))
        return True


class PollService(Service):
    """POLL every second; finishes after ``polls`` polls (default 3), counting them in ``count``.

    Input ``on_poll``: ``"fail"`` makes every poll return False, ``"raise"`` makes it raise.
    """

    __need_schedule__ = True
    interval = StaticIntervalGenerator(1)

    def execute(self, data, parent_data):
        data.set_outputs("count", 0)
        return True

    def schedule(self, data, parent_data, callback_data=None):
        count = int(data.get_one_of_outputs("count", 0) or 0) + 1
        data.set_outputs("count", count)
        on_poll = data.get_one_of_inputs("on_poll")
        if on_poll == "raise":
            raise RuntimeError(RAISE_MESSAGE)
        if on_poll == "fail":
            data.set_outputs("ex_data", FAIL_MESSAGE)
            return False
        if count >= int(data.get_one_of_inputs("polls", 3)):
            self.finish_schedule()
        return True


class PollForeverService(Service):
    """POLL every second and never finish (a node to force-fail)."""

    __need_schedule__ = True
    interval = StaticIntervalGenerator(1)

    def execute(self, data, parent_data):
        return True

    def schedule(self, data, parent_data, callback_data=None):
        data.set_outputs("polled", True)
        return True


def _mark_hook(name: str):
    def hook(self, data, parent_data, callback_data=None):
        data.set_outputs(f"hook_{name}", True)
        return True

    hook.__name__ = name
    return hook


class HookRecordingService(Service):
    """Runs hooks; each main-flow hook marks ``hook_<name>`` in the outputs (those outputs are saved).

    Input ``mode``: ``"ok"`` (default) succeeds, ``"fail"`` returns False, ``"raise"`` raises.
    """

    __need_run_hook__ = True

    def execute(self, data, parent_data):
        data.set_outputs("executed", True)
        mode = data.get_one_of_inputs("mode", "ok")
        if mode == "raise":
            raise RuntimeError(RAISE_MESSAGE)
        if mode == "fail":
            data.set_outputs("ex_data", FAIL_MESSAGE)
            return False
        return True

    node_enter = _mark_hook("node_enter")
    pre_execute = _mark_hook("pre_execute")
    post_execute = _mark_hook("post_execute")
    node_finish = _mark_hook("node_finish")
    node_execute_fail = _mark_hook("node_execute_fail")
    node_execute_exception = _mark_hook("node_execute_exception")
    pre_schedule = _mark_hook("pre_schedule")
    post_schedule = _mark_hook("post_schedule")


class HookPollService(HookRecordingService):
    """A hook-recording POLL service (0 s interval) finishing on its first poll."""

    __need_schedule__ = True
    interval = StaticIntervalGenerator(0)

    def schedule(self, data, parent_data, callback_data=None):
        data.set_outputs("scheduled", True)
        self.finish_schedule()
        return True


def plugin_values() -> Dict[str, Any]:
    """One value of every kind plugins commonly store beyond plain JSON (and a tag look-alike)."""
    return {
        "naive": datetime.datetime(2024, 5, 1, 10, 0, 0, 123456),
        "aware": datetime.datetime(
            2024, 5, 1, 10, 0, 0, 5, tzinfo=datetime.timezone(datetime.timedelta(hours=-3))
        ),
        "zoned": datetime.datetime(2024, 5, 1, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")),
        "day": datetime.date(2024, 5, 1),
        "at": datetime.time(23, 59, 59, 999999),
        "span": datetime.timedelta(days=-1, seconds=30),
        "amount": Decimal("12.50"),
        "uid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "tags": {"a", "b"},
        "frozen": frozenset({1, 2}),
        "pair": (1, ("x", 2.5)),
        "raw": b"\x00\xff",
        "nested": {"items": [{"when": datetime.date(2024, 1, 1)}, [datetime.timedelta(seconds=1)]]},
        "lookalike": {"$datetime": "not a tag"},
    }


def same_value(got: Any, expected: Any) -> bool:
    """Equal, of the same type, and (datetimes, times) in the same zone."""
    if type(got) is not type(expected) or got != expected:
        return False
    return getattr(got, "tzinfo", None) == getattr(expected, "tzinfo", None)


class DueTimeService(Service):
    """A timer as plugins write them: stores ``due = datetime.now()`` and compares it on the next poll.

    It also stores :func:`plugin_values` and fails the poll (``ex_data`` naming the key) when one of
    them comes back different.
    """

    __need_schedule__ = True
    interval = StaticIntervalGenerator(0)

    def execute(self, data, parent_data):
        data.outputs.update(plugin_values())
        data.set_outputs("due", datetime.datetime.now())
        return True

    def schedule(self, data, parent_data, callback_data=None):
        changed = [k for k, v in plugin_values().items() if not same_value(data.get_one_of_outputs(k), v)]
        if changed:
            data.set_outputs("ex_data", f"came back different: {changed}")
            return False
        if datetime.datetime.now() >= data.get_one_of_outputs("due"):  # TypeError if due were a str
            self.finish_schedule()
        return True


class FlakyService(Service):
    """Fails its first attempts, by the engine's ``_attempt`` input (retry_policy tests).

    Inputs: ``succeed_at`` (the attempt that succeeds; none: never), ``mode`` (``"fail"``: return False,
    ``"raise"``: raise). Outputs the attempt it saw as ``seen_attempt``.
    """

    def execute(self, data, parent_data):
        attempt = data.get_one_of_inputs("_attempt")
        data.set_outputs("seen_attempt", attempt)
        succeed_at = data.get_one_of_inputs("succeed_at")
        if succeed_at is not None and attempt >= succeed_at:
            return True
        if data.get_one_of_inputs("mode", "fail") == "raise":
            raise RuntimeError(f"{FLAKY_MESSAGE} at attempt {attempt}")
        data.set_outputs("ex_data", f"{FLAKY_MESSAGE} at attempt {attempt}")
        return False


class OpaqueHandle:
    """An object no runtime stores (pickle off)."""


class UnstorableService(Service):
    """Stores an object deep in an output, next to storable outputs."""

    def execute(self, data, parent_data):
        data.set_outputs("kept", datetime.date(2024, 5, 1))
        data.set_outputs("result", {"items": [1, 2, OpaqueHandle()]})
        return True


class UnstorablePollService(Service):
    """Polls once and stores a lambda from ``schedule``."""

    __need_schedule__ = True
    interval = StaticIntervalGenerator(0)

    def execute(self, data, parent_data):
        data.set_outputs("polls", 0)
        return True

    def schedule(self, data, parent_data, callback_data=None):
        data.set_outputs("polls", 1)
        data.set_outputs("on_done", lambda: None)
        return True


ROLLBACK_RAISE_MESSAGE = "rollback exploded on purpose"


def ledger_lines(path: str) -> List[Dict[str, Any]]:
    """The events the undo services appended to ``path`` (see :class:`UndoService`), in order."""
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as ledger:
        return [json.loads(line) for line in ledger if line.strip()]


def _append_event(path: str, event: Dict[str, Any]) -> None:
    # One short O_APPEND write per event: lines of concurrent workers never interleave.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        os.write(descriptor, (json.dumps(event, sort_keys=True) + "\n").encode())
    finally:
        os.close(descriptor)


class UndoService(Service):
    """A step that can undo itself, reporting both to the file named by input ``ledger``.

    ``execute`` appends ``{"event": "execute", "name": ...}`` and outputs ``made = "<name>-made"``;
    ``rollback`` appends ``{"event": "rollback", "name", "outputs", "parent", "rollback_data"}`` (what it
    was given). Worker-backed runtimes run it in other processes: the file is how a test sees its calls.

    Inputs: ``fail`` (``"always"``; ``"until_rollback"``: while the ledger holds no rollback;
    ``"first_run"``: only the node's first execute);
    ``rollback_fails`` (``"raise"`` or ``"false"``) unless the retry's ``rollback_data`` is
    ``{"fixed": True}``.
    """

    def execute(self, data, parent_data):
        name, ledger = data.get_one_of_inputs("name"), data.get_one_of_inputs("ledger")
        _append_event(ledger, {"event": "execute", "name": name})
        data.set_outputs("made", f"{name}-made")
        fail, events = data.get_one_of_inputs("fail"), ledger_lines(ledger)
        rolled_back = any(line["event"] == "rollback" for line in events)
        # Counted, not compared with the last line: a parallel branch may append between the two.
        first_run = events.count({"event": "execute", "name": name}) == 1
        if (
            fail == "always"
            or (fail == "until_rollback" and not rolled_back)
            or (fail == "first_run" and first_run)
        ):
            data.set_outputs("ex_data", f"{name} failed on purpose")
            return False
        return True

    def rollback(self, data, parent_data, rollback_data=None):
        name = data.get_one_of_inputs("name")
        event = {
            "event": "rollback",
            "name": name,
            "outputs": {k: v for k, v in data.outputs.items() if not k.startswith("_")},
            "parent": dict(parent_data.inputs),
            "rollback_data": rollback_data,
        }
        _append_event(data.get_one_of_inputs("ledger"), event)
        how = data.get_one_of_inputs("rollback_fails")
        if how and rollback_data != {"fixed": True}:
            if how == "raise":
                raise RuntimeError(ROLLBACK_RAISE_MESSAGE)
            return False
        return True


class UndoCallbackService(UndoService):
    """:class:`UndoService` that waits for one callback after ``execute`` (stays RUNNING until then)."""

    __need_schedule__ = True

    def schedule(self, data, parent_data, callback_data=None):
        self.finish_schedule()
        return True


class PassingEndEvent(ExecutableEndEvent):
    """An executable end event that succeeds."""

    def execute(self, in_subprocess, root_pipeline_id, current_pipeline_id):
        return None


class RaisingEndEvent(ExecutableEndEvent):
    """An executable end event that raises."""

    def execute(self, in_subprocess, root_pipeline_id, current_pipeline_id):
        raise RuntimeError(END_EVENT_RAISE_MESSAGE)


class UpperVariable(LazyVariable):
    """Lazy variable: the rendered value upper-cased, suffixed with ``@<operator>`` from pipeline data."""

    code = "contract_upper_var"
    name = "upper"

    def get_value(self):
        operator = (self.pipeline_data or {}).get("operator", "")
        return f"{str(self.value).upper()}@{operator}"


class RaisingVariable(LazyVariable):
    """Lazy variable whose ``get_value`` raises a generic error (the node needing it fails)."""

    code = "contract_raising_var"
    name = "raising"

    def get_value(self):
        raise RuntimeError(VARIABLE_RAISE_MESSAGE)


SERVICES: Dict[str, type] = {
    "debug_node": DebugService,
    "empty_node": EmptyService,
    "copy_node": CopyService,
    "fail_node": FailService,
    "raise_node": RaiseService,
    "callback_node": CallbackService,
    "multi_callback_node": MultiCallbackService,
    "poll_node": PollService,
    "poll_forever_node": PollForeverService,
    "hook_node": HookRecordingService,
    "hook_poll_node": HookPollService,
    "counting_node": CountingService,
    "counting_callback_node": CountingCallbackService,
    "due_time_node": DueTimeService,
    "unstorable_node": UnstorableService,
    "unstorable_poll_node": UnstorablePollService,
    "undo_node": UndoService,
    "undo_callback_node": UndoCallbackService,
    "flaky_node": FlakyService,
}
#: A second version of a code, to check that ``component.version`` selects the implementation.
VERSIONED_SERVICES: Tuple[Tuple[str, str, type], ...] = (("copy_node", "v2", CopyV2Service),)
END_EVENTS: Dict[str, type] = {
    "contract_passing_end": PassingEndEvent,
    "contract_raising_end": RaisingEndEvent,
}
VARIABLES: Dict[str, type] = {UpperVariable.code: UpperVariable, RaisingVariable.code: RaisingVariable}


def register_all(harness: "Harness") -> None:
    """Register every plugin of the suite in ``harness``'s runtime."""
    for code, cls in SERVICES.items():
        harness.register_service(code, cls)
    for code, version, cls in VERSIONED_SERVICES:
        harness.register_service(code, cls, version=version)
    for code, cls in END_EVENTS.items():
        harness.register_end_event(code, cls)
    for code, cls in VARIABLES.items():
        harness.register_variable(code, cls)
