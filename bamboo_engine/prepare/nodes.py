"""Tree node dict → ERI ``Node`` (part of the tree → records translation of :mod:`bamboo_engine.prepare`)."""

from typing import Any, Dict, List, Optional

from bamboo_engine.eri.models.node import (
    Condition,
    ConditionalParallelGateway,
    ConvergeGateway,
    DefaultCondition,
    EmptyEndEvent,
    EmptyStartEvent,
    ExclusiveGateway,
    ExecutableEndEvent,
    LoopControlConfig,
    Node,
    NodeType,
    ParallelGateway,
    ServiceActivity,
    SubCanvas,
    SubProcess,
)
from bamboo_engine.exceptions import TreeInvalidException
from bamboo_engine.retry_policy import parse_retry_policy

LEGACY_VERSION = "legacy"
# Read once: an enum member's ``.value`` is a descriptor call, and build_node runs per node.
_EMPTY_END_EVENT = NodeType.EmptyEndEvent.value


def _outgoing(node_dict: dict) -> List[str]:
    outgoing = node_dict.get("outgoing") or []
    return [outgoing] if isinstance(outgoing, str) else list(outgoing)


def _flow_target(tree: dict, node_id: str, flow_id: str) -> str:
    return _target_in(tree.get("flows") or {}, node_id, flow_id)


def _target_in(flows: dict, node_id: str, flow_id: str) -> str:
    flow = flows.get(flow_id)
    if flow is None:
        raise TreeInvalidException(
            f"node({node_id}) refers to flow({flow_id}) which is not in the tree's flows"
        )
    return flow["target"]


def build_node(node_dict: dict, tree: dict, root_id: str, pipeline_id: str) -> Node:
    """Build the ERI node of one tree node (``pipeline_id`` = the tree containing it)."""
    node_id = node_dict["id"]
    target_flows = _outgoing(node_dict)
    flows = tree.get("flows") or {}
    targets = {flow_id: _target_in(flows, node_id, flow_id) for flow_id in target_flows}
    common: Dict[str, Any] = {
        "id": node_id,
        "target_flows": target_flows,
        "target_nodes": [targets[f] for f in target_flows],
        "targets": targets,
        "root_pipeline_id": root_id,
        "parent_pipeline_id": pipeline_id,
        "name": node_dict.get("name"),
        "reserve_rollback": bool(node_dict.get("reserve_rollback", False)),
    }
    node_type = node_dict.get("type")
    if node_id == tree["end_event"]["id"] and node_type != _EMPTY_END_EVENT:
        return ExecutableEndEvent(
            code=str(node_type), type=NodeType.ExecutableEndEvent, can_skip=False, **common
        )
    builder = _NODE_BUILDERS.get(node_type)  # type: ignore[arg-type]
    if builder is None:
        raise TreeInvalidException(f"node({node_id}) has unknown type {node_type!r}")
    return builder(node_dict, tree, common)


def _build_activity(node_dict: dict, tree: dict, common: dict) -> Node:
    component = node_dict.get("component") or {}
    if "code" not in component:
        raise TreeInvalidException(f"activity({common['id']}) has no component code")
    return ServiceActivity(
        code=component["code"],
        version=component.get("version") or LEGACY_VERSION,
        error_ignorable=bool(node_dict.get("error_ignorable", False)),
        retry_policy=parse_retry_policy(node_dict.get("retry_policy"), common["id"]),
        type=NodeType.ServiceActivity,
        can_skip=bool(node_dict.get("skippable", True)),
        can_retry=bool(node_dict.get("retryable", True)),
        loop_config=_loop_config(node_dict.get("loop_config")),
        **common,
    )


def _loop_config(config: Optional[dict]) -> Optional[LoopControlConfig]:
    if not config or not config.get("enable"):
        return None
    return LoopControlConfig(
        loop_times=config.get("loop_times"),
        fail_skip=bool(config.get("fail_skip", False)),
        retryable=bool(config.get("retryable", False)),
        skippable=bool(config.get("skippable", False)),
        outputs_key=config.get("outputs_key") or LoopControlConfig.DEFAULT_OUTPUTS_KEY,
    )


