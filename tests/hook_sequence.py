"""One run that touches every kind of hook, and the sequence upstream emits for it.

The tree is ``start → A (POLL, done on its 2nd poll) → B (CALLBACK) → C (POLL whose 1st schedule returns
False, whose 2nd raises) → end``; the steps are: run, pause + resume the pipeline while B waits, the
callback of B (C then fails), ``retry_node(C)`` (C's schedule raises), ``skip_node(C)`` (the run ends).

Every service has ``__need_run_hook__`` and records each of its hook calls; a :class:`Recorder` records
the engine's hook events (and, on Django, the runtime's signals) in the order they happen, with node ids
replaced by the names above. ``tests/data/upstream_hook_sequence.json`` is that recording made with
upstream bamboo-pipeline 4.0.6 (``BambooDjangoRuntime`` on SQLite, ``ENABLE_PIPELINE_EVENT_SIGNALS``
on, messages delivered one at a time in the order they were sent).
"""

import json
import os
from typing import Any, Callable, Dict, List

from bamboo_engine import api
from bamboo_engine.builder import EmptyEndEvent, EmptyStartEvent, ServiceActivity, build_tree
from bamboo_engine.plugin import Service, StaticIntervalGenerator

UPSTREAM_SEQUENCE = os.path.join(os.path.dirname(__file__), "data", "upstream_hook_sequence.json")

PLAIN_HOOKS = (
    "pre_resume_node",
    "post_resume_node",
    "pre_pause_node",
    "post_pause_node",
    "pre_retry_node",
    "post_retry_node",
    "pre_skip_node",
    "post_skip_node",
    "pre_forced_fail_activity",
    "post_forced_fail_activity",
    "node_execute_fail",
    "node_execute_exception",
    "node_enter",
    "node_finish",
    "pre_execute",
    "post_execute",
    "pre_schedule",
    "post_schedule",
)
# Hooks whose default signature takes ``callback_data=None``.
CALLBACK_HOOKS = ("pre_callback", "post_callback", "node_schedule_fail", "node_schedule_exception")
# Values the recording replaces by a placeholder (random ids, tracebacks, whole trees).
_OPAQUE = ("pipeline", "root_pipeline_data", "root_pipeline_context", "subprocess_context")
_VERSIONS = ("version", "old_version", "new_version")


def upstream_sequence() -> List[list]:
    with open(UPSTREAM_SEQUENCE) as stream:
        return json.load(stream)


class Recorder:
    """The ordered record of one run: ``[kind, ...]`` lists as in the upstream recording."""

    def __init__(self) -> None:
        self.events: List[list] = []
        self.labels: Dict[str, str] = {}

    def norm(self, value: Any, key: Any = None) -> Any:
        if key in _OPAQUE:
            return f"<{type(value).__name__}>"
        if key == "ex_data":
            return "<ex_data>"
        if key in _VERSIONS:
            return "<version>"
        if isinstance(value, dict):
            return {k: self.norm(v, k) for k, v in sorted(value.items())}
        if isinstance(value, list | tuple):
            return [self.norm(v) for v in value]
        if isinstance(value, str):
            return self.labels.get(value, value)
        return value

    def hook_event(self, sender_name: str, event_type: str, data: dict) -> None:
        self.events.append(["pipeline_event", sender_name, event_type, self.norm(data)])

    def service_hook(self, service: Any, name: str, callback_data: Any = None, takes_callback=False) -> None:
        entry: list = ["hook", type(service).__name__, name, None]
        if takes_callback:
            entry[3] = type(callback_data).__name__ if callback_data is not None else None
            entry.append(getattr(callback_data, "data", callback_data))
        self.events.append(entry)

    def step(self, name: str, result: Any = None) -> None:
        self.events.append(["step", name, None if result is None else bool(result.result)])


