"""Running a TOKEN rollback: one message walks the stored graph and rolls each node back in turn.

The walk calls each node's ``Service.rollback(data, parent_data, rollback_data)`` once per snapshot not
rolled back yet (a node that ran several times is undone latest run first) and records its progress after
each node, so a message delivered again (a worker lost mid-walk, a retry) goes on where the last one got
to. A node whose rollback returns False or raises stops the walk: the node and the root pipeline become
ROLL_BACK_FAILED, the error is written to the node's ``ex_data``, and nothing after it is touched;
``retry_rollback_failed_node`` sends the walk again from that node. When every node is done the runs are
cleared and the pipeline goes on from the target (:mod:`bamboo_engine.rollback.restart`).
"""

import logging
import traceback
from typing import Any, Dict, Optional

from bamboo_engine import states
from bamboo_engine.eri.models.runtime import ExecutionData
from bamboo_engine.exceptions import RollbackError
from bamboo_engine.rollback.checks import load_run
from bamboo_engine.rollback.constants import FLAGS, START_FLAG
from bamboo_engine.rollback.paths import RollbackPath
from bamboo_engine.rollback.restart import final_root_states, restart_from_target
from bamboo_engine.rollback.storage import NodeSnapshot, RollbackRecord
from bamboo_engine.utils.graph import RollbackGraph

logger = logging.getLogger("bamboo_engine")


def rollback_message(record_id: int, node_id: str = START_FLAG, retry_data: Optional[dict] = None) -> dict:
    """The keyword arguments of a rollback message (the names of upstream's ``token_rollback`` task).

    Args:
        node_id: the node a retry starts from with ``retry_data``, or START_FLAG for a first walk.
    """
    retry = node_id != START_FLAG
    return {"snapshot_id": record_id, "node_id": node_id, "retry": retry, "retry_data": retry_data}


def run_rollback_message(
    runtime: Any, snapshot_id: Any, node_id: str = START_FLAG, retry: bool = False, retry_data: Any = None
) -> None:
    """Walk the rollback ``snapshot_id`` (a message's body); a late or repeated message does nothing."""
    record = runtime._load_rollback_record(snapshot_id)
    if record is None or record.is_expired:
        logger.info("rollback %s is over or unknown: message dropped", snapshot_id)
        return
    root_state = runtime.get_state_or_none(record.root_pipeline_id)
    if root_state is None or root_state.name != states.ROLLING_BACK:
        logger.info(
            "pipeline %s is %s, not ROLLING_BACK: rollback message dropped",
            record.root_pipeline_id,
            root_state.name if root_state else None,
        )
        return
    retry_node_id = node_id if retry else None
    if _walk(runtime, record, retry_node_id, retry_data):
        _finish(runtime, record)


def _walk(runtime: Any, record: RollbackRecord, retry_node_id: Optional[str], retry_data: Any) -> bool:
    """Roll back every node not done yet, in order; False when one failed (then the walk stops)."""
    graph = RollbackGraph(list(record.graph["nodes"]), [list(flow) for flow in record.graph["flows"]])
    done = dict(record.node_access_record)
    for node_id in map(str, graph.topological_order()):
        if node_id in FLAGS or done.get(node_id):
            continue
        if node_id not in record.skip_rollback_nodes:
            rollback_data = retry_data if node_id == retry_node_id else None
            error = _roll_back_node(runtime, record.root_pipeline_id, node_id, rollback_data)
            if error is not None:
                fail_rollback(runtime, record.root_pipeline_id, node_id, error)
                return False
        done[node_id] = 1
        runtime._save_rollback_progress(record.id, done)
    return True


