"""Node rules: the stored form of a node (its *detail*, a JSON object) and the one write after prepare.

Every runtime stores the detail :func:`node_to_detail` makes and builds the node back with
:func:`detail_to_node`, so a field that does not survive the trip is missing on every runtime alike. A
node does not change after ``prepare_run_pipeline`` except through ``update_node_loop_times`` (loop-enabled
nodes) and, outside the ERI, ``set_reserve_rollback`` (a reserved rollback sets ``reserve_rollback`` in the
stored detail of a running activity).
"""

import abc
import copy
from typing import Any, Dict, Optional

from bamboo_engine.eri.interfaces.node import NodeMixin
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
from bamboo_engine.eri.rules.storage import NODE, RuleStorage
from bamboo_engine.exceptions import InvalidOperationError
from bamboo_engine.retry_policy import parse_retry_policy

Detail = Dict[str, Any]

_OPTIONAL_FIELDS = (
    "code",
    "version",
    "error_ignorable",
    "extra_info",
    "converge_gateway_id",
    "start_event_id",
)


def _loop_config_detail(config: Optional[LoopControlConfig]) -> Optional[dict]:
    if config is None:
        return None
    return {
        "enable": True,
        "loop_times": config.loop_times,
        "fail_skip": config.fail_skip,
        "retryable": config.retryable,
        "skippable": config.skippable,
        "outputs_key": config.outputs_key,
    }


def _condition_detail(condition: Condition) -> dict:
    return {
        "name": condition.name,
        "evaluation": condition.evaluation,
        "target_id": condition.target_id,
        "flow_id": condition.flow_id,
    }


def node_to_detail(node: Node) -> Detail:
    """The stored detail (a JSON-compatible dict) of an ERI node."""
    detail: Detail = {
        "id": node.id,
        "type": node.type.value,
        "targets": dict(node.targets),
        "root_pipeline_id": node.root_pipeline_id,
        "parent_pipeline_id": node.parent_pipeline_id,
        "can_skip": node.can_skip,
        "can_retry": node.can_retry,
        "name": node.name,
        "reserve_rollback": node.reserve_rollback,
        "loop_config": _loop_config_detail(node.loop_config),
    }
    for attr in _OPTIONAL_FIELDS:
        if hasattr(node, attr):
            detail[attr] = getattr(node, attr)
    retry_policy = getattr(node, "retry_policy", None)
    if retry_policy is not None:
        detail["retry_policy"] = retry_policy.to_dict()
    if hasattr(node, "conditions"):
        detail["conditions"] = [_condition_detail(c) for c in node.conditions]
        default = getattr(node, "default_condition", None)
        detail["default_condition"] = (
            {"name": default.name, "target_id": default.target_id, "flow_id": default.flow_id}
            if default is not None
            else None
        )
    return detail


def _loop_config(detail: Optional[dict]) -> Optional[LoopControlConfig]:
    if not detail or not detail.get("enable", True):
        return None
    return LoopControlConfig(
        loop_times=detail.get("loop_times"),
        fail_skip=bool(detail.get("fail_skip", False)),
        retryable=bool(detail.get("retryable", False)),
        skippable=bool(detail.get("skippable", False)),
        outputs_key=detail.get("outputs_key") or LoopControlConfig.DEFAULT_OUTPUTS_KEY,
    )


def _conditions(detail: Detail) -> dict:
    default = detail.get("default_condition")
    extra_info = detail.get("extra_info")
    return {
        "conditions": [Condition(**c) for c in detail.get("conditions") or []],
        "default_condition": DefaultCondition(**default) if default else None,
        # A copy: the detail may be a runtime's cached one, and callers may change what they read.
        "extra_info": copy.deepcopy(extra_info) if extra_info else {},
    }


_SIMPLE = {
    NodeType.EmptyStartEvent: EmptyStartEvent,
    NodeType.EmptyEndEvent: EmptyEndEvent,
    NodeType.ConvergeGateway: ConvergeGateway,
}


