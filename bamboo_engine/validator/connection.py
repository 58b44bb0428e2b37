"""Connection rules: in/out degree and allowed targets of each node (rules.NODE_RULES)."""

from typing import List

from bamboo_engine.exceptions import ConnectionValidateError
from bamboo_engine.validator import rules
from bamboo_engine.validator.graph import TreeGraph


def _node_problems(graph: TreeGraph, node_id: str) -> List[str]:
    node_type = graph.types[node_id]
    # The end slot may hold a custom end-event type that nobody registered with add_sink_type.
    default = rules.SINK_RULE if node_id == graph.end_id else None
    rule = rules.NODE_RULES.get(node_type, default)
    if rule is None:
        return [f"{node_id}: no connection rule for type {node_type!r}"]
    problems = []
    for io_type, low, high in (("incoming", "min_in", "max_in"), ("outgoing", "min_out", "max_out")):
        count = len(getattr(graph, io_type)[node_id])
        if not rule[low] <= count <= rule[high]:
            problems.append(
                f"{node_id}: {node_type} needs {rule[low]}..{rule[high]} {io_type} flows, has {count}"
            )
    allowed = rule["allowed_out"]
    for flow_id in graph.outgoing[node_id]:
        target = graph.target_of[flow_id]
        target_type = graph.types[target]
        is_sink = target == graph.end_id and "EmptyEndEvent" in allowed
        if target_type not in allowed and not is_sink:
            problems.append(f"{node_id}: {node_type} can not lead to {target_type} {target} (flow {flow_id})")
    return problems


def check_connections(graph: TreeGraph) -> None:
    """Check every node against its rule.

    Raises:
        ConnectionValidateError: ``failed_nodes`` lists every offending node id, ``detail`` says why.
    """
    failed_nodes, details = [], []
    for node_id in graph.nodes:
        problems = _node_problems(graph, node_id)
        if problems:
            failed_nodes.append(node_id)
            details.extend(problems)
    if failed_nodes:
        raise ConnectionValidateError(failed_nodes, f"pipeline {graph.tree_id}: " + "; ".join(details))
