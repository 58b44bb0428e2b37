"""``build_tree`` turns a chain of builder elements into a pipeline tree; rollback token helpers."""

from collections import deque
from typing import Dict, List, Optional

from bamboo_engine.builder.flow.activity import ServiceActivity, SubCanvas, SubProcess
from bamboo_engine.builder.flow.event import EmptyEndEvent, EmptyStartEvent, ExecutableEndEvent
from bamboo_engine.builder.flow.gateway import ConditionGateway
from bamboo_engine.builder.tokens import (
    _acyclic,
    _acyclic_flow,
    _delete_flow_id_from_node_io,
    _get_all_nodes,
    _get_next_node,
    generate_pipeline_token,
    inject_pipeline_token,
)
from bamboo_engine.exceptions import TreeInvalidException
from bamboo_engine.retry_policy import RetryPolicy
from bamboo_engine.utils.string import unique_id

__all__ = [
    "build_tree",
    "generate_pipeline_token",
    "inject_pipeline_token",
    "_get_next_node",
    "_get_all_nodes",
    "_delete_flow_id_from_node_io",
    "_acyclic",
    "_acyclic_flow",
]

_END_EVENTS = (EmptyEndEvent, ExecutableEndEvent)
_ACTIVITIES = (ServiceActivity, SubProcess, SubCanvas)


def _data_dict(data) -> dict:
    if data is None:
        return {"inputs": {}, "outputs": []}
    return data.to_dict() if hasattr(data, "to_dict") else data


def _new_tree(tree_id: Optional[str], data) -> dict:
    return {
        "id": tree_id or unique_id("p"),
        "start_event": {},
        "end_event": {},
        "activities": {},
        "gateways": {},
        "flows": {},
        "data": _data_dict(data),
    }


def _collect_elements(start_elem) -> List:
    """Breadth-first list of the elements reachable from ``start_elem``, each once."""
    ordered, seen, queue = [], {start_elem.id}, deque([start_elem])
    while queue:
        element = queue.popleft()
        ordered.append(element)
        for target in element.outgoing:
            if target.id not in seen:
                seen.add(target.id)
                queue.append(target)
    return ordered


def _link_flows(elements: List, tree: dict):
    """Create one flow per outgoing edge; return ``{element_id: (incoming, outgoing)}`` flow id lists."""
    links: Dict[str, tuple] = {element.id: ([], []) for element in elements}
    for element in elements:
        for target in element.outgoing:
            flow_id = unique_id("f")
            tree["flows"][flow_id] = {
                "id": flow_id,
                "source": element.id,
                "target": target.id,
                "is_default": False,
            }
            links[element.id][1].append(flow_id)
            links[target.id][0].append(flow_id)
    return links


def _single(flow_ids: List[str]):
    # Nodes with one outgoing flow store it as a string; a wrong count is left for the validator to report.
    if len(flow_ids) == 1:
        return flow_ids[0]
    return flow_ids if flow_ids else ""


def _activity_node(element, node: dict, outgoing: List[str]) -> dict:
    node["outgoing"] = _single(outgoing)
    if isinstance(element, ServiceActivity):
        node.update(
            error_ignorable=element.error_ignorable,
            timeout=element.timeout,
            skippable=element.skippable,
            retryable=element.retryable,
            optional=False,
            component=element.component_dict(),
        )
        if element.retry_policy is not None:
            policy = element.retry_policy
            node["retry_policy"] = policy.to_dict() if isinstance(policy, RetryPolicy) else dict(policy)
        return node
    if isinstance(element, SubProcess):
        params = element.params
        node["params"] = params.to_dict() if hasattr(params, "to_dict") else params
    if element.start is None:
        raise TreeInvalidException(f"{element.type()} {element.id} has no start element")
    node["pipeline"] = build_tree(element.start, id=element.id, data=element.data)
    return node


def _gateway_node(element, node: dict, outgoing: List[str]) -> dict:
    if element.type() == "ConvergeGateway":
        node["outgoing"] = _single(outgoing)
        return node
    node["outgoing"] = outgoing
    if isinstance(element, ConditionGateway):
        node["conditions"] = element.link_conditions_with(outgoing)
        node["default_condition"] = element.link_default_condition_with(outgoing)
    return node


def _place(element, links, tree: dict) -> None:
    incoming, outgoing = links[element.id]
    node = {"id": element.id, "name": element.name, "type": element.type(), "incoming": incoming}
    if isinstance(element, EmptyStartEvent):
        slot = "start_event"
        node.update(incoming="", outgoing=_single(outgoing))
    elif isinstance(element, _END_EVENTS):
        slot = "end_event"
        node["outgoing"] = _single(outgoing)
    elif isinstance(element, _ACTIVITIES):
        tree["activities"][element.id] = _activity_node(element, node, outgoing)
        return
    else:
        tree["gateways"][element.id] = _gateway_node(element, node, outgoing)
        return
    if tree[slot]:
        raise TreeInvalidException(
            f"pipeline {tree['id']} has two {slot}s: {tree[slot]['id']} and {element.id}"
        )
    tree[slot] = node


def build_tree(start_elem, id=None, data=None):  # noqa: A002 - upstream's published signature
    """Build the pipeline tree of the elements reachable from ``start_elem``.

    Args:
        start_elem: an :class:`EmptyStartEvent`.
        id: tree id; defaults to ``unique_id("p")``.
        data: ``Data``, a data dict, or None for empty data.

    Returns:
        The pipeline tree dict (docs/builder.md); SubProcess/SubCanvas children are built
        recursively with their node id as tree id.

    Raises:
        TreeInvalidException: ``start_elem`` is not a start event, no end event is reachable, more
            than one is, or a sub-pipeline element has no start.
    """
    if not isinstance(start_elem, EmptyStartEvent):
        raise TreeInvalidException(f"build_tree needs an EmptyStartEvent to start from, got {start_elem!r}")
    tree = _new_tree(id, data)
    elements = _collect_elements(start_elem)
    links = _link_flows(elements, tree)
    for element in elements:
        _place(element, links, tree)
    if not tree["end_event"]:
        raise TreeInvalidException(f"pipeline {tree['id']} has no end event reachable from {start_elem.id}")
    return tree
