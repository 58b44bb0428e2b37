"""Forking child processes for the parallel gateways, at most once per node version."""

from typing import List, Optional

from bamboo_engine.eri.models.interrupt import ExecuteInterruptPoint
from bamboo_engine.eri.models.runtime import DispatchProcess, ProcessInfo
from bamboo_engine.interrupt import ExecuteKeyPoint


def fork_children(
    runtime,
    interrupter,
    process_info: ProcessInfo,
    targets: List[str],
    destination_id: str,
    key_point: ExecuteKeyPoint,
    recover_point: Optional[ExecuteInterruptPoint] = None,
) -> List[DispatchProcess]:
    """Fork one child per target, all stopping at ``destination_id``; reuse an earlier attempt's fork."""
    recovered = recover_point.handler_data if recover_point is not None else None
    if recovered is not None and recovered.dispatch_processes:
        dispatch_processes = list(recovered.dispatch_processes)
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
