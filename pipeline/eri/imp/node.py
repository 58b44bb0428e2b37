"""NodeMixin: node definitions stored as ``Node.detail`` JSON.

Nodes do not change after ``prepare_run_pipeline`` except the loop times of loop-enabled nodes
(``update_node_loop_times``). Details of nodes without a loop are therefore cached per worker process
(an LRU keyed by node id); loop-enabled nodes are always read from the database, so a change made by
another worker is seen at once.
"""

import json
import threading
from collections import OrderedDict
from typing import Any, Dict, Optional

from django.db.models import Subquery

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
from bamboo_engine.exceptions import InvalidOperationError
from bamboo_engine.metrics import ENGINE_RUNTIME_NODE_READ_TIME, setup_histogram
from pipeline.conf import settings
from pipeline.eri.imp._db import not_found
from pipeline.eri.models import Node as NodeModel

_cache: "OrderedDict[str, Dict[str, Any]]" = OrderedDict()
_cache_lock = threading.Lock()


def clear_node_cache() -> None:
    """Forget every cached node detail."""
    with _cache_lock:
        _cache.clear()


def _cached(node_id: str) -> Optional[Dict[str, Any]]:
    with _cache_lock:
        detail = _cache.get(node_id)
        if detail is not None:
            _cache.move_to_end(node_id)
        return detail


def _remember(node_id: str, detail: Dict[str, Any]) -> None:
    if detail.get("loop_config"):
        return
    limit = settings.BAMBOO_DJANGO_ERI_NODE_CACHE_SIZE
    with _cache_lock:
        _cache[node_id] = detail
        while len(_cache) > limit:
            _cache.popitem(last=False)


def _load_run_of(node_id: str) -> Dict[str, Any]:
    """Read ``node_id`` together with every node of its run (one query), caching what may be cached.

    The engine visits most nodes of a run, usually in the same worker process: loading them at the
    first miss turns one query per node into one query per run and worker.
    """
    root_of_node = NodeModel.objects.filter(node_id=node_id).values("root_pipeline_id")[:1]
    rows = (
        NodeModel.objects.filter(root_pipeline_id=Subquery(root_of_node))
        .exclude(root_pipeline_id="")
        .values_list("node_id", "detail")[: settings.BAMBOO_DJANGO_ERI_NODE_CACHE_SIZE]
    )
    found = None
    for row_node_id, text in rows:
        detail = json.loads(text)
        _remember(row_node_id, detail)
        if row_node_id == node_id:
            found = detail
    if found is not None:
        return found
    # Rows written without a root id, or a run larger than the cache: read the node alone.
    text = NodeModel.objects.filter(node_id=node_id).values_list("detail", flat=True).first()
    if text is None:
        raise not_found(NodeModel, "node", node_id)
    return json.loads(text)


# -- Node <-> detail ------------------------------------------------------------------------------


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


def node_to_detail(node: Node) -> Dict[str, Any]:
    """The ``Node.detail`` JSON object of an ERI node."""
    detail: Dict[str, Any] = {
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
    for attr in ("code", "version", "error_ignorable", "extra_info", "converge_gateway_id", "start_event_id"):
        if hasattr(node, attr):
            detail[attr] = getattr(node, attr)
    if hasattr(node, "conditions"):
        detail["conditions"] = [_condition_detail(c) for c in node.conditions]  # type: ignore[attr-defined]
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


def _conditions(detail: dict) -> dict:
    default = detail.get("default_condition")
    return {
        "conditions": [Condition(**c) for c in detail.get("conditions") or []],
        "default_condition": DefaultCondition(**default) if default else None,
        "extra_info": detail.get("extra_info") or {},
    }


def detail_to_node(detail: Dict[str, Any]) -> Node:
    """Build the ERI node described by a ``Node.detail`` JSON object."""
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
    simple = {
        NodeType.EmptyStartEvent: EmptyStartEvent,
        NodeType.EmptyEndEvent: EmptyEndEvent,
        NodeType.ConvergeGateway: ConvergeGateway,
    }
    return simple[node_type](**common)


class NodeMixin:
    """Read nodes (cached per worker when they cannot change)."""

    @setup_histogram(ENGINE_RUNTIME_NODE_READ_TIME)
    def get_node(self, node_id: str) -> Node:
        detail = _cached(node_id)
        if detail is None:
            detail = _load_run_of(node_id)
        # A fresh object per call: callers may keep or change what they read.
        return detail_to_node(detail)

    def update_node_loop_times(self, node_id: str, loop_times: int):
        text = NodeModel.objects.filter(node_id=node_id).values_list("detail", flat=True).first()
        if text is None:
            raise not_found(NodeModel, "node", node_id)
        detail = json.loads(text)
        if not detail.get("loop_config"):
            raise InvalidOperationError(f"node({node_id}) has no loop config, can not set its loop times")
        detail["loop_config"]["loop_times"] = loop_times
        NodeModel.objects.filter(node_id=node_id).update(detail=json.dumps(detail))
        with _cache_lock:
            _cache.pop(node_id, None)
