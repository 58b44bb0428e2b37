"""Why a rollback is refused: every check reads a :class:`RunView` and raises ``RollbackError`` with a
message that names the pipeline, the node and the rule."""

from dataclasses import dataclass
from typing import Any, Collection, Dict, List, Optional, Tuple

from bamboo_engine import states
from bamboo_engine.eri.models.node import Node, NodeType
from bamboo_engine.eri.models.runtime import State
from bamboo_engine.exceptions import RollbackError
from bamboo_engine.rollback.constants import MODES, SKIP_CHECK_TOKEN, TOKEN
from bamboo_engine.rollback.paths import RollbackPath
from bamboo_engine.rollback.storage import ProcessRow

#: States of a node that finished and may be a target (a rollback that failed leaves ROLL_BACK_* ones).
FINISHED_STATES = frozenset(
    {states.FINISHED, states.ROLLING_BACK, states.ROLL_BACK_SUCCESS, states.ROLL_BACK_FAILED}
)
#: The start node may also have failed (then there is nothing of it to roll back).
START_STATES = FINISHED_STATES | {states.FAILED}
#: Root states from which a rollback may start.
ROLLBACK_ROOT_STATES = frozenset({states.RUNNING, states.ROLL_BACK_FAILED})
#: A reserved rollback also starts when the pipeline was paused while its start node ran.
FIRED_ROOT_STATES = frozenset({states.RUNNING, states.SUSPENDED})
_ROLLBACK_NODE_TYPES = frozenset({NodeType.ServiceActivity, NodeType.EmptyStartEvent})


@dataclass
class RunView:
    """What the rollback rules read of one run, read once per operation.

    Attributes:
        node_states: states of the run's nodes (not the root pipeline's own), by node id.
        nodes: the stored nodes that have a state, by id.
        tokens: ``{node_id: token}``, None when the run was started without rollback.
        processes: every process of the run, dead ones included.
    """

    root_pipeline_id: str
    root_state: Optional[State]
    node_states: Dict[str, State]
    nodes: Dict[str, Node]
    tokens: Optional[Dict[str, str]]
    processes: List[ProcessRow]


def load_run(runtime: Any, root_pipeline_id: str) -> RunView:
    """Read the run ``root_pipeline_id`` (a runtime mixing in the rollback rules)."""
    node_states = {
        state.node_id: state
        for state in runtime.get_state_by_root(root_pipeline_id)
        if state.node_id != root_pipeline_id
    }
    return RunView(
        root_pipeline_id=root_pipeline_id,
        root_state=runtime.get_state_or_none(root_pipeline_id),
        node_states=node_states,
        nodes=runtime._stored_nodes(node_states.keys()),
        tokens=runtime._load_tokens(root_pipeline_id),
        processes=runtime._process_rows(root_pipeline_id),
    )


def check_mode(mode: str) -> None:
    if mode not in MODES:
        raise RollbackError(f"rollback refused: mode {mode!r} is not supported, use one of {list(MODES)}")


def check_root(view: RunView, allowed: Collection[str] = ROLLBACK_ROOT_STATES) -> None:
    """The root pipeline is in one of ``allowed``."""
    root = view.root_pipeline_id
    if view.root_state is None:
        raise RollbackError(f"rollback refused: pipeline {root} has no state (it was never started)")
    if view.root_state.name not in allowed:
        raise RollbackError(
            f"rollback refused: pipeline {root} is {view.root_state.name}; only a pipeline in "
            f"{sorted(allowed)} can be rolled back"
        )


def check_node(view: RunView, node_id: str, role: str, allowed: Collection[str]) -> Node:
    """``node_id`` ran in this pipeline, is an activity (or the start event) and is in ``allowed``.

    Args:
        role: ``"start"`` or ``"target"``, for the message.
    """
    state = view.node_states.get(node_id)
    node = view.nodes.get(node_id)
    if state is None or node is None:
        raise RollbackError(
            f"rollback refused: {role} node {node_id} has not run in pipeline {view.root_pipeline_id}"
        )
    if node.type not in _ROLLBACK_NODE_TYPES:
        raise RollbackError(
            f"rollback refused: {role} node {node_id} is a {node.type.value}; only service activities "
            "(and a start event as target) take part in a rollback"
        )
    if state.name not in allowed:
        raise RollbackError(
            f"rollback refused: {role} node {node_id} is {state.name}, it must be one of {sorted(allowed)}"
        )
    return node