def detail_to_node(detail: Detail) -> Node:
    """A new ERI node built from a stored detail (nothing of it is shared with ``detail``)."""
    node_type = NodeType(detail["type"])
    targets = detail.get("targets") or {}
    common = {
        "id": detail["id"],
        "type": node_type,
        "target_flows": list(targets.keys()),
        "target_nodes": list(targets.values()),
        "targets": dict(targets),
        "root_pipeline_id": detail["root_pipeline_id"],
        "parent_pipeline_id": detail["parent_pipeline_id"],
        "can_skip": detail.get("can_skip", True),
        "can_retry": detail.get("can_retry", True),
        "name": detail.get("name"),
        "reserve_rollback": detail.get("reserve_rollback", False),
        "loop_config": _loop_config(detail.get("loop_config")),
    }
    if node_type == NodeType.ServiceActivity:
        return ServiceActivity(
            code=detail["code"],
            version=detail["version"],
            error_ignorable=detail["error_ignorable"],
            retry_policy=parse_retry_policy(detail.get("retry_policy"), detail["id"]),
            **common,
        )
    if node_type in (NodeType.SubProcess, NodeType.SubCanvas):
        cls = SubProcess if node_type == NodeType.SubProcess else SubCanvas
        return cls(start_event_id=detail["start_event_id"], **common)
    if node_type == NodeType.ExclusiveGateway:
        return ExclusiveGateway(**_conditions(detail), **common)
    if node_type == NodeType.ConditionalParallelGateway:
        return ConditionalParallelGateway(
            converge_gateway_id=detail["converge_gateway_id"], **_conditions(detail), **common
        )
    if node_type == NodeType.ParallelGateway:
        return ParallelGateway(converge_gateway_id=detail["converge_gateway_id"], **common)
    if node_type == NodeType.ExecutableEndEvent:
        return ExecutableEndEvent(code=detail["code"], **common)
    return _SIMPLE[node_type](**common)


class NodeRules(NodeMixin, RuleStorage):
    """:class:`~bamboo_engine.eri.interfaces.NodeMixin` on a runtime's storage of details."""

    @abc.abstractmethod
    def _node_detail(self, node_id: str) -> Optional[Detail]:
        """The node's detail (the runtime may answer from a cache), or None; not to be changed."""

    @abc.abstractmethod
    def _stored_node_detail(self, node_id: str) -> Optional[Detail]:
        """The node's detail as stored now (never a cached copy), or None; the caller may change it."""

    @abc.abstractmethod
    def _save_node_detail(self, node_id: str, detail: Detail) -> None:
        """Store ``detail`` as the node's (and forget any cached copy)."""

    def get_node(self, node_id: str) -> Node:
        detail = self._node_detail(node_id)
        if detail is None:
            raise self._not_found(NODE, "node", node_id)
        return detail_to_node(detail)

    def update_node_loop_times(self, node_id: str, loop_times: int) -> None:
        """Set the loop times of a loop-enabled node.

        Raises:
            NotFoundError: no such node.
            InvalidOperationError: the node has no loop config.
        """
        detail = self._stored_node_detail(node_id)
        if detail is None:
            raise self._not_found(NODE, "node", node_id)
        if not detail.get("loop_config"):
            raise InvalidOperationError(f"node({node_id}) has no loop config, can not set its loop times")
        detail["loop_config"]["loop_times"] = loop_times
        self._save_node_detail(node_id, detail)

    def set_reserve_rollback(self, node_id: str, reserve: bool) -> None:
        """Set the node's ``reserve_rollback`` flag (not part of the ERI: the rollback rules call it).

        Written through :meth:`_save_node_detail`, so no copy a runtime keeps hides the change.

        Raises:
            NotFoundError: no such node.
        """
        detail = self._stored_node_detail(node_id)
        if detail is None:
            raise self._not_found(NODE, "node", node_id)
        if bool(detail.get("reserve_rollback", False)) == reserve:
            return
        detail["reserve_rollback"] = reserve
        self._save_node_detail(node_id, detail)
