"""Every node type survives an interrupt at every point of its run, ending exactly as without it.

For each scenario a dry run counts the boundaries of the run (see ``tests.unit.interrupt_faults``);
then the scenario runs once per boundary with an interrupt before it, and once more after it for writes
and units (the write went through, then the error came). Each run must end like the dry run: the same
states, execution data, context, schedule rows, processes and histories, and every plugin called as
often (a service whose result was recorded never runs again).
"""

import collections
import copy
import json
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional

import pytest

from bamboo_engine import api
from bamboo_engine.builder import (
    ConditionalParallelGateway,
    ConvergeGateway,
    Data,
    EmptyEndEvent,
    EmptyStartEvent,
    ExclusiveGateway,
    ExecutableEndEvent,
    NodeOutput,
    ParallelGateway,
    Params,
    RetryPolicy,
    ServiceActivity,
    SubProcess,
    Var,
    build_tree,
)
from bamboo_engine.plugin import ExecutableEndEvent as PluginEndEvent
from bamboo_engine.plugin import Service, StaticIntervalGenerator
from bamboo_engine.testing import InMemoryRuntime
from bamboo_engine.validator.api import add_sink_type
from tests.unit.interrupt_faults import FaultInjector

CALLS: collections.Counter = collections.Counter()


@pytest.fixture(autouse=True)
def _reset_calls():
    CALLS.clear()


class Copy(Service):
    """Copies its inputs to its outputs."""

    def execute(self, data, parent_data):
        CALLS[(self.id, "execute")] += 1
        for key, value in data.inputs.items():
            data.set_outputs(key, value)
        return True


class Fail(Service):
    def execute(self, data, parent_data):
        CALLS[(self.id, "execute")] += 1
        data.set_outputs("ex_data", "failed on purpose")
        return False


class FailsFirst(Service):
    """Fails its first attempt (``_attempt`` of its retry_policy), succeeds on the next."""

    def execute(self, data, parent_data):
        CALLS[(self.id, "execute", data.get_one_of_inputs("_attempt"))] += 1
        if data.get_one_of_inputs("_attempt") < 2:
            data.set_outputs("ex_data", "first attempt fails")
            return False
        return True


class Poll(Service):
    """Polls ``interval`` s apart and finishes on the second poll."""

    __need_schedule__ = True
    interval = StaticIntervalGenerator(0)

    def execute(self, data, parent_data):
        CALLS[(self.id, "execute")] += 1
        data.set_outputs("polls", 0)
        return True

    def schedule(self, data, parent_data, callback_data=None):
        CALLS[(self.id, "schedule")] += 1
        polls = data.get_one_of_outputs("polls") + 1
        data.set_outputs("polls", polls)
        if polls == 2:
            self.finish_schedule()
        return True


class DelayedPoll(Poll):
    interval = StaticIntervalGenerator(5)


class PollOnce(Poll):
    """Finishes on its first poll: run inline, the run is counted by the write that ends the schedule."""

    def schedule(self, data, parent_data, callback_data=None):
        CALLS[(self.id, "schedule")] += 1
        data.set_outputs("polls", 1)
        self.finish_schedule()
        return True


class Callback(Service):
    """One callback ends it; ``{"ok": False}`` fails it."""

    __need_schedule__ = True

    def execute(self, data, parent_data):
        CALLS[(self.id, "execute")] += 1
        return True

    def schedule(self, data, parent_data, callback_data=None):
        CALLS[(self.id, "schedule")] += 1
        data.set_outputs("got", callback_data)
        if callback_data.get("ok") is False:
            data.set_outputs("ex_data", "callback said no")
            return False
        return True


class MultiCallback(Service):
    """Finishes after two callbacks."""

    __need_schedule__ = True
    __multi_callback_enabled__ = True

    def execute(self, data, parent_data):
        CALLS[(self.id, "execute")] += 1
        data.set_outputs("seen", [])
        return True

    def schedule(self, data, parent_data, callback_data=None):
        CALLS[(self.id, "schedule")] += 1
        seen = data.get_one_of_outputs("seen") + [callback_data["n"]]
        data.set_outputs("seen", seen)
        if len(seen) == 2:
            self.finish_schedule()
        return True


class CountingEnd(PluginEndEvent):
    def execute(self, pipeline_stack, root_pipeline_id):
        CALLS[("end_event", "execute")] += 1


SERVICES = {
    "copy": Copy,
    "fail": Fail,
    "fails_first": FailsFirst,
    "poll": Poll,
    "delayed_poll": DelayedPoll,
    "poll_once": PollOnce,
    "callback": Callback,
    "multi_callback": MultiCallback,
}


def act(code: str, **inputs: Any) -> ServiceActivity:
    node = ServiceActivity(component_code=code)
    for key, value in inputs.items():
        setattr(node.component.inputs, key, value if isinstance(value, Var) else Var(Var.PLAIN, value))
    return node


def constants(**values: Any) -> Data:
    data = Data()
    for key, value in values.items():
        data.inputs["${" + key + "}"] = Var(type=Var.PLAIN, value=value)
    return data


