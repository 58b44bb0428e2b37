"""SubCanvas: the child pipeline starts with a copy of the parent context."""

from typing import Optional

from bamboo_engine.eri.models.handler import ExecuteResult
from bamboo_engine.eri.models.interrupt import ExecuteInterruptPoint
from bamboo_engine.eri.models.node import NodeType
from bamboo_engine.eri.models.node import SubCanvas as SubCanvasNode
from bamboo_engine.eri.models.runtime import ProcessInfo
from bamboo_engine.handler import NodeHandler, register_handler
from bamboo_engine.handlers._common import next_result
from bamboo_engine.handlers._stack import push_pipeline


@register_handler(NodeType.SubCanvas)
class SubCanvasHandler(NodeHandler):
    """No params: the whole parent context is copied to the child pipeline id."""

    node: SubCanvasNode

    def execute(
        self,
        process_info: ProcessInfo,
        loop: int,
        inner_loop: int,
        version: str,
        recover_point: Optional[ExecuteInterruptPoint] = None,
    ) -> ExecuteResult:
        node = self.node
        self.runtime.reset_children_state_inner_loop(node.id)
        self.runtime.copy_context_values_to_new_pipeline(node.parent_pipeline_id, node.id)
        push_pipeline(self.runtime, self.interrupter, process_info, node.id)
        return next_result(node.start_event_id)
