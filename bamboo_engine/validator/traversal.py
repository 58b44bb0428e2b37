"""Depth-first exploration of a tree: reachability, loop-back flows and a topological order."""

from typing import Dict, List, Optional, Set

from bamboo_engine.exceptions import IsolateNodeError, TreeInvalidException
from bamboo_engine.validator.graph import TreeGraph


class Exploration:
    """Result of one iterative depth-first walk from the start event.

    Attributes:
        preorder: node ids in the order they were first reached.
        back_flows: flows leading to a node on the current walk path (they close a cycle).
        first_cycle: node ids of the first cycle found (for the error message), or None.
        topo_index: position of each reached node in a topological order of the graph without
            back flows.
        forward_in: number of incoming non-back flows from reached nodes, per node.
    """

    def __init__(self, graph: TreeGraph):
        self.preorder: List[str] = []
        self.back_flows: Set[str] = set()
        self.first_cycle: Optional[List[str]] = None
        self.topo_index: Dict[str, int] = {}
        self._walk(graph)
        self.forward_in: Dict[str, int] = dict.fromkeys(graph.nodes, 0)
        target_of = graph.target_of
        for node_id in self.preorder:
            for flow_id in graph.outgoing[node_id]:
                if flow_id not in self.back_flows:
                    self.forward_in[target_of[flow_id]] += 1

    def _walk(self, graph: TreeGraph) -> None:
        start = graph.start_id
        on_path: Set[str] = {start}
        seen: Set[str] = {start}
        self.preorder.append(start)
        stack = [(start, iter(graph.outgoing[start]))]
        postorder: List[str] = []
        target_of = graph.target_of
        while stack:
            node_id, pending = stack[-1]
            flow_id = next(pending, None)
            if flow_id is None:
                stack.pop()
                on_path.discard(node_id)
                postorder.append(node_id)
                continue
            target = target_of[flow_id]
            if target in on_path:
                self.back_flows.add(flow_id)
                if self.first_cycle is None:
                    path = [entry[0] for entry in stack]
                    self.first_cycle = path[path.index(target) :] + [target]
            elif target not in seen:
                seen.add(target)
                on_path.add(target)
                self.preorder.append(target)
                stack.append((target, iter(graph.outgoing[target])))
        self.topo_index = {node_id: index for index, node_id in enumerate(reversed(postorder))}

    def reject_cycles(self, graph: TreeGraph) -> None:
        """Raise TreeInvalidException naming the first cycle, if any."""
        if self.first_cycle is not None:
            raise TreeInvalidException(
                f"pipeline {graph.tree_id} contains a cycle: {' -> '.join(self.first_cycle)} "
                "(pass cycle_tolerate=True to allow loops)"
            )

    def reject_isolated(self, graph: TreeGraph) -> None:
        """Raise IsolateNodeError naming every node the start event can not reach."""
        isolated = [node_id for node_id in graph.nodes if node_id not in self.topo_index]
        if isolated:
            raise IsolateNodeError(
                f"pipeline {graph.tree_id}: nodes {isolated} can not be reached from the start event"
            )


def reachable_from(graph: TreeGraph, node_id: str) -> Set[str]:
    """Every node reachable from ``node_id`` (itself included), following all flows."""
    reached, stack = {node_id}, [node_id]
    while stack:
        for flow_id in graph.outgoing[stack.pop()]:
            target = graph.target(flow_id)
            if target not in reached:
                reached.add(target)
                stack.append(target)
    return reached