# -- scenarios ---------------------------------------------------------------------------------------


@dataclass
class Scenario:
    """A tree plus what the test does between steps (callbacks) once the first messages ran."""

    tree: dict
    drive: Optional[Callable[[InMemoryRuntime], None]] = None


def linear() -> Scenario:
    """Start event with pre-render keys → activity rendering a template → end publishing outputs."""
    first = act("copy", text=Var(Var.SPLICE, "hello ${name}"))
    start = EmptyStartEvent()
    start.extend(first).extend(EmptyEndEvent())
    data = constants(name="world")
    data.inputs["${frozen}"] = Var(type=Var.SPLICE, value="${name}!")
    data.pre_render_keys = ["${frozen}"]
    data.inputs["${said}"] = NodeOutput(source_act=first.id, source_key="text", type=Var.PLAIN)
    data.outputs = ["${said}", "${frozen}"]
    return Scenario(build_tree(start, data=data))


def exclusive() -> Scenario:
    start, cg = EmptyStartEvent(), ConvergeGateway()
    eg = ExclusiveGateway(conditions={0: "${n} > 1", 1: "${n} < 1"})
    start.extend(eg).connect(act("copy", branch="a"), act("copy", branch="b")).converge(cg).extend(
        EmptyEndEvent()
    )
    return Scenario(build_tree(start, data=constants(n=2)))


def parallel() -> Scenario:
    start, pg, cg = EmptyStartEvent(), ParallelGateway(), ConvergeGateway()
    start.extend(pg).connect(act("copy", branch="a"), act("copy", branch="b")).converge(cg).extend(
        EmptyEndEvent()
    )
    return Scenario(build_tree(start))


def conditional_parallel() -> Scenario:
    start, cg = EmptyStartEvent(), ConvergeGateway()
    cpg = ConditionalParallelGateway(conditions={0: "${n} > 1", 1: "${n} > 0", 2: "${n} < 0"})
    branches = [act("copy", branch=name) for name in "abc"]
    start.extend(cpg).connect(*branches).converge(cg).extend(EmptyEndEvent())
    return Scenario(build_tree(start, data=constants(n=2)))


def subprocess() -> Scenario:
    inner = act("copy", seen=Var(Var.SPLICE, "${p}"))
    sub_start = EmptyStartEvent()
    sub_start.extend(inner).extend(EmptyEndEvent())
    sub_data = constants(p="default")
    sub_data.inputs["${inner_out}"] = NodeOutput(source_act=inner.id, source_key="seen", type=Var.PLAIN)
    sub_data.outputs = ["${inner_out}"]
    sub = SubProcess(
        start=sub_start, data=sub_data, params=Params({"${p}": Var(type=Var.SPLICE, value="${x}-given")})
    )
    after = act("copy", from_sub=Var(Var.SPLICE, "${from_sub}"))
    start = EmptyStartEvent()
    start.extend(sub).extend(after).extend(EmptyEndEvent())
    data = constants(x="x")
    data.inputs["${from_sub}"] = NodeOutput(source_act=sub.id, source_key="${inner_out}", type=Var.PLAIN)
    return Scenario(build_tree(start, data=data))


def executable_end() -> Scenario:
    start = EmptyStartEvent()
    start.extend(act("copy", v=1)).extend(ExecutableEndEvent(type="counting_end"))
    return Scenario(build_tree(start))


def polls(code: str) -> Callable[[], Scenario]:
    def scenario() -> Scenario:
        start = EmptyStartEvent()
        start.extend(act(code)).extend(act("copy", v=1)).extend(EmptyEndEvent())
        return Scenario(build_tree(start))

    return scenario


def _callbacks(*payloads: dict) -> Callable[[InMemoryRuntime], None]:
    def drive(rt: InMemoryRuntime) -> None:
        node_id = next(n for n, s in rt.states().items() if s == "RUNNING" and n in rt.store.nodes)
        for payload in payloads:
            version = rt.get_state(node_id).version
            result = api.callback(rt, node_id, version, payload)
            assert result.result, result.exc_trace
            rt.run_until_idle()

    return drive


def callback(code: str, *payloads: dict) -> Callable[[], Scenario]:
    def scenario() -> Scenario:
        start = EmptyStartEvent()
        start.extend(act(code)).extend(act("copy", v=1)).extend(EmptyEndEvent())
        return Scenario(build_tree(start), _callbacks(*payloads))

    return scenario


def failing() -> Scenario:
    start = EmptyStartEvent()
    start.extend(act("copy", v=1)).extend(act("fail")).extend(EmptyEndEvent())
    return Scenario(build_tree(start))


def error_ignored() -> Scenario:
    failing_act = act("fail")
    failing_act.error_ignorable = True
    start = EmptyStartEvent()
    start.extend(failing_act).extend(act("copy", v=1)).extend(EmptyEndEvent())
    return Scenario(build_tree(start))