def _roll_back_node(runtime: Any, root_pipeline_id: str, node_id: str, rollback_data: Any) -> Optional[str]:
    """Call the rollback of each pending snapshot of the node; the error text, or None on success."""
    state = runtime.get_state(node_id)
    snapshots = runtime._pending_node_snapshots(root_pipeline_id, node_id)
    if state.name == states.ROLL_BACK_SUCCESS and not snapshots:
        return None  # rolled back by an earlier walk of a rollback that failed later on
    if state.name != states.ROLLING_BACK:
        runtime.set_state(node_id=node_id, to_state=states.ROLLING_BACK)
    for snapshot in snapshots:
        try:
            result = _call_rollback(runtime, snapshot, rollback_data)
        except Exception:  # noqa: BLE001 - plugin code may raise anything: the node's rollback failed
            return f"rollback of node {node_id} raised:\n{traceback.format_exc()}"
        if not result:
            return f"rollback of node {node_id} returned False"
        runtime._mark_node_snapshot_rolled_back(snapshot.id)
    runtime.set_state(node_id=node_id, to_state=states.ROLL_BACK_SUCCESS)
    return None


def _call_rollback(runtime: Any, snapshot: NodeSnapshot, rollback_data: Any) -> bool:
    service = runtime.get_service(code=snapshot.code, version=snapshot.version)
    service.setup_runtime_attributes(id=snapshot.node_id, root_pipeline_id=snapshot.root_pipeline_id)
    data = ExecutionData(inputs=dict(snapshot.inputs), outputs=dict(snapshot.outputs))
    parent_data = ExecutionData(inputs=dict(snapshot.context_values), outputs={})
    return bool(service.rollback(data, parent_data, rollback_data))


def fail_rollback(runtime: Any, root_pipeline_id: str, node_id: str, message: str) -> None:
    """Leave the node and the pipeline ROLL_BACK_FAILED, with ``message`` in the node's ``ex_data``."""
    logger.error("rollback of pipeline %s stopped at node %s: %s", root_pipeline_id, node_id, message)
    with runtime._transaction():
        state = runtime.get_state_or_none(node_id)
        name = state.name if state is not None else None
        if name == states.FINISHED:
            runtime.set_state(node_id=node_id, to_state=states.ROLLING_BACK)
            name = states.ROLLING_BACK
        if name == states.ROLLING_BACK:
            runtime.set_state(node_id=node_id, to_state=states.ROLL_BACK_FAILED)
        outputs = runtime.get_execution_data_outputs(node_id)
        outputs["ex_data"] = message
        runtime.set_execution_data_outputs(node_id, outputs)
        runtime.set_state(node_id=root_pipeline_id, to_state=states.ROLL_BACK_FAILED)


def rollback_message_unsent(runtime: Any, kwargs: Dict[str, Any], error: BaseException) -> None:
    """A rollback message could not be sent: fail the node it was to start from, so it can be retried."""
    record = runtime._load_rollback_record(kwargs["snapshot_id"])
    if record is None or record.is_expired:
        return
    node_id = kwargs["node_id"] if kwargs.get("retry") else _next_node(record)
    fail_rollback(
        runtime, record.root_pipeline_id, node_id, f"the rollback message could not be sent: {error!r}"
    )


def _next_node(record: RollbackRecord) -> str:
    """The node the walk would roll back next (the target when only skipped nodes are left)."""
    graph = RollbackGraph(list(record.graph["nodes"]), [list(flow) for flow in record.graph["flows"]])
    pending = [
        node_id
        for node_id in map(str, graph.topological_order())
        if node_id not in FLAGS
        and node_id not in record.skip_rollback_nodes
        and not record.node_access_record.get(node_id)
    ]
    return pending[0] if pending else record.target_node_id


def _finish(runtime: Any, record: RollbackRecord) -> None:
    """Every node is rolled back: clear the runs and go on from the target."""
    root = record.root_pipeline_id
    order = [node for node in record.graph["nodes"] if node not in FLAGS]
    path = RollbackPath(
        graph=RollbackGraph(), order=order, other_nodes=list(record.other_nodes), fork_depth=0
    )
    steps = final_root_states(states.ROLLING_BACK, runtime._auto_continue_after_rollback())
    try:
        restart_from_target(
            runtime, load_run(runtime, root), path, record.start_node_id, record.target_node_id, steps
        )
    except RollbackError as err:
        # Only when the run was changed by hand meanwhile: nothing to retry, an operator's turn.
        logger.error(
            "pipeline %s was rolled back but can not go on from %s: %s", root, record.target_node_id, err
        )
        runtime.set_state(node_id=root, to_state=states.ROLL_BACK_FAILED)
