"""The rollback operations: roll back, reserve, cancel a reservation, retry, list allowed targets.

Each takes a runtime that mixes in :class:`~bamboo_engine.rollback.rules.RollbackRules` and raises
``RollbackError`` when it refuses (the message says why); ``pipeline.contrib.rollback.api`` turns that
into a failed api result. ``start_reserved_rollback`` is what the engine's ``start_rollback`` does when
a node with a reservation finished.
"""

import logging
from typing import Any, Dict, List, Optional

from bamboo_engine import states
from bamboo_engine.eri.models.node import NodeType
from bamboo_engine.exceptions import RollbackError
from bamboo_engine.rollback import checks
from bamboo_engine.rollback.checks import RunView, load_run
from bamboo_engine.rollback.constants import ANY, TOKEN
from bamboo_engine.rollback.paths import RollbackPath, nodes_reaching, plan_path
from bamboo_engine.rollback.restart import final_root_states, restart_from_target
from bamboo_engine.rollback.runner import rollback_message

logger = logging.getLogger("bamboo_engine")


def rollback(
    runtime: Any,
    root_pipeline_id: str,
    start_node_id: str,
    target_node_id: str,
    skip_rollback_nodes: Optional[List[str]] = None,
    mode: str = TOKEN,
    **options: Any,
) -> None:
    """Roll the pipeline back from ``start_node_id`` (where it stopped) to ``target_node_id``.

    TOKEN: the root goes ROLLING_BACK and a message rolls the nodes back one by one, then the pipeline
    goes on from the target. ANY: the runs are cleared and the pipeline goes on from the target at once,
    without calling ``Service.rollback``.

    Args:
        skip_rollback_nodes: activities whose ``Service.rollback`` is not called (TOKEN mode).
        options: ``skip_check_token=True`` (ANY mode) lets start and target lie in different regions.
    """
    checks.check_mode(mode)
    view = load_run(runtime, root_pipeline_id)
    checks.check_root(view)
    _start(runtime, view, start_node_id, target_node_id, list(skip_rollback_nodes or []), mode, options)


def _start(
    runtime: Any,
    view: RunView,
    start_id: str,
    target_id: str,
    skip: List[str],
    mode: str,
    options: Dict[str, Any],
) -> None:
    start = checks.check_node(view, start_id, "start", checks.START_STATES)
    target = checks.check_node(view, target_id, "target", checks.FINISHED_STATES)
    if start.type != NodeType.ServiceActivity:
        raise RollbackError(
            f"rollback refused: start node {start_id} is a {start.type.value}, not an activity"
        )
    if checks.token_checked(mode, options):
        checks.check_tokens(view, start_id, target_id)
    stopped = checks.stopped_process(view, start_id)
    path = plan_path(view.nodes, view.root_pipeline_id, start_id, target_id)
    checks.process_to_restart(view, stopped, path, target)
    if mode == ANY:
        _jump_back(runtime, view, path, start_id, target_id)
    else:
        _begin_walk(runtime, view, path, start_id, target_id, skip)


def _skipped(view: RunView, path: RollbackPath, start_id: str, skip: List[str]) -> List[str]:
    """The nodes whose rollback is not called: asked for, the start node if it failed (it did nothing),
    and the nodes that failed and were skipped or whose error was ignored."""
    skipped = list(skip)
    if view.node_states[start_id].name == states.FAILED:
        skipped.append(start_id)
    for node_id in path.order:
        state = view.node_states[node_id]
        if state.skip or state.error_ignored:
            skipped.append(node_id)
    return list(dict.fromkeys(skipped))


def _begin_walk(
    runtime: Any, view: RunView, path: RollbackPath, start_id: str, target_id: str, skip: List[str]
) -> None:
    root = view.root_pipeline_id
    with runtime._transaction():
        runtime._expire_rollback_records(root)  # a rollback that failed is replaced by this one
        record_id = runtime._create_rollback_record(
            root,
            start_id,
            target_id,
            path.graph.as_dict(),
            _skipped(view, path, start_id, skip),
            path.other_nodes,
            False,
        )
        runtime.set_state(node_id=root, to_state=states.ROLLING_BACK)
        runtime._send_rollback_message(rollback_message(record_id))