def token_checked(mode: str, options: Dict[str, Any]) -> bool:
    """Whether start and target must share a token: always in TOKEN mode, in ANY mode unless skipped."""
    return mode == TOKEN or not options.get(SKIP_CHECK_TOKEN, False)


def no_tokens_message(root_pipeline_id: str) -> str:
    return (
        f"rollback refused: pipeline {root_pipeline_id} has no rollback tokens: it was started while "
        "PIPELINE_ENABLE_ROLLBACK was off"
    )


def check_tokens(view: RunView, start_id: str, target_id: str) -> None:
    """Start and target lie in the same token region."""
    root = view.root_pipeline_id
    if view.tokens is None:
        raise RollbackError(no_tokens_message(root))
    for role, node_id in (("start", start_id), ("target", target_id)):
        if node_id not in view.tokens:
            raise RollbackError(f"rollback refused: {role} node {node_id} has no token in pipeline {root}")
    if view.tokens[start_id] != view.tokens[target_id]:
        raise RollbackError(
            f"rollback refused: start node {start_id} and target node {target_id} lie in different token "
            "regions (parallel branches or a subprocess border lie between them); TOKEN mode only rolls "
            "back within one region"
        )


def stopped_process(view: RunView, start_id: str) -> ProcessRow:
    """The live process parked at ``start_id`` (nothing else may run in the start node's line).

    Raises:
        RollbackError: no process of the run stopped there.
    """
    for process in view.processes:
        if process.current_node_id == start_id and process.asleep and not process.dead:
            return process
    raise RollbackError(
        f"rollback refused: no process of pipeline {view.root_pipeline_id} stopped at start node {start_id} "
        "(the pipeline runs on, or stopped elsewhere): roll back from the node the pipeline stopped at, "
        "or reserve a rollback on a running node"
    )


def running_process(view: RunView, start_id: str) -> ProcessRow:
    """The live process whose current node is ``start_id``."""
    for process in view.processes:
        if process.current_node_id == start_id and not process.dead:
            return process
    raise RollbackError(
        f"reserve rollback refused: start node {start_id} is not the current node of a process of "
        f"pipeline {view.root_pipeline_id}"
    )


def process_to_restart(
    view: RunView, stopped: ProcessRow, path: RollbackPath, target: Node
) -> Tuple[ProcessRow, List[str]]:
    """The process that runs the target again, and its pipeline stack from then on.

    The process stopped at the start node, or the one it forked from ``fork_depth`` parallel gateways
    up. Its stack must hold the target's pipeline (the way may enter subprocesses, never leave one).
    """
    by_id = {process.id: process for process in view.processes}
    process = stopped
    for _ in range(path.fork_depth):
        parent = by_id.get(process.parent_id)
        if parent is None:
            raise RollbackError(
                f"rollback refused: the process that ran target node {target.id} no longer exists"
            )
        process = parent
    if target.parent_pipeline_id not in process.pipeline_stack:
        raise RollbackError(
            f"rollback refused: target node {target.id} ran in subprocess {target.parent_pipeline_id}, "
            f"which was left before start node {path.order[0]}"
        )
    stack = process.pipeline_stack[: process.pipeline_stack.index(target.parent_pipeline_id) + 1]
    return process, stack


def descendants(view: RunView, process_id: int) -> List[ProcessRow]:
    """The live processes forked from ``process_id``, at any depth."""
    children: Dict[int, List[ProcessRow]] = {}
    for process in view.processes:
        children.setdefault(process.parent_id, []).append(process)
    found: List[ProcessRow] = []
    pending = list(children.get(process_id, []))
    while pending:
        process = pending.pop()
        found.append(process)
        pending.extend(children.get(process.id, []))
    return [process for process in found if not process.dead]
