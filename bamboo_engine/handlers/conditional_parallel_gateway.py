"""ConditionalParallelGateway: fork one child process per flow whose condition holds."""

from typing import List, Optional

from bamboo_engine.eri.models.handler import ExecuteResult
from bamboo_engine.eri.models.interrupt import ExecuteInterruptPoint
from bamboo_engine.eri.models.node import ConditionalParallelGateway as ConditionalParallelGatewayNode
from bamboo_engine.eri.models.node import NodeType
from bamboo_engine.eri.models.runtime import ProcessInfo
from bamboo_engine.handler import NodeHandler, register_handler
from bamboo_engine.handlers._common import fail_node, finish_node, sleep_result
from bamboo_engine.handlers._conditions import NO_CONDITION_MEET, ConditionEvaluationError, meet_conditions
from bamboo_engine.handlers._fork import fork_children
from bamboo_engine.interrupt import ExecuteKeyPoint


@register_handler(NodeType.ConditionalParallelGateway)
class ConditionalParallelGatewayHandler(NodeHandler):
    """Evaluates every condition; the default flow is taken only when none holds."""

    node: ConditionalParallelGatewayNode

    def execute(
        self,
        process_info: ProcessInfo,
        loop: int,
        inner_loop: int,
        version: str,
        recover_point: Optional[ExecuteInterruptPoint] = None,
    ) -> ExecuteResult:
        node = self.node
        recovered = recover_point.handler_data if recover_point is not None else None
        targets: List[str] = []
        # Conditions are only evaluated when the fork has not happened yet (its targets are fixed).
        if recovered is None or not recovered.dispatch_processes:
            try:
                met = meet_conditions(self.runtime, node, process_info.top_pipeline_id, node.conditions)
            except ConditionEvaluationError as err:
                return fail_node(self.runtime, node, version, str(err))
            targets = [condition.target_id for condition in met]
            if not targets and node.default_condition is not None:
                targets = [node.default_condition.target_id]
            if not targets:
                return fail_node(self.runtime, node, version, NO_CONDITION_MEET)

        dispatch_processes = fork_children(
            self.runtime,
            self.interrupter,
            process_info,
            targets=targets,
            destination_id=node.converge_gateway_id,
            key_point=ExecuteKeyPoint.CPG_PROCESS_FORK_DONE,
            recover_point=recover_point,
        )
        finish_node(self.runtime, node.id, version)
        return sleep_result(dispatch_processes)
