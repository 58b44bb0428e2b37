"""ExclusiveGateway: continue along exactly one flow chosen by the conditions."""

from typing import Optional

from bamboo_engine.eri.models.handler import ExecuteResult
from bamboo_engine.eri.models.interrupt import ExecuteInterruptPoint
from bamboo_engine.eri.models.node import ExclusiveGateway as ExclusiveGatewayNode
from bamboo_engine.eri.models.node import NodeType
from bamboo_engine.eri.models.runtime import ProcessInfo
from bamboo_engine.handler import NodeHandler, register_handler
from bamboo_engine.handlers._common import fail_node, finish_node, next_result
from bamboo_engine.handlers._conditions import (
    NO_CONDITION_MEET,
    ConditionEvaluationError,
    exclusive_strategy,
    meet_conditions,
)
from bamboo_engine.utils.constants import ExclusiveGatewayStrategy


@register_handler(NodeType.ExclusiveGateway)
class ExclusiveGatewayHandler(NodeHandler):
    """Evaluates the conditions with the ONLY or FIRST strategy."""

    node: ExclusiveGatewayNode

    def execute(
        self,
        process_info: ProcessInfo,
        loop: int,
        inner_loop: int,
        version: str,
        recover_point: Optional[ExecuteInterruptPoint] = None,
    ) -> ExecuteResult:
        node = self.node
        strategy = exclusive_strategy(self.runtime, node.extra_info)
        try:
            met = meet_conditions(
                self.runtime,
                node,
                process_info.top_pipeline_id,
                node.conditions,
                first_only=strategy == ExclusiveGatewayStrategy.FIRST,
            )
        except ConditionEvaluationError as err:
            return fail_node(self.runtime, node, version, str(err))

        if len(met) > 1:
            flow_ids = [condition.flow_id for condition in met]
            return fail_node(self.runtime, node, version, f"multiple conditions meet: {flow_ids}")
        if met:
            target = met[0].target_id
        elif node.default_condition is not None:
            target = node.default_condition.target_id
        else:
            return fail_node(self.runtime, node, version, NO_CONDITION_MEET)

        finish_node(self.runtime, node.id, version)
        return next_result(target)
