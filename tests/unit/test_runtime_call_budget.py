"""How many runtime calls the engine makes per node type: upper bounds that protect the design.

The Django runtime turns every storage call into at least one database round trip, so these counts are
the engine's cost model (docs/architecture.md §6). A counting wrapper records every ERI call a message
makes (calls the runtime makes to itself are not counted) and attributes it to the node the process was
at (``set_current_node``). The numbers are call counts, not timings: they only change when the engine's
design does.
"""

import collections
import copy
from typing import Counter, Dict, List, Tuple

import pytest

from bamboo_engine import api, states
from bamboo_engine.builder import (
    ConvergeGateway,
    Data,
    EmptyEndEvent,
    EmptyStartEvent,
    ExclusiveGateway,
    ParallelGateway,
    ServiceActivity,
    SubProcess,
    Var,
    build_tree,
)
from bamboo_engine.eri import interfaces as eri
from bamboo_engine.plugin import Service, StaticIntervalGenerator
from bamboo_engine.testing import InMemoryRuntime

# Calls that do not reach storage in the Django runtime: task hooks and notifications, the plugin
# registry, settings, (de)serialization, message sends.
NON_STORAGE = frozenset(
    {
        "pre_execute",
        "post_execute",
        "pre_schedule",
        "post_schedule",
        "node_enter",
        "node_finish",
        "pipeline_finish",
        "node_execute_fail",
        "node_schedule_fail",
        "get_service",
        "get_compute_variable",
        "get_executable_end_event",
        "get_config",
        "interrupt_errors",
        "serialize_execution_data",
        "deserialize_execution_data",
        "execute",
        "schedule",
    }
)
MESSAGE = "(message)"
CHILD_FINISHED = "(child finished)"
# ``wake_up_at`` is the wake-up that also makes the message's first node current (one write)
PER_MESSAGE_CALLS = {"get_process_info", "wake_up", "wake_up_at", "beat"}


class Debug(Service):
    """The benchmark's ``debug_node``: POLL every 0 s, copies inputs, finishes on the first poll."""

    __need_schedule__ = True
    interval = StaticIntervalGenerator(0)

    def execute(self, data, parent_data):
        for key, value in data.inputs.items():
            data.set_outputs(key, value)
        return True

    def schedule(self, data, parent_data, callback_data=None):
        self.finish_schedule()
        return True


class Empty(Service):
    def execute(self, data, parent_data):
        return True


class CallLog:
    """Wraps every ERI method of ``runtime`` (on the instance) and records the outermost calls."""

    def __init__(self, runtime: InMemoryRuntime):
        self.calls: List[Tuple[str, str]] = []  # (node the process is at, method)
        self._node = MESSAGE
        self._depth = 0
        names = {name for name in dir(eri.EngineRuntimeInterface) if not name.startswith("_")}
        for name in names:
            original = getattr(runtime, name)
            if callable(original):
                setattr(runtime, name, self._wrap(name, original))

    def _wrap(self, name, original):
        def counted(*args, **kwargs):
            if self._depth == 0:
                self._attribute(name, args, kwargs)
            self._depth += 1
            try:
                return original(*args, **kwargs)
            finally:
                self._depth -= 1

        return counted

    def _attribute(self, name: str, args: tuple, kwargs: dict) -> None:
        if name == "get_process_info":  # the first call of every message
            self._node = MESSAGE
        elif name in ("set_current_node", "wake_up_at"):
            self._node = kwargs.get("node_id", args[1] if len(args) > 1 else None)
        elif name == "child_process_finish":
            self._node = CHILD_FINISHED  # a child at its converge gateway: not a node run
        self.calls.append((self._node, "message" if name in PER_MESSAGE_CALLS else name))

    def per_node(self) -> Dict[str, Counter]:
        result: Dict[str, Counter] = collections.defaultdict(collections.Counter)
        for node, name in self.calls:
            result[node][name] += 1
        return result