def _jump_back(runtime: Any, view: RunView, path: RollbackPath, start_id: str, target_id: str) -> None:
    root = view.root_pipeline_id
    assert view.root_state is not None
    steps = final_root_states(view.root_state.name, runtime._auto_continue_after_rollback())
    with runtime._transaction():
        # Kept (expired at once) as the record of what was cleared.
        runtime._create_rollback_record(
            root, start_id, target_id, path.graph.as_dict(), [], path.other_nodes, True
        )
        restart_from_target(runtime, view, path, start_id, target_id, steps)


def retry_rollback_failed_node(
    runtime: Any, root_pipeline_id: str, node_id: str, retry_data: Optional[dict] = None, mode: str = TOKEN
) -> None:
    """Walk the failed TOKEN rollback again from ``node_id``, whose rollback gets ``retry_data``."""
    checks.check_mode(mode)
    if mode == ANY:
        raise RollbackError("retry refused: ANY mode calls no rollback, there is nothing to retry")
    view = load_run(runtime, root_pipeline_id)
    checks.check_root(view, {states.ROLL_BACK_FAILED})
    state = view.node_states.get(node_id)
    if state is None or state.name != states.ROLL_BACK_FAILED:
        raise RollbackError(
            f"retry refused: node {node_id} is {state.name if state else 'not run'}, not ROLL_BACK_FAILED"
        )
    records = [r for r in runtime._live_rollback_records(root_pipeline_id) if node_id in r.graph["nodes"]]
    if len(records) != 1:
        raise RollbackError(
            f"retry refused: pipeline {root_pipeline_id} has {len(records)} unfinished rollbacks "
            f"of node {node_id}"
        )
    with runtime._transaction():
        runtime.set_state(node_id=root_pipeline_id, to_state=states.ROLLING_BACK)
        runtime._send_rollback_message(rollback_message(records[0].id, node_id, retry_data))


def reserve_rollback(
    runtime: Any,
    root_pipeline_id: str,
    start_node_id: str,
    target_node_id: str,
    mode: str = TOKEN,
    **options: Any,
) -> None:
    """Roll back to ``target_node_id`` as soon as the RUNNING activity ``start_node_id`` finishes.

    One reservation per pipeline at a time. The engine then stops the process at the start node and
    starts the rollback (:func:`start_reserved_rollback`).
    """
    checks.check_mode(mode)
    view = load_run(runtime, root_pipeline_id)
    checks.check_root(view)
    start = checks.check_node(view, start_node_id, "start", {states.RUNNING})
    if start.type != NodeType.ServiceActivity:
        raise RollbackError(f"reserve refused: start node {start_node_id} is not an activity")
    checks.check_node(view, target_node_id, "target", checks.FINISHED_STATES)
    if checks.token_checked(mode, options):
        checks.check_tokens(view, start_node_id, target_node_id)
    checks.running_process(view, start_node_id)
    plan_path(view.nodes, root_pipeline_id, start_node_id, target_node_id)
    existing = runtime._live_reservations(root_pipeline_id)
    if existing:
        raise RollbackError(
            f"reserve refused: pipeline {root_pipeline_id} already has a reserved rollback from "
            f"{existing[0].start_node_id} to {existing[0].target_node_id}; cancel it first"
        )
    with runtime._transaction():
        reservation_id = runtime._create_reservation(
            root_pipeline_id, start_node_id, target_node_id, mode, dict(options)
        )
        runtime.set_reserve_rollback(start_node_id, True)
    _unless_finished_meanwhile(runtime, start_node_id, reservation_id)


def _unless_finished_meanwhile(runtime: Any, start_node_id: str, reservation_id: int) -> None:
    """Take the reservation back if the node finished before the engine could see it.

    The engine reads the flag again once the node finished, so a node still RUNNING now will see it. A
    node that finished meanwhile either saw it (and took the reservation: the expire below fails and
    the rollback goes ahead) or did not (the expire wins and the reservation is refused).
    """
    state = runtime.get_state_or_none(start_node_id)
    if state is not None and state.name == states.RUNNING:
        return
    if runtime._expire_reservation(reservation_id):
        runtime.set_reserve_rollback(start_node_id, False)
        raise RollbackError(
            f"reserve refused: start node {start_node_id} finished while the rollback was reserved; "
            "roll back from it now"
        )


