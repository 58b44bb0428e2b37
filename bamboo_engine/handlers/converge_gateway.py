"""ConvergeGateway: where branches meet; continue with the single target."""

from typing import Optional

from bamboo_engine.eri.models.handler import ExecuteResult
from bamboo_engine.eri.models.interrupt import ExecuteInterruptPoint
from bamboo_engine.eri.models.node import NodeType
from bamboo_engine.eri.models.runtime import ProcessInfo
from bamboo_engine.handler import NodeHandler, register_handler
from bamboo_engine.handlers._common import finish_node, next_result


@register_handler(NodeType.ConvergeGateway)
class ConvergeGatewayHandler(NodeHandler):
    """Finishes and moves on (joining of forked children is done by the engine)."""

    def execute(
        self,
        process_info: ProcessInfo,
        loop: int,
        inner_loop: int,
        version: str,
        recover_point: Optional[ExecuteInterruptPoint] = None,
    ) -> ExecuteResult:
        finish_node(self.runtime, self.node.id, version)
        return next_result(self.node.target_nodes[0])
