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


class NoSingleFlowError(Exception):
    """The conditions choose no flow, or more than one; ``str(error)`` is the node's ex_data."""


def chosen_target(runtime, node: ExclusiveGatewayNode, top_pipeline_id: str) -> str:
    """The node the gateway's conditions lead to now (reads only; a crash takeover asks it again).

    Raises:
        NoSingleFlowError: a condition could not be evaluated, none is met and there is no default flow,
            or (ONLY strategy) several are met.
    """
    strategy = exclusive_strategy(runtime, node.extra_info)
    try:
        met = meet_conditions(
            runtime,
            node,
            top_pipeline_id,
            node.conditions,
            first_only=strategy == ExclusiveGatewayStrategy.FIRST,
        )
    except ConditionEvaluationError as err:
        raise NoSingleFlowError(str(err)) from err
    if len(met) > 1:
        raise NoSingleFlowError(f"multiple conditions meet: {[condition.flow_id for condition in met]}")
    if met:
        return met[0].target_id
    if node.default_condition is not None:
        return node.default_condition.target_id
    raise NoSingleFlowError(NO_CONDITION_MEET)


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
        try:
            target = chosen_target(self.runtime, node, process_info.top_pipeline_id)
        except NoSingleFlowError as err:
            return fail_node(self.runtime, node, version, str(err))
        finish_node(self.runtime, node.id, version)
        return next_result(target)
