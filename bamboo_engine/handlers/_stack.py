"""Entering a child pipeline (SubProcess/SubCanvas): push it on the process stack once."""

from bamboo_engine.eri.models.runtime import ProcessInfo
from bamboo_engine.interrupt import ExecuteKeyPoint


def push_pipeline(runtime, interrupter, process_info: ProcessInfo, pipeline_id: str) -> None:
    """Push ``pipeline_id`` unless an interrupted earlier attempt already did."""
    stack = list(process_info.pipeline_stack)
    if not stack or stack[-1] != pipeline_id:
        runtime.set_pipeline_stack(process_info.process_id, stack + [pipeline_id])
    interrupter.check_point.handler_data.pipeline_stack_setted = True
    interrupter.check(ExecuteKeyPoint.SP_SET_PIPELINE_STACK_DONE)