def retried(max_attempts: int) -> Callable[[], Scenario]:
    """An activity failing once with a retry_policy: retried by the engine (2) or out of attempts (1)."""

    def scenario() -> Scenario:
        flaky = act("fails_first", v=1)
        flaky.retry_policy = RetryPolicy(max_attempts=max_attempts, interval_seconds=3)
        start = EmptyStartEvent()
        start.extend(flaky).extend(act("copy", v=1)).extend(EmptyEndEvent())
        return Scenario(build_tree(start))

    return scenario


SCENARIOS = {
    "linear": linear,
    "exclusive_gateway": exclusive,
    "parallel_gateway": parallel,
    "conditional_parallel_gateway": conditional_parallel,
    "subprocess": subprocess,
    "executable_end_event": executable_end,
    "inline_poll": polls("poll"),
    "inline_poll_done_at_once": polls("poll_once"),
    "delayed_poll": polls("delayed_poll"),
    "callback": callback("callback", {"ok": True}),
    "failed_callback": callback("callback", {"ok": False}),
    "multiple_callback": callback("multi_callback", {"n": 1}, {"n": 2}),
    "failed_activity": failing,
    "error_ignored_activity": error_ignored,
    "automatically_retried_activity": retried(max_attempts=2),
    "retry_policy_out_of_attempts": retried(max_attempts=1),
}


# -- running and comparing ---------------------------------------------------------------------------


def new_runtime() -> InMemoryRuntime:
    rt = InMemoryRuntime(executor="sync")
    for code, cls in SERVICES.items():
        rt.register_service(code, cls)
    rt.register_executable_end_event("counting_end", CountingEnd)
    add_sink_type("counting_end")
    return rt


def run(scenario: Scenario, index: Optional[int] = None, mode: str = "before"):
    """Run the scenario (a fresh copy of its tree) with one fault; returns ``(runtime, injector)``."""
    CALLS.clear()
    rt = new_runtime()
    result = api.run_pipeline(rt, copy.deepcopy(scenario.tree))
    assert result.result, result.exc_trace
    injector = FaultInjector(rt, index, mode)
    rt.run_until_idle()
    if scenario.drive is not None:
        scenario.drive(rt)
    return rt, injector


def outcome(rt: InMemoryRuntime) -> Dict[str, Any]:
    """Everything observable about the finished run, without ids and versions that differ per run."""
    store = rt.store

    def data_of(node_id: str) -> Any:
        try:
            data = rt.get_execution_data(node_id)
        except Exception:
            return None
        return json.dumps([data.inputs, data.outputs], sort_keys=True, default=str)

    def context_of(pipeline_id: str) -> Any:
        return sorted((cv.key, json.dumps(cv.value, default=str)) for cv in rt.get_context(pipeline_id))

    return {
        "states": {
            node_id: (s.name, s.loop, s.inner_loop, s.retry, s.skip, s.error_ignored)
            for node_id, s in store.states.items()
        },
        "data": {node_id: data_of(node_id) for node_id in store.states},
        "context": {pipeline_id: context_of(pipeline_id) for pipeline_id in store.context_values},
        "schedules": sorted(
            (s.node_id, s.type, s.finished, s.expired, s.scheduling, s.schedule_times)
            for s in store.schedules.values()
        ),
        "processes": sorted(
            (p.dead, p.asleep, p.suspended, p.current_node_id) for p in store.processes.values()
        ),
        "histories": sorted(h.node_id for h in store.histories.values()),
        "calls": dict(CALLS),
    }


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_interrupt_anywhere_ends_the_run_as_without_it(name):
    scenario = SCENARIOS[name]()
    rt, dry = run(scenario)
    expected = outcome(rt)
    positions = dry.positions()
    assert positions, "the dry run made no runtime call"

    failures: List[str] = []
    for index, mode in positions:
        try:
            rt, injector = run(scenario, index, mode)
        except Exception as err:
            failures.append(f"{mode} {dry.boundaries[index]} #{index}: raised {err!r}")
            continue
        assert injector.raised, f"no fault raised at {mode} #{index}"
        got = outcome(rt)
        if got != expected:
            diff = {key: (expected[key], got[key]) for key in expected if expected[key] != got[key]}
            failures.append(f"{mode} {dry.boundaries[index]} #{index}: {_short(diff)}")
        elif len(rt.interrupt_events) != 1:
            failures.append(f"{mode} #{index}: {len(rt.interrupt_events)} interrupt events")
    assert not failures, f"{len(failures)} of {len(positions)} faults changed the run:\n" + "\n".join(
        failures
    )


def _short(diff: Dict[str, Any]) -> str:
    """Only the entries that differ, for a readable failure message."""
    parts = []
    for key, (want, got) in diff.items():
        if isinstance(want, dict) and isinstance(got, dict):
            keys = sorted(set(want) | set(got), key=str)
            changed = {k: (want.get(k), got.get(k)) for k in keys if want.get(k) != got.get(k)}
            parts.append(f"{key}: {changed}")
        else:
            parts.append(f"{key}: {want} != {got}")
    return "; ".join(parts)
