"""Public validator entry points."""

from typing import List

from bamboo_engine.exceptions import StartPositionInvalidException
from bamboo_engine.prepare.gc import cyclic_gc_paused
from bamboo_engine.validator import rules
from bamboo_engine.validator.analysis import TreeAnalysis, analyse_recursively
from bamboo_engine.validator.graph import TreeGraph
from bamboo_engine.validator.traversal import reachable_from

__all__ = [
    "validate_and_process_pipeline",
    "validate_pipeline_start_node",
    "get_allowed_start_node_ids",
    "get_skipped_execute_node_ids",
    "add_sink_type",
]


def add_sink_type(node_type: str):
    """Register a custom end-event type: it follows the sink rule and may be the target of any node."""
    rules.NODE_RULES[node_type] = rules.SINK_RULE
    if node_type not in rules.FLOW_NODES_WITHOUT_STARTEVENT:
        rules.FLOW_NODES_WITHOUT_STARTEVENT.append(node_type)


def validate_and_process_pipeline(pipeline: dict, cycle_tolerate=False):
    """Validate a pipeline tree and its sub-pipelines, then annotate them in place.

    Every tree is checked before any is modified. Annotation turns ``incoming`` of activities,
    gateways and end events into lists and adds ``converge_gateway_id`` to matched gateways.

    Args:
        pipeline: the root pipeline tree.
        cycle_tolerate: allow loops (flows back to an earlier node).

    Raises:
        TreeInvalidException: broken structure (missing keys, unknown ids or types, duplicate ids,
            inconsistent flows) or a cycle when not tolerated.
        ConnectionValidateError: a node breaks its in/out degree or target rule.
        ConvergeMatchError: gateway branches do not meet at a matching converge gateway.
        StreamValidateError: nodes of different parallel branches are linked.
        IsolateNodeError: a node can not be reached from the start event.
    """
    with cyclic_gc_paused():
        analyses = analyse_recursively(pipeline, cycle_tolerate, set())
        for analysis in analyses:
            analysis.annotate()


def get_allowed_start_node_ids(pipeline_tree) -> List[str]:
    """Ids of the nodes a run may start at: the start event and main-line nodes.

    Nodes inside exclusive branches are allowed; nodes inside parallel branches or sub-pipelines,
    converge gateways and the end event are not.
    """
    return TreeAnalysis(pipeline_tree, cycle_tolerate=True).allowed_start_node_ids()


def validate_pipeline_start_node(pipeline: dict, node_id: str):
    """Raise StartPositionInvalidException unless ``node_id`` is an allowed start node."""
    if node_id == pipeline.get("start_event", {}).get("id"):
        # The start event is always allowed: skip a second whole-tree analysis on every run.
        return
    allowed = get_allowed_start_node_ids(pipeline)
    if node_id not in allowed:
        raise StartPositionInvalidException(
            f"node {node_id} is not an allowed start position of pipeline {pipeline.get('id')}; "
            f"allowed: {allowed}"
        )


def get_skipped_execute_node_ids(pipeline_tree, start_node_id, validate=True) -> List[str]:
    """Ids of the top-level nodes a run starting at ``start_node_id`` bypasses (cannot reach).

    Args:
        validate: first check that ``start_node_id`` is an allowed start node.
    """
    if validate:
        validate_pipeline_start_node(pipeline_tree, start_node_id)
    graph = TreeGraph(pipeline_tree, set())
    if start_node_id not in graph.nodes:
        raise StartPositionInvalidException(f"node {start_node_id} is not in pipeline {graph.tree_id}")
    reached = reachable_from(graph, start_node_id)
    return [node_id for node_id in _ordered_nodes(graph) if node_id not in reached]


def _ordered_nodes(graph: TreeGraph) -> List[str]:
    """All node ids, those reachable from the start event first in walk order."""
    ordered, seen, stack = [], set(), [graph.start_id]
    while stack:
        node_id = stack.pop()
        if node_id in seen:
            continue
        seen.add(node_id)
        ordered.append(node_id)
        stack.extend(graph.target(flow_id) for flow_id in reversed(graph.outgoing[node_id]))
    ordered.extend(node_id for node_id in graph.nodes if node_id not in seen)
    return ordered
