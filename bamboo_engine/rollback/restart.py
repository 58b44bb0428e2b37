"""The end of every rollback: forget the runs it undid and run the pipeline again from the target.

One transaction: the root pipeline's state moves on, the cleared nodes lose their states, schedules,
data, histories and snapshots, the rollback and reservations of those nodes expire, the processes forked
on the way are ended, and the process that runs the target is parked there with its message sent on
commit. A rollback is therefore either still pending or done, never half applied.
"""

from typing import Any, Dict, List, Sequence

from bamboo_engine import states
from bamboo_engine.eri.rules.storage import PROCESS, In
from bamboo_engine.exceptions import RollbackError
from bamboo_engine.rollback.checks import RunView, descendants, process_to_restart, stopped_process
from bamboo_engine.rollback.paths import RollbackPath


def final_root_states(from_state: str, auto_continue: bool) -> List[str]:
    """The states the root pipeline goes through from ``from_state`` once its rollback is done.

    It runs on from the target (RUNNING), or waits for ``resume_pipeline`` (SUSPENDED) when the pipeline
    is not to go on by itself (``PIPELINE_ENABLE_AUTO_EXECUTE_WHEN_ROLL_BACKED`` off) or was paused.
    """
    go_on = states.RUNNING if auto_continue else states.SUSPENDED
    if from_state == states.ROLLING_BACK:
        return [states.ROLL_BACK_SUCCESS, states.READY, go_on]
    if from_state == states.ROLL_BACK_FAILED:
        return [states.READY, go_on]
    if from_state == states.RUNNING and not auto_continue:
        return [states.SUSPENDED]
    return []


def restart_changes(target_id: str, stack: Sequence[str]) -> Dict[str, Any]:
    """A process parked at ``target_id``, alive and waiting for its execute message, no join pending."""
    return {
        "current_node_id": target_id,
        "pipeline_stack": list(stack),
        "asleep": True,
        "dead": False,
        "suspended": False,
        "suspended_by": "",
        "need_ack": -1,
        "ack_num": 0,
    }


def restart_from_target(
    runtime: Any, view: RunView, path: RollbackPath, start_id: str, target_id: str, root_states: List[str]
) -> None:
    """Clear the runs of ``path`` and run the pipeline again from ``target_id`` (see the module docstring).

    Raises:
        RollbackError: no process stopped at the start node, or the target's pipeline was left.
    """
    root = view.root_pipeline_id
    stopped = stopped_process(view, start_id)
    process, stack = process_to_restart(view, stopped, path, view.nodes[target_id])
    stale = [child.id for child in descendants(view, process.id) if child.id != stopped.id]
    cleared = path.cleared
    with runtime._transaction():
        # First, so that of two rollbacks racing from the same stop only one goes on.
        _claim(
            runtime,
            stopped.id,
            start_id,
            restart_changes(target_id, stack) if stopped is process else {"dead": True},
        )
        for name in root_states:
            runtime.set_state(node_id=root, to_state=name)
        runtime._clear_node_runs(cleared)
        runtime._delete_node_snapshots(root, cleared)
        runtime._expire_rollback_records(root)
        for reservation in runtime._live_reservations(root):
            if reservation.start_node_id in cleared:
                runtime._expire_reservation(reservation.id)
        for node_id in cleared:
            if view.nodes[node_id].reserve_rollback:
                runtime.set_reserve_rollback(node_id, False)
        if stale:
            # Processes forked on the way: the target's process forks again when it gets there.
            runtime._update_rows(PROCESS, {"id": In(stale)}, {"dead": True})
        if process is not stopped:
            runtime._update_rows(PROCESS, {"id": process.id}, restart_changes(target_id, stack))
        runtime.execute(
            process_id=process.id, node_id=target_id, root_pipeline_id=root, parent_pipeline_id=stack[-1]
        )


def _claim(runtime: Any, process_id: int, start_id: str, changes: Dict[str, Any]) -> None:
    """Apply ``changes`` to the process still parked at ``start_id``.

    Raises:
        RollbackError: it is not parked there any more (another rollback took it first).
    """
    where = {"id": process_id, "current_node_id": start_id, "dead": False}
    if not runtime._update_rows(PROCESS, where, changes):
        raise RollbackError(f"rollback refused: the process stopped at {start_id} went on meanwhile")
