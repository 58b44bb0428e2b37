"""ExecutableEndEvent: run the registered end-event class, then end the pipeline as an EmptyEndEvent."""

import logging
import traceback
from typing import Optional

from bamboo_engine.eri.models.handler import ExecuteResult
from bamboo_engine.eri.models.interrupt import ExecuteInterruptPoint
from bamboo_engine.eri.models.node import ExecutableEndEvent as ExecutableEndEventNode
from bamboo_engine.eri.models.node import NodeType
from bamboo_engine.eri.models.runtime import ProcessInfo
from bamboo_engine.handler import register_handler
from bamboo_engine.handlers._common import count_exception, fail_node
from bamboo_engine.handlers.empty_end_event import EmptyEndEventHandler
from bamboo_engine.interrupt import ExecuteKeyPoint

logger = logging.getLogger("bamboo_engine")


@register_handler(NodeType.ExecutableEndEvent)
class ExecutableEndEventHandler(EmptyEndEventHandler):
    """An exception of the end-event class fails the node with its traceback as ex_data."""

    node: ExecutableEndEventNode

    def execute(
        self,
        process_info: ProcessInfo,
        loop: int,
        inner_loop: int,
        version: str,
        recover_point: Optional[ExecuteInterruptPoint] = None,
    ) -> ExecuteResult:
        recovered = recover_point.handler_data if recover_point is not None else None
        if recovered is not None and recovered.end_event_executed:
            failed, ex_data = recovered.end_event_execute_fail, recovered.end_event_execute_ex_data
        else:
            failed, ex_data = self._run_event(process_info)
        handler_data = self.interrupter.check_point.handler_data
        handler_data.end_event_executed = True
        handler_data.end_event_execute_fail = failed
        handler_data.end_event_execute_ex_data = ex_data
        self.interrupter.check(ExecuteKeyPoint.EXEC_EE_EVENT_EXECUTE_DONE)

        if failed:
            return fail_node(self.runtime, self.node, version, ex_data)
        return self._end_pipeline(process_info, inner_loop, version)

    def _run_event(self, process_info: ProcessInfo):
        """Run the end-event class once; returns ``(failed, ex_data)``."""
        try:
            event = self.runtime.get_executable_end_event(code=self.node.code)
            event.execute(
                pipeline_stack=list(process_info.pipeline_stack),
                root_pipeline_id=process_info.root_pipeline_id,
            )
        except Exception:
            count_exception(self.node, "execute")
            logger.exception("executable end event(%s) execute failed", self.node.id)
            return True, traceback.format_exc()
        return False, ""