def make_services(recorder: Recorder) -> Dict[str, type]:
    """The scenario's services, each recording its hook calls into ``recorder``."""

    def plain(name: str) -> Callable:
        def hook(self, data, parent_data):
            recorder.service_hook(self, name)
            return True

        return hook

    def with_callback(name: str) -> Callable:
        def hook(self, data, parent_data, callback_data=None):
            recorder.service_hook(self, name, callback_data, takes_callback=True)
            return True

        return hook

    namespace: Dict[str, Any] = {"__need_run_hook__": True}
    namespace.update({name: plain(name) for name in PLAIN_HOOKS})
    namespace.update({name: with_callback(name) for name in CALLBACK_HOOKS})
    hooked = type("Hooked", (Service,), namespace)
    schedule_calls = []

    class Poll(hooked):  # type: ignore[misc, valid-type]
        __need_schedule__ = True
        interval = StaticIntervalGenerator(0)

        def execute(self, data, parent_data):
            return True

        def schedule(self, data, parent_data, callback_data=None):
            polls = (data.get_one_of_outputs("n") or 0) + 1
            data.set_outputs("n", polls)
            if polls >= 2:
                self.finish_schedule()
            return True

    class Callback(hooked):  # type: ignore[misc, valid-type]
        __need_schedule__ = True

        def execute(self, data, parent_data):
            return True

        def schedule(self, data, parent_data, callback_data=None):
            data.set_outputs("got", callback_data)
            return True

    class Failing(hooked):  # type: ignore[misc, valid-type]
        __need_schedule__ = True
        interval = StaticIntervalGenerator(0)

        def execute(self, data, parent_data):
            return True

        def schedule(self, data, parent_data, callback_data=None):
            schedule_calls.append(1)
            if len(schedule_calls) == 1:
                return False
            raise RuntimeError("schedule broke")

    return {"Poll": Poll, "Callback": Callback, "Failing": Failing}


def run_scenario(runtime: Any, pump: Callable[[], None], recorder: Recorder) -> None:
    """Build the tree, run every step on ``runtime`` (``pump`` delivers what was sent) and record."""
    start, end = EmptyStartEvent(), EmptyEndEvent()
    a, b, c = (ServiceActivity(component_code=code) for code in ("Poll", "Callback", "Failing"))
    start.extend(a).extend(b).extend(c).extend(end)
    tree = build_tree(start)
    names = {tree["id"]: "pipeline", start.id: "start", a.id: "A", b.id: "B", c.id: "C", end.id: "end"}
    recorder.labels.update(names)

    recorder.step("run_pipeline", api.run_pipeline(runtime=runtime, pipeline=tree))
    pump()
    recorder.step("pause_pipeline", api.pause_pipeline(runtime, tree["id"]))
    recorder.step("resume_pipeline", api.resume_pipeline(runtime, tree["id"]))
    pump()
    version = runtime.get_state(b.id).version
    recorder.step("callback", api.callback(runtime, b.id, version, {"ok": 1}))
    pump()
    recorder.step("retry_node", api.retry_node(runtime, c.id))
    pump()
    recorder.step("skip_node", api.skip_node(runtime, c.id))
    pump()
    recorder.step("final")
    recorder.events.append(["final_state", runtime.get_state(tree["id"]).name])


def expected_sequence() -> List[list]:
    """Upstream's recording with this project's deliberate differences applied (each one explained).

    * ``post_set_state``'s ``loop`` is the node's loop count (1 throughout this run); upstream sends the
      ``loop`` argument of ``set_state``, which is -1 ("unchanged") for most transitions.
    * B's ``node_finish`` hook runs after its callback finished the schedule; upstream calls it with
      the callback data, which ``node_finish(self, data, parent_data)`` cannot take, and skips it silently.
    """
    expected: List[list] = []
    for entry in upstream_sequence():
        if entry[0] == "post_set_state" and entry[-1] == -1:
            entry = [*entry[:-1], 1]
        expected.append(entry)
        if entry == [
            "pipeline_event",
            "HooksMixin",
            "node_finish",
            {"node_id": "B", "root_pipeline_id": "pipeline"},
        ]:
            expected.append(["hook", "Callback", "node_finish", None])
    return expected
