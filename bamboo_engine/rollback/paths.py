"""The graph of a rollback: which nodes ran between the target and the start node, in which order.

Planned from the stored nodes that ran (have a state) only, so a branch an exclusive gateway did not
take is not part of it. Loops are cut first: an edge leading back to a node on the current walk is
dropped, as a run's later passes overwrite its earlier ones.
"""

from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Set, Tuple

from bamboo_engine.eri.models.node import Node, NodeType
from bamboo_engine.exceptions import RollbackError
from bamboo_engine.rollback.constants import END_FLAG, START_FLAG
from bamboo_engine.utils.graph import RollbackGraph

_END_EVENTS = frozenset({NodeType.EmptyEndEvent, NodeType.ExecutableEndEvent})
_CHILD_PIPELINES = frozenset({NodeType.SubProcess, NodeType.SubCanvas})
_FORKS = frozenset({NodeType.ParallelGateway, NodeType.ConditionalParallelGateway})


@dataclass
class RollbackPath:
    """A planned rollback.

    Attributes:
        graph: START → start node → ... → target → END: every edge goes from a node to one that ran
            before it, so a topological order is the order of the rollbacks.
        order: the nodes of the graph in rollback order (start node first, target last; no flags).
        other_nodes: nodes that ran on the way (gateways, events, subprocess nodes, activities off the
            way to the start node): their runs are cleared too, without a rollback.
        fork_depth: how many parallel gateways the way from the target to the start node enters and
            does not leave (the start node's process descends that many forks from the target's).
    """

    graph: RollbackGraph
    order: List[str]
    other_nodes: List[str]
    fork_depth: int

    @property
    def cleared(self) -> List[str]:
        """Every node whose run the rollback clears."""
        return self.order + self.other_nodes


def successors(node: Node, nodes: Dict[str, Node], root_pipeline_id: str) -> List[str]:
    """Where a run goes after ``node``: into a subprocess, out of one at its end event, or on."""
    if node.type in _CHILD_PIPELINES:
        return [node.start_event_id]  # type: ignore[attr-defined]
    if node.type in _END_EVENTS and node.parent_pipeline_id != root_pipeline_id:
        parent = nodes.get(node.parent_pipeline_id)
        return list(parent.target_nodes) if parent is not None else []
    return list(node.target_nodes)


def walk_forward(
    nodes: Dict[str, Node], root_pipeline_id: str, origin: str, stop_at: Optional[str] = None
) -> Tuple[List[str], Dict[str, List[str]]]:
    """Depth-first walk over the nodes that ran, from ``origin``, not past ``stop_at``.

    Returns:
        The nodes reached (walk order) and the edges walked, without the edges that close a loop.
    """
    reached: List[str] = [origin]
    edges: Dict[str, List[str]] = {origin: []}
    on_walk = {origin}
    pending = [(origin, iter(_next_of(origin, nodes, root_pipeline_id, stop_at)))]
    while pending:
        node_id, targets = pending[-1]
        target = next(targets, None)
        if target is None:
            pending.pop()
            on_walk.discard(node_id)
            continue
        if target in on_walk:
            continue  # closes a loop
        edges[node_id].append(target)
        if target in edges:
            continue
        reached.append(target)
        edges[target] = []
        on_walk.add(target)
        pending.append((target, iter(_next_of(target, nodes, root_pipeline_id, stop_at))))
    return reached, edges


def _next_of(
    node_id: str, nodes: Dict[str, Node], root_pipeline_id: str, stop_at: Optional[str]
) -> List[str]:
    if node_id == stop_at:
        return []
    return [t for t in successors(nodes[node_id], nodes, root_pipeline_id) if t in nodes]


def reaching(edges: Dict[str, List[str]], goal: str) -> Set[str]:
    """The nodes of ``edges`` from which ``goal`` can be reached (``goal`` included)."""
    incoming: Dict[str, List[str]] = {}
    for source, targets in edges.items():
        for target in targets:
            incoming.setdefault(target, []).append(source)
    found, pending = {goal}, [goal]
    while pending:
        for source in incoming.get(pending.pop(), []):
            if source not in found:
                found.add(source)
                pending.append(source)
    return found