def cancel_reserved_rollback(
    runtime: Any, root_pipeline_id: str, start_node_id: str, target_node_id: str, mode: str = TOKEN
) -> None:
    """Cancel the reservation from ``start_node_id`` to ``target_node_id`` before the node finishes."""
    checks.check_mode(mode)
    checks.check_root(load_run(runtime, root_pipeline_id))
    matching = [
        r
        for r in runtime._live_reservations(root_pipeline_id)
        if (r.start_node_id, r.target_node_id) == (start_node_id, target_node_id)
    ]
    if not matching or not runtime._expire_reservation(matching[0].id):
        raise RollbackError(
            f"cancel refused: pipeline {root_pipeline_id} has no reserved rollback from {start_node_id} to "
            f"{target_node_id} (it started already, was cancelled, or was never made)"
        )
    runtime.set_reserve_rollback(start_node_id, False)


def get_allowed_rollback_node_id_list(
    runtime: Any, root_pipeline_id: str, start_node_id: str, mode: str = TOKEN, **options: Any
) -> List[str]:
    """The activities a rollback from ``start_node_id`` may go back to, in the order they ran."""
    checks.check_mode(mode)
    view = load_run(runtime, root_pipeline_id)
    checks.check_root(view)
    tokens = view.tokens or {}
    with_tokens = checks.token_checked(mode, options)
    if with_tokens and view.tokens is None:
        raise RollbackError(checks.no_tokens_message(root_pipeline_id))
    if with_tokens and start_node_id not in tokens:
        return []
    finished = sorted(
        (s for s in view.node_states.values() if s.name in checks.FINISHED_STATES),
        key=lambda s: (s.created_time is None, s.created_time),
    )
    candidates = [
        s.node_id
        for s in finished
        if s.node_id in view.nodes
        and view.nodes[s.node_id].type == NodeType.ServiceActivity
        and (not with_tokens or tokens.get(s.node_id) == tokens[start_node_id])
    ]
    reaching = nodes_reaching(view.nodes, root_pipeline_id, start_node_id, candidates)
    return [target_id for target_id in reaching if _plannable(view, target_id, start_node_id)]


def _plannable(view: RunView, target_id: str, start_id: str) -> bool:
    """Whether a rollback from ``start_id`` (stopped there, or running it) could go back to ``target_id``."""
    at_start = [p for p in view.processes if p.current_node_id == start_id and not p.dead]
    try:
        path = plan_path(view.nodes, view.root_pipeline_id, start_id, target_id)
        if at_start:
            checks.process_to_restart(view, at_start[0], path, view.nodes[target_id])
    except RollbackError:
        return False
    return True


def start_reserved_rollback(runtime: Any, root_pipeline_id: str, node_id: str) -> None:
    """The engine parked the process at ``node_id``, which finished: start the rollback reserved there.

    Without a live reservation (cancelled meanwhile), or when the rollback is refused now, the process
    goes on to the node's next node as if nothing had been reserved, so the pipeline never waits for
    nothing.
    """
    reservation = next(
        (r for r in runtime._live_reservations(root_pipeline_id) if r.start_node_id == node_id), None
    )
    if reservation is None or not runtime._expire_reservation(reservation.id):
        _go_on_after(runtime, root_pipeline_id, node_id)
        return
    try:
        checks.check_mode(reservation.mode)
        view = load_run(runtime, root_pipeline_id)
        checks.check_root(view, checks.FIRED_ROOT_STATES)
        runtime.set_reserve_rollback(node_id, False)
        _start(runtime, view, node_id, reservation.target_node_id, [], reservation.mode, reservation.options)
    except RollbackError as err:
        logger.error(
            "reserved rollback of pipeline %s from %s not started: %s", root_pipeline_id, node_id, err
        )
        _go_on_after(runtime, root_pipeline_id, node_id)


def _go_on_after(runtime: Any, root_pipeline_id: str, node_id: str) -> None:
    """Send the process parked at the finished activity ``node_id`` on to the node after it."""
    view = load_run(runtime, root_pipeline_id)
    node = view.nodes.get(node_id)
    waiting = [p for p in view.processes if p.current_node_id == node_id and p.asleep and not p.dead]
    if node is None or not waiting:
        logger.error(
            "no process of pipeline %s waits at node %s: nothing to send on", root_pipeline_id, node_id
        )
        return
    runtime.set_reserve_rollback(node_id, False)
    process = waiting[0]
    runtime.execute(
        process_id=process.id,
        node_id=node.target_nodes[0],
        root_pipeline_id=root_pipeline_id,
        parent_pipeline_id=process.pipeline_stack[-1],
    )