def storage(counter: Counter) -> int:
    return sum(count for name, count in counter.items() if name not in NON_STORAGE and name != "message")


def run(tree: dict) -> Tuple[InMemoryRuntime, CallLog]:
    rt = InMemoryRuntime(executor="sync")
    rt.register_service("debug_node", Debug)
    rt.register_service("empty_node", Empty)
    assert api.run_pipeline(rt, tree).result
    log = CallLog(rt)
    rt.run_until_idle()
    assert rt.get_state(tree["id"]).name == states.FINISHED, rt.states()
    return rt, log


def debug_activity(name: str) -> ServiceActivity:
    act = ServiceActivity(component_code="debug_node", name=name)
    act.component.inputs.param_1 = Var(type=Var.SPLICE, value="${constant_1}")
    return act


def root_data() -> Data:
    data = Data()
    data.inputs["${constant_1}"] = Var(type=Var.PLAIN, value="value_1")
    return data


# -- activities --------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["empty_node", "debug_node"])
def test_root_inputs_are_read_once_per_message_and_the_service_loaded_once_per_node(code):
    start, end = EmptyStartEvent(), EmptyEndEvent()
    acts = [ServiceActivity(component_code=code) for _ in range(5)]
    tail = start
    for act in acts:
        tail = tail.extend(act)
    tail.extend(end)
    tree = build_tree(start)
    _, log = run(tree)

    per_node = log.per_node()
    assert sum(per_node[act.id]["get_data_inputs"] for act in acts) == 1  # one message runs them all
    assert all(per_node[act.id]["get_service"] == 1 for act in acts)


def test_plain_activity_costs_at_most_seven_storage_calls():
    start, end = EmptyStartEvent(), EmptyEndEvent()
    first, second = ServiceActivity(component_code="empty_node"), ServiceActivity(component_code="empty_node")
    start.extend(first).extend(second).extend(end)
    _, log = run(build_tree(start))

    # engine: current node, node, state names, RUNNING; handler: data, execution data, FINISHED
    assert storage(log.per_node()[second.id]) <= 7, log.per_node()[second.id]


def test_inline_polled_activity_skips_what_only_a_schedule_message_needs():
    start, end = EmptyStartEvent(), EmptyEndEvent()
    first, second = debug_activity("first"), debug_activity("second")
    start.extend(first).extend(second).extend(end)
    tree = build_tree(start, data=root_data())
    rt, log = run(tree)

    calls = log.per_node()[second.id]
    # engine 4 + data, context values, execution data, schedule row, FINISHED, counted finish
    assert storage(calls) <= 10, calls
    assert calls["finish_polled_schedule"] == 1  # the run counted by the write that finishes
    for avoided in (
        "add_schedule_times",
        "finish_schedule",
        "sleep",
        "get_state",
        "apply_schedule_lock",
        "release_schedule_lock",
        "get_execution_data",
        "get_data_outputs",
        "get_context_key_references",
    ):
        assert calls[avoided] == 0, (avoided, calls)
    assert calls["set_execution_data"] == 1  # the poll changed nothing: no second write
    assert [task.kind for task in rt.task_log].count("schedule") == 0
    schedule = rt.get_schedule_with_node_and_version(second.id, rt.get_state(second.id).version)
    assert (schedule.finished, schedule.expired, schedule.times) == (True, False, 1)
    assert rt.store.schedules[schedule.id].scheduling is False


# -- every node type of the reference pipeline ------------------------------------------------------

# storage calls per node run, upper bounds (docs/architecture.md §6 lists the calls)
BUDGETS = {
    "EmptyStartEvent": 6,
    "ServiceActivity": 11,  # debug_node with one template input, incl. the per-message root inputs read
    "SubProcess": 10,
    "EmptyEndEvent": 13,  # the subprocess end event; the root one costs 10
    "ParallelGateway": 8,
    "ConvergeGateway": 5,
    "ExclusiveGateway": 6,
}


