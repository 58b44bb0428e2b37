"""Small directed graphs: cycle detection, and the graph a rollback walks.

:class:`Graph` finds a cycle of a directed graph (used to cut loops before planning a rollback).
:class:`RollbackGraph` is the graph of the nodes a rollback visits, stored with each rollback as
``{"nodes": [...], "flows": [[source, target], ...]}`` (:meth:`RollbackGraph.as_dict`); its edges point in
the order the nodes are rolled back.
"""

from typing import Any, Dict, Iterable, List, Optional, Sequence, Set


class Graph:
    """A directed graph over ``nodes`` with the edges ``flows`` (``[source, target]`` pairs).

    Args:
        nodes: the node ids, in the order the cycle search starts from them.
        flows: the edges; both ends must be among ``nodes``.
    """

    def __init__(self, nodes: Sequence[Any], flows: Iterable[Sequence[Any]]) -> None:
        self.nodes = nodes
        self.flows = flows
        self.path: List[Any] = []
        self.last_visited_node: Any = ""
        self.graph: Dict[Any, List[Any]] = {node: [] for node in self.nodes}
        for source, target in self.flows:
            self.graph[source].append(target)

    def has_cycle(self) -> bool:
        """Whether the graph has a cycle; :attr:`path` then ends with one (see :meth:`get_cycle`)."""
        self.path = []
        done: Set[Any] = set()
        return any(node not in done and self._walk_from(node, done) for node in self.nodes)

    def _walk_from(self, root: Any, done: Set[Any]) -> bool:
        """Depth-first walk from ``root``; True once an edge leads back onto the current path.

        Iterative, so a long chain of nodes does not hit the recursion limit. On a cycle :attr:`path`
        holds the walk's current path followed by the node the closing edge leads to.
        """
        on_path: Set[Any] = {root}
        self.path = [root]
        self.last_visited_node = root
        pending = [iter(self.graph.get(root, ()))]
        while pending:
            neighbor = next(pending[-1], None)
            if neighbor is None:
                pending.pop()
                finished = self.path.pop()
                on_path.discard(finished)
                done.add(finished)
                continue
            if neighbor in on_path:
                self.path.append(neighbor)
                return True
            if neighbor in done:
                continue
            self.last_visited_node = neighbor
            self.path.append(neighbor)
            on_path.add(neighbor)
            pending.append(iter(self.graph.get(neighbor, ())))
        return False

    def get_cycle(self) -> List[Any]:
        """One cycle as a closed walk (``[a, b, c, a]``), or ``[]`` when the graph has none."""
        if not self.has_cycle():
            return []
        closing = self.path[-1]
        return self.path[self.path.index(closing) :]


class RollbackGraph(Graph):
    """A graph that grows node by node and edge by edge, as a rollback plan is built.

    Args:
        nodes: initial node ids (the list is used as is and grows with :meth:`add_node`).
        flows: initial ``[source, target]`` edges (used as is, grows with :meth:`add_edge`).
    """

    def __init__(self, nodes: Optional[List[Any]] = None, flows: Optional[List[List[Any]]] = None) -> None:
        nodes = nodes if nodes is not None else []
        flows = flows if flows is not None else []
        super().__init__(nodes, flows)
        self.nodes: List[Any] = nodes
        self.flows: List[List[Any]] = flows
        self.edges = self.build_edges()

    def build_edges(self) -> Dict[Any, Set[Any]]:
        """``{source: {targets}}`` of :attr:`flows`."""
        edges: Dict[Any, Set[Any]] = {}
        for source, target in self.flows:
            edges.setdefault(source, set()).add(target)
        return edges

    def add_node(self, node: Any) -> None:
        if node not in self.nodes:
            self.nodes.append(node)
            self.graph[node] = []

    def add_edge(self, source: Any, target: Any) -> None:
        self.flows.append([source, target])
        self.edges.setdefault(source, set()).add(target)
        self.graph.setdefault(source, []).append(target)

    def next(self, node: Any) -> Set[Any]:
        """The targets of ``node``'s edges (an empty set for a node without any)."""
        return self.edges.get(node, set())

    def reverse(self) -> "RollbackGraph":
        """A new graph with the same nodes and every edge turned around."""
        reversed_graph = RollbackGraph(nodes=list(self.nodes))
        for source, target in self.flows:
            reversed_graph.add_edge(target, source)
        return reversed_graph

    def in_degrees(self) -> Dict[Any, int]:
        """``{node: number of distinct sources of edges into it}``."""
        ingress = {node: 0 for node in self.nodes}
        for targets in self.edges.values():
            for target in targets:
                ingress[target] = ingress.get(target, 0) + 1
        return ingress

    def topological_order(self) -> List[Any]:
        """Every node after all the nodes with an edge into it (ties in :attr:`nodes` order).

        Raises:
            ValueError: the graph has a cycle, so no such order exists.
        """
        ingress = self.in_degrees()
        position = {node: index for index, node in enumerate(self.nodes)}

        def placed(node: Any) -> int:
            return position.get(node, len(position))

        ready = sorted((node for node, count in ingress.items() if count == 0), key=placed)
        order: List[Any] = []
        while ready:
            node = ready.pop(0)
            order.append(node)
            for target in sorted(self.next(node), key=placed):
                ingress[target] -= 1
                if ingress[target] == 0:
                    ready.append(target)
            ready.sort(key=placed)
        if len(order) != len(self.nodes):
            raise ValueError(f"the graph has a cycle: {self.get_cycle()}")
        return order

    def as_dict(self) -> Dict[str, List[Any]]:
        """``{"nodes": [...], "flows": [[source, target], ...]}``: the stored form."""
        return {"nodes": self.nodes, "flows": self.flows}