def plan_path(nodes: Dict[str, Node], root_pipeline_id: str, start_id: str, target_id: str) -> RollbackPath:
    """Plan the rollback from ``start_id`` back to ``target_id`` over ``nodes`` (the nodes that ran).

    Raises:
        RollbackError: the start node is not reached from the target through nodes that ran, or the
            target ran in a parallel branch that was already left on the way to the start node.
    """
    reached, edges = walk_forward(nodes, root_pipeline_id, target_id, stop_at=start_id)
    if start_id not in edges:
        raise RollbackError(
            f"rollback refused: start node {start_id} is not reached from target node {target_id} through "
            "nodes that ran (the target ran after the start node, or on another branch)"
        )
    on_way = reaching(edges, start_id)
    rolled_back = [n for n in reached if n in on_way and _is_rolled_back(nodes[n], start_id, target_id)]
    graph = _rollback_graph(nodes, edges, on_way, rolled_back, start_id, target_id)
    order = [str(n) for n in graph.topological_order() if n not in (START_FLAG, END_FLAG)]
    return RollbackPath(
        graph=graph,
        order=order,
        other_nodes=[n for n in reached if n not in set(rolled_back)],
        fork_depth=_fork_depth(nodes, edges, on_way, start_id, target_id),
    )


def _is_rolled_back(node: Node, start_id: str, target_id: str) -> bool:
    return node.type == NodeType.ServiceActivity or node.id in (start_id, target_id)


def _rollback_graph(
    nodes: Dict[str, Node],
    edges: Dict[str, List[str]],
    on_way: Set[str],
    rolled_back: List[str],
    start_id: str,
    target_id: str,
) -> RollbackGraph:
    """START → start → ... → target → END over ``rolled_back``; other nodes of the way are passed through."""
    members = set(rolled_back)
    graph = RollbackGraph(nodes=[START_FLAG, *reversed(rolled_back), END_FLAG])
    graph.add_edge(START_FLAG, start_id)
    for source in rolled_back:
        for later in _next_members(source, edges, on_way, members):
            graph.add_edge(later, source)
    graph.add_edge(target_id, END_FLAG)
    return graph


def _next_members(source: str, edges: Dict[str, List[str]], on_way: Set[str], members: Set[str]) -> List[str]:
    """The members that ran right after ``source`` (only non-members of the way in between)."""
    found: List[str] = []
    seen: Set[str] = set()
    pending = [t for t in edges[source] if t in on_way]
    while pending:
        node_id = pending.pop()
        if node_id in seen:
            continue
        seen.add(node_id)
        if node_id in members:
            found.append(node_id)
        else:
            pending.extend(t for t in edges[node_id] if t in on_way)
    return sorted(found)


def _fork_depth(
    nodes: Dict[str, Node], edges: Dict[str, List[str]], on_way: Set[str], start_id: str, target_id: str
) -> int:
    """Forks entered and not left on one way from the target to the start node (every way agrees).

    Raises:
        RollbackError: the way leaves a parallel branch it did not enter (the target's branch ended).
    """
    joins = {node.converge_gateway_id for node in nodes.values() if node.type in _FORKS}  # type: ignore[attr-defined]
    depth = 0
    for node_id in _one_way(edges, on_way, start_id, target_id)[:-1]:
        if node_id in joins:
            depth -= 1
            if depth < 0:
                raise RollbackError(
                    f"rollback refused: target node {target_id} ran in a parallel branch that ended at "
                    f"converge gateway {node_id} before start node {start_id}; roll back within the "
                    "branch, or to a node before its parallel gateway"
                )
        if nodes[node_id].type in _FORKS:
            depth += 1
    return depth


def _one_way(edges: Dict[str, List[str]], on_way: Set[str], start_id: str, target_id: str) -> List[str]:
    """The nodes of one way from ``target_id`` to ``start_id`` (both included)."""
    came_from: Dict[str, str] = {}
    pending, seen = [target_id], {target_id}
    while pending:
        node_id = pending.pop(0)
        if node_id == start_id:
            break
        for target in edges[node_id]:
            if target in on_way and target not in seen:
                seen.add(target)
                came_from[target] = node_id
                pending.append(target)
    way = [start_id]
    while way[-1] != target_id:
        way.append(came_from[way[-1]])
    return list(reversed(way))


def nodes_reaching(
    nodes: Dict[str, Node], root_pipeline_id: str, goal: str, candidates: Iterable[str]
) -> List[str]:
    """The ``candidates`` (in their order) from which ``goal`` is reached through nodes that ran."""
    found = []
    for candidate in candidates:
        if candidate == goal or candidate not in nodes:
            continue
        _, edges = walk_forward(nodes, root_pipeline_id, candidate, stop_at=goal)
        if goal in edges:
            found.append(candidate)
    return found