def _conditions(node_dict: dict, tree: dict) -> List[Condition]:
    conditions = []
    for flow_id, condition in (node_dict.get("conditions") or {}).items():
        if not isinstance(condition, dict) or "evaluate" not in condition:
            raise TreeInvalidException(
                f"gateway({node_dict['id']}) condition of flow({flow_id}) has no 'evaluate'"
            )
        target = _flow_target(tree, node_dict["id"], flow_id)
        conditions.append(
            Condition(name=flow_id, evaluation=condition["evaluate"], target_id=target, flow_id=flow_id)
        )
    return conditions


def _default_condition(node_dict: dict, tree: dict) -> Optional[DefaultCondition]:
    flow_id = (node_dict.get("default_condition") or {}).get("flow_id")
    if not flow_id:
        return None
    return DefaultCondition(
        name=flow_id, target_id=_flow_target(tree, node_dict["id"], flow_id), flow_id=flow_id
    )


def _converge_gateway_id(node_dict: dict) -> str:
    converge_id = node_dict.get("converge_gateway_id")
    if not converge_id:
        raise TreeInvalidException(
            f"gateway({node_dict['id']}) has no converge_gateway_id; validate the tree before preparing it"
        )
    return converge_id


def _build_exclusive(node_dict: dict, tree: dict, common: dict) -> Node:
    return ExclusiveGateway(
        conditions=_conditions(node_dict, tree),
        default_condition=_default_condition(node_dict, tree),
        extra_info=node_dict.get("extra_info") or {},
        type=NodeType.ExclusiveGateway,
        can_skip=True,
        **common,
    )


def _build_conditional_parallel(node_dict: dict, tree: dict, common: dict) -> Node:
    return ConditionalParallelGateway(
        conditions=_conditions(node_dict, tree),
        converge_gateway_id=_converge_gateway_id(node_dict),
        default_condition=_default_condition(node_dict, tree),
        extra_info=node_dict.get("extra_info") or {},
        type=NodeType.ConditionalParallelGateway,
        can_skip=False,
        **common,
    )


def _build_parallel(node_dict: dict, tree: dict, common: dict) -> Node:
    return ParallelGateway(
        converge_gateway_id=_converge_gateway_id(node_dict),
        type=NodeType.ParallelGateway,
        can_skip=False,
        **common,
    )


def _build_sub_pipeline(node_dict: dict, tree: dict, common: dict) -> Node:
    child = node_dict.get("pipeline")
    if not isinstance(child, dict) or "start_event" not in child:
        raise TreeInvalidException(f"{node_dict['type']}({common['id']}) has no child 'pipeline' tree")
    cls = SubProcess if node_dict["type"] == NodeType.SubProcess.value else SubCanvas
    return cls(
        start_event_id=child["start_event"]["id"], type=NodeType(node_dict["type"]), can_skip=False, **common
    )


def _simple(cls, node_type: NodeType, can_skip: bool):
    def build(node_dict: dict, tree: dict, common: dict) -> Node:
        return cls(type=node_type, can_skip=can_skip, **common)

    return build


_NODE_BUILDERS = {
    NodeType.EmptyStartEvent.value: _simple(EmptyStartEvent, NodeType.EmptyStartEvent, True),
    NodeType.EmptyEndEvent.value: _simple(EmptyEndEvent, NodeType.EmptyEndEvent, False),
    NodeType.ConvergeGateway.value: _simple(ConvergeGateway, NodeType.ConvergeGateway, False),
    NodeType.ParallelGateway.value: _build_parallel,
    NodeType.ExclusiveGateway.value: _build_exclusive,
    NodeType.ConditionalParallelGateway.value: _build_conditional_parallel,
    NodeType.ServiceActivity.value: _build_activity,
    NodeType.SubProcess.value: _build_sub_pipeline,
    NodeType.SubCanvas.value: _build_sub_pipeline,
}