def reference_tree():
    """start → act → sub(start → act → end) → pg ⇉ (act, act) ⇉ cg → eg → (act | act) → cg → end."""
    sub_start, sub_end = EmptyStartEvent(), EmptyEndEvent()
    sub_start.extend(debug_activity("sub_act")).extend(sub_end)
    sub = SubProcess(start=sub_start, name="sub")
    start, end = EmptyStartEvent(), EmptyEndEvent()
    pg, cg_1, cg_2 = ParallelGateway(), ConvergeGateway(), ConvergeGateway()
    eg = ExclusiveGateway(conditions={0: '"${constant_1}" == "value_1"', 1: "True == False"})
    start.extend(debug_activity("act_1")).extend(sub).extend(pg).connect(
        debug_activity("act_2"), debug_activity("act_3")
    ).converge(cg_1).extend(eg).connect(debug_activity("act_4"), debug_activity("act_5")).converge(
        cg_2
    ).extend(end)
    return build_tree(start, data=root_data())


def node_types(tree: dict, types: Dict[str, str]) -> Dict[str, str]:
    for key in ("start_event", "end_event"):
        types[tree[key]["id"]] = tree[key]["type"]
    for node_id, node in {**tree["activities"], **tree["gateways"]}.items():
        types[node_id] = node["type"]
        if node["type"] == "SubProcess":
            node_types(node["pipeline"], types)
    return types


def test_every_node_type_stays_within_its_budget():
    tree = reference_tree()
    types = node_types(tree, {})
    rt, log = run(tree)

    per_node = log.per_node()
    checked = set()
    for node_id, calls in per_node.items():
        if node_id not in types:
            continue
        node_type = types[node_id]
        checked.add(node_type)
        assert storage(calls) <= BUDGETS[node_type], (node_type, node_id, calls)
    assert checked == set(BUDGETS)
    assert storage(per_node[CHILD_FINISHED]) == 2  # one child_process_finish per branch
    # each message costs a process read, a wake-up and a heartbeat, and nothing more per node
    message_starts = [task.kind for task in rt.task_log].count("execute")  # polls all ran inline
    assert sum(calls["message"] for calls in per_node.values()) == 3 * message_starts


class Mutating(eri.Service):
    """An ERI-level service (no plugin adapter copying its data): records the root pipeline data it
    sees, then scribbles over it."""

    def execute(self, data, root_pipeline_data):
        data.outputs["seen"] = copy.deepcopy(dict(root_pipeline_data.inputs))
        root_pipeline_data.inputs["nested"]["scribbled"] = True
        return True

    def schedule(self, schedule, data, root_pipeline_data, callback_data=None):
        return True

    def hook_dispatch(self, hook, data, root_pipeline_data, callback_data=None):
        return False

    def need_schedule(self):
        return False

    def need_run_hook(self):
        return False

    def schedule_type(self):
        return None

    def is_schedule_done(self):
        return False

    def callback_lock_retryable(self, callback_data=None):
        return False

    def schedule_after(self, schedule, data, root_pipeline_data):
        return -1

    def setup_runtime_attributes(self, **attrs):
        pass


def test_nodes_sharing_the_root_inputs_read_do_not_see_each_others_changes():
    start, end = EmptyStartEvent(), EmptyEndEvent()
    first, second = ServiceActivity(component_code="mutating"), ServiceActivity(component_code="mutating")
    start.extend(first).extend(second).extend(end)
    tree = build_tree(start)
    rt = InMemoryRuntime(executor="sync")
    rt.register_service("mutating", Mutating)
    assert api.run_pipeline(rt, tree, root_pipeline_data={"operator": "alice", "nested": {}}).result
    rt.run_until_idle()

    seen = [rt.get_execution_data_outputs(act.id)["seen"] for act in (first, second)]
    assert seen == [{"operator": "alice", "nested": {}}] * 2
