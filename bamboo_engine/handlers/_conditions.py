"""Evaluation of gateway conditions, shared by the condition gateways."""

import json
import logging
from typing import Any, Dict, List, Optional

from pyparsing import ParseBaseException

from bamboo_engine.context import ContextHydrateError, load_context_for_templates
from bamboo_engine.eri.models.node import Condition, Node
from bamboo_engine.exceptions import RenderInfrastructureError
from bamboo_engine.template import Template
from bamboo_engine.utils.constants import ExclusiveGatewayStrategy, RuntimeSettings
from bamboo_engine.utils.expr import default_expr_func
from bamboo_engine.utils.string import transform_escape_char

logger = logging.getLogger("bamboo_engine")

NO_CONDITION_MEET = "all conditions of branches are not meet"


class ConditionEvaluationError(Exception):
    """Evaluation failed; ``str(error)`` is the ex_data to record on the gateway."""


def evaluation_context(runtime, node: Node, pipeline_id: str, conditions: List[Condition]) -> Dict[str, Any]:
    """The deformatted, escape-fixed values the condition expressions reference.

    Raises:
        ConditionEvaluationError: hydrating the context failed.
    """
    expressions = [condition.evaluation for condition in conditions]
    context = load_context_for_templates(
        runtime, pipeline_id, expressions, root_pipeline_id=node.root_pipeline_id
    )
    try:
        hydrated = context.hydrate(deformat=True)
    except RenderInfrastructureError as err:
        raise ConditionEvaluationError(
            f"evaluation context hydrate failed(render infrastructure error: {err}), "
            "check node log for details."
        ) from err
    except ContextHydrateError as err:
        logger.warning("gateway(%s) evaluation context hydrate failed: %s", node.id, err)
        raise ConditionEvaluationError(
            f"evaluation context hydrate failed({err.error}), check node log for details."
        ) from err
    return {key: transform_escape_char(value) for key, value in hydrated.items()}


def exclusive_strategy(runtime, extra_info: Optional[dict]) -> ExclusiveGatewayStrategy:
    """The gateway's strategy: ``extra_info["strategy"]`` (name or value) else the runtime config.

    improve: upstream compares the name with the int value, so ``{"strategy": "FIRST"}`` never worked.
    """
    configured = (extra_info or {}).get("strategy")
    strategy = _as_strategy(configured)
    if strategy is None:
        strategy = _as_strategy(runtime.get_config(RuntimeSettings.PIPELINE_EXCLUSIVE_GATEWAY_STRATEGY.value))
    return strategy or ExclusiveGatewayStrategy.ONLY


def _as_strategy(value: Any) -> Optional[ExclusiveGatewayStrategy]:
    if isinstance(value, ExclusiveGatewayStrategy):
        return value
    if isinstance(value, str):
        name = value.strip().upper()
        if name in ExclusiveGatewayStrategy.__members__:
            return ExclusiveGatewayStrategy[name]
        value = int(name) if name.isdigit() else None
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return ExclusiveGatewayStrategy(value)
        except ValueError:
            return None
    return None


def meet_conditions(
    runtime, node: Node, pipeline_id: str, conditions: List[Condition], first_only: bool = False
) -> List[Condition]:
    """The conditions that hold, in order; with ``first_only`` stop at the first one.

    Raises:
        ConditionEvaluationError: the context or an expression could not be evaluated.
    """
    context = evaluation_context(runtime, node, pipeline_id, conditions)
    expr_func = (
        runtime.get_config(RuntimeSettings.PIPELINE_EXCLUSIVE_GATEWAY_EXPR_FUNC.value) or default_expr_func
    )
    extra_info = getattr(node, "extra_info", None) or {}
    met = []
    for condition in conditions:
        if _evaluate(expr_func, condition, context, extra_info):
            met.append(condition)
            if first_only:
                break
    return met


def _evaluate(expr_func, condition: Condition, context: Dict[str, Any], extra_info: dict) -> bool:
    expression = condition.evaluation
    try:
        rendered = Template(expression).render(context)
    except RenderInfrastructureError as err:
        raise ConditionEvaluationError(
            f"evaluate[{expression}] fail with data[{_dump(context)}] message: "
            f"render infrastructure error: {err}"
        ) from err
    try:
        return bool(expr_func(rendered, context, extra_info=extra_info))
    except ParseBaseException as err:
        raise ConditionEvaluationError(
            f"evaluate[{expression}] fail with data[{_dump(context)}] message: "
            f"rendered expression [{rendered}] is not valid boolrule syntax at char {err.loc}; "
            "see the bamboo_engine.utils.boolrule documentation for the condition grammar"
        ) from err
    except Exception as err:
        raise ConditionEvaluationError(
            f"evaluate[{expression}] fail with data[{_dump(context)}] message: {err}"
        ) from err


def _dump(context: Dict[str, Any]) -> str:
    return json.dumps(context, ensure_ascii=False, default=str)
