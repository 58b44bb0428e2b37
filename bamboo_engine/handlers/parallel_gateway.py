"""ParallelGateway: fork one child process per outgoing flow."""

from typing import Optional

from bamboo_engine.eri.models.handler import ExecuteResult
from bamboo_engine.eri.models.interrupt import ExecuteInterruptPoint
from bamboo_engine.eri.models.node import NodeType
from bamboo_engine.eri.models.node import ParallelGateway as ParallelGatewayNode
from bamboo_engine.eri.models.runtime import ProcessInfo
from bamboo_engine.handler import NodeHandler, register_handler
from bamboo_engine.handlers._common import finish_node, sleep_result
from bamboo_engine.handlers._fork import fork_children
from bamboo_engine.interrupt import ExecuteKeyPoint


@register_handler(NodeType.ParallelGateway)
class ParallelGatewayHandler(NodeHandler):
    """Children run until they reach the converge gateway; the parent sleeps until they all did."""

    node: ParallelGatewayNode

    def execute(
        self,
        process_info: ProcessInfo,
        loop: int,
        inner_loop: int,
        version: str,
        recover_point: Optional[ExecuteInterruptPoint] = None,
    ) -> ExecuteResult:
        node = self.node
        dispatch_processes = fork_children(
            self.runtime,
            self.interrupter,
            process_info,
            targets=list(node.target_nodes),
            destination_id=node.converge_gateway_id,
            key_point=ExecuteKeyPoint.PG_PROCESS_FORK_DONE,
            recover_point=recover_point,
        )
        finish_node(self.runtime, node.id, version)
        return sleep_result(dispatch_processes)
