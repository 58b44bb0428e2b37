"""Forking child processes for the parallel gateways, at most once per node version."""

import logging
from typing import List, Optional

from bamboo_engine.eri.models.interrupt import ExecuteInterruptPoint
from bamboo_engine.eri.models.runtime import DispatchProcess, ProcessInfo
from bamboo_engine.interrupt import ExecuteKeyPoint

logger = logging.getLogger("bamboo_engine")


def fork_children(
    runtime,
    interrupter,
    process_info: ProcessInfo,
    targets: List[str],
    destination_id: str,
    key_point: ExecuteKeyPoint,
    recover_point: Optional[ExecuteInterruptPoint] = None,
) -> List[DispatchProcess]:
    """Fork one child per target, all stopping at ``destination_id``; reuse an earlier attempt's fork.

    A retried attempt (``recover_point`` given) whose recover point does not record the children may
    still have stored them: the write committed and the answer was lost, or the worker died after it.
    The process's unjoined children are those; they are sent instead of a second fork.
    """
    recovered = recover_point.handler_data if recover_point is not None else None
    stored = _stored_children(runtime, process_info, targets) if recover_point is not None else []
    if recovered is not None and recovered.dispatch_processes:
        dispatch_processes = list(recovered.dispatch_processes)
    elif stored:
        dispatch_processes = stored
    else:
        dispatch_processes = runtime.fork(
            parent_id=process_info.process_id,
            root_pipeline_id=process_info.root_pipeline_id,
            pipeline_stack=process_info.pipeline_stack,
            from_to={target: destination_id for target in targets},
        )
    interrupter.check_point.handler_data.dispatch_processes = dispatch_processes
    interrupter.check(key_point)
    return dispatch_processes


def _stored_children(runtime, process_info: ProcessInfo, targets: List[str]) -> List[DispatchProcess]:
    """The children an earlier attempt of this fork stored, or [] (none, or not this fork's)."""
    children = runtime.get_unjoined_children(process_info.process_id)
    if not children:
        return []
    if sorted(child.node_id for child in children) != sorted(targets):
        logger.warning(
            "process(%s) has unjoined children at %s, not at this fork's targets %s: forking anew",
            process_info.process_id,
            sorted(child.node_id for child in children),
            sorted(targets),
        )
        return []
    logger.info("process(%s): sending the children an interrupted fork stored", process_info.process_id)
    return list(children)
