"""Contract: an interrupt right after a node's own state write went through does not stop the run.

The runtime fails (a lost database connection) just after the write that finished a node: the
message is sent again with its recover point, the node's handler runs again with its idempotent
writes, and the process goes on (next node, children forked, pipeline finished). A service whose
result was recorded is not called again.
"""

from pathlib import Path
from typing import Callable, Dict, List, Tuple

import pytest

from bamboo_engine.builder import (
    ConditionalParallelGateway,
    ConvergeGateway,
    EmptyEndEvent,
    EmptyStartEvent,
    ExclusiveGateway,
    ExecutableEndEvent,
    ParallelGateway,
    build_tree,
)
from tests.contract.trees import activity, all_node_ids, linear_tree, subprocess

pytestmark = pytest.mark.contract

FINISHED = "FINISHED"


def counter(path: Path) -> Callable[[], List[str]]:
    return lambda: path.read_text().splitlines() if path.exists() else []


def counted(code: str, count_file: Path):
    return activity(code, count_file=str(count_file))


# Each builder returns (tree, node whose FINISHED write is interrupted, count files of the services).
Case = Tuple[dict, str, List[Path]]


def start_event(tmp: Path) -> Case:
    tree = linear_tree(counted("counting_node", tmp / "a"))
    return tree, tree["start_event"]["id"], [tmp / "a"]


def end_event(tmp: Path) -> Case:
    tree = linear_tree(counted("counting_node", tmp / "a"))
    return tree, tree["end_event"]["id"], [tmp / "a"]


def root_pipeline(tmp: Path) -> Case:
    """The end event finished its pipeline; the hook and the process' end had not happened yet."""
    tree = linear_tree(counted("counting_node", tmp / "a"))
    return tree, tree["id"], [tmp / "a"]


def executable_end_event(tmp: Path) -> Case:
    tree = linear_tree(
        counted("counting_node", tmp / "a"), end=ExecutableEndEvent(type="contract_passing_end")
    )
    return tree, tree["end_event"]["id"], [tmp / "a"]


def service_activity(tmp: Path) -> Case:
    act = counted("counting_node", tmp / "a")
    return linear_tree(act, counted("counting_node", tmp / "b")), act.id, [tmp / "a", tmp / "b"]


def _gateway_case(tmp: Path, gateway, target: str = "gateway") -> Case:
    branches = [counted("counting_node", tmp / name) for name in ("a", "b")]
    start, cg = EmptyStartEvent(), ConvergeGateway()
    start.extend(gateway).connect(*branches).converge(cg).extend(counted("counting_node", tmp / "c")).extend(
        EmptyEndEvent()
    )
    files = [tmp / "a", tmp / "c"] if isinstance(gateway, ExclusiveGateway) else [tmp / n for n in "abc"]
    return build_tree(start), gateway.id if target == "gateway" else cg.id, files


def exclusive_gateway(tmp: Path) -> Case:
    return _gateway_case(tmp, ExclusiveGateway(conditions={0: "1 == 1", 1: "1 == 0"}))


def parallel_gateway(tmp: Path) -> Case:
    return _gateway_case(tmp, ParallelGateway())


def conditional_parallel_gateway(tmp: Path) -> Case:
    return _gateway_case(tmp, ConditionalParallelGateway(conditions={0: "1 == 1", 1: "2 == 2"}))


def converge_gateway(tmp: Path) -> Case:
    return _gateway_case(tmp, ParallelGateway(), target="converge")


def subprocess_end_event(tmp: Path) -> Case:
    sub = subprocess(counted("counting_node", tmp / "a"))
    tree = linear_tree(sub, counted("counting_node", tmp / "b"))
    return tree, tree["activities"][sub.id]["pipeline"]["end_event"]["id"], [tmp / "a", tmp / "b"]


def subprocess_node(tmp: Path) -> Case:
    """The child's end event finished the SubProcess node; the parent had not gone on yet."""
    sub = subprocess(counted("counting_node", tmp / "a"))
    return linear_tree(sub, counted("counting_node", tmp / "b")), sub.id, [tmp / "a", tmp / "b"]


CASES: Dict[str, Callable[[Path], Case]] = {
    "start_event": start_event,
    "end_event": end_event,
    "root_pipeline": root_pipeline,
    "executable_end_event": executable_end_event,
    "service_activity": service_activity,
    "exclusive_gateway": exclusive_gateway,
    "parallel_gateway": parallel_gateway,
    "conditional_parallel_gateway": conditional_parallel_gateway,
    "converge_gateway": converge_gateway,
    "subprocess_end_event": subprocess_end_event,
    "subprocess_node": subprocess_node,
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_interrupt_after_a_node_finished_goes_on(harness, tmp_path, case):
    tree, target, count_files = CASES[case](tmp_path)
    handle = harness.inject_interrupt("set_state", after=True, node_id=target, to_state=FINISHED)

    root_id = harness.run_to_end(tree)
    harness.run_until_idle()

    assert handle.raised == 1
    assert harness.state_name(target) == FINISHED
    for count_file in count_files:
        assert counter(count_file)() == ["execute"], count_file.name
    ran = [node_id for node_id in all_node_ids(tree) if harness.state(node_id) is not None]
    assert all(harness.state(node_id).loop == 1 for node_id in ran)
    assert harness.state_name(root_id) == FINISHED
    assert_every_process_ended(harness, tree)


def assert_every_process_ended(harness, tree):
    """No process of the run is left alive (asleep or not) at any of its nodes."""
    left = {
        node_id: harness.runtime.get_process_id_with_current_node_id(node_id)
        for node_id in all_node_ids(tree)
    }
    assert {node_id: pid for node_id, pid in left.items() if pid is not None} == {}


def test_interrupt_after_entering_a_subprocess_goes_on(harness, tmp_path):
    sub = subprocess(counted("counting_node", tmp_path / "a"))
    tree = linear_tree(sub)
    handle = harness.inject_interrupt("set_pipeline_stack", after=True, stack=[tree["id"], sub.id])

    harness.run_to_end(tree)
    harness.run_until_idle()

    assert handle.raised == 1
    assert counter(tmp_path / "a")() == ["execute"]
    assert_every_process_ended(harness, tree)


def test_interrupt_after_a_callback_finished_the_node_goes_on(harness, tmp_path):
    act = counted("counting_callback_node", tmp_path / "a")
    tree = linear_tree(act, counted("counting_node", tmp_path / "b"))
    root_id = harness.start(tree)
    harness.wait_callback_ready(act.id)
    handle = harness.inject_interrupt("set_state", after=True, node_id=act.id, to_state=FINISHED)

    harness.callback(act.id, {"n": 7})
    harness.wait_for_state(root_id, FINISHED)
    harness.run_until_idle()

    assert handle.raised == 1
    assert counter(tmp_path / "a")() == ["execute", "schedule"]
    assert counter(tmp_path / "b")() == ["execute"]
    assert harness.outputs(act.id)["called_back"] == 7
    schedule = harness.runtime.get_schedule_with_node_and_version(act.id, harness.state(act.id).version)
    assert (schedule.finished, schedule.expired, schedule.times) == (True, False, 1)
    assert_every_process_ended(harness, tree)
