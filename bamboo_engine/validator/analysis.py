"""One validation pass over a tree (and its sub-pipelines), kept apart from annotating the tree."""

from typing import List, Optional, Set

from bamboo_engine.retry_policy import check_retry_policy_node
from bamboo_engine.validator.connection import check_connections
from bamboo_engine.validator.gateway import ROOT_STREAM, GatewayMatcher
from bamboo_engine.validator.graph import (
    ACTIVITY_TYPES,
    CONVERGE_GATEWAY,
    GATEWAY_TYPES,
    SUBPIPELINE_TYPES,
    TreeGraph,
)
from bamboo_engine.validator.traversal import Exploration

# Node types whose ``incoming`` the annotation turns into a list (besides the end event).
_WITH_INCOMING_LIST = ACTIVITY_TYPES | GATEWAY_TYPES


class TreeAnalysis:
    """The checked facts about one (sub)pipeline tree.

    Raises (from the constructor): TreeInvalidException and its subclasses, see
    :func:`bamboo_engine.validator.api.validate_and_process_pipeline`.
    """

    def __init__(self, tree: dict, cycle_tolerate: bool, seen_ids: Optional[Set[str]] = None):
        self.graph = TreeGraph(tree, seen_ids if seen_ids is not None else set())
        check_connections(self.graph)
        self.exploration = Exploration(self.graph)
        if not cycle_tolerate:
            self.exploration.reject_cycles(self.graph)
        self.matcher = GatewayMatcher(self.graph, self.exploration).run()
        self.exploration.reject_isolated(self.graph)

    def allowed_start_node_ids(self) -> List[str]:
        """Main-line nodes (exclusive branches included), without converge gateways and the end event."""
        types, stream_of = self.graph.types, self.matcher.stream_of
        return [
            node_id
            for node_id in self.exploration.preorder
            if stream_of.get(node_id) == ROOT_STREAM
            and types[node_id] != CONVERGE_GATEWAY
            and node_id != self.graph.end_id
        ]

    def annotate(self) -> None:
        """Normalise ``incoming`` to lists and write ``converge_gateway_id`` on matched gateways."""
        graph, tree = self.graph, self.graph.tree
        types, incoming = graph.types, graph.incoming
        for node_id, node in graph.nodes.items():
            if node_id != graph.start_id and (
                types[node_id] in _WITH_INCOMING_LIST or node_id == graph.end_id
            ):
                node["incoming"] = list(incoming[node_id])
        for gateway_id, converge_id in self.matcher.converge_of.items():
            tree["gateways"][gateway_id]["converge_gateway_id"] = converge_id


def analyse_recursively(tree: dict, cycle_tolerate: bool, seen_ids: Set[str]) -> List[TreeAnalysis]:
    """Analyse ``tree`` and every SubProcess/SubCanvas child tree below it (ids unique across all)."""
    analyses = [TreeAnalysis(tree, cycle_tolerate, seen_ids)]
    index = 0
    while index < len(analyses):
        graph = analyses[index].graph
        for node_id, node in graph.tree["activities"].items():
            if node.get("retry_policy") is not None:
                check_retry_policy_node(node, graph.types[node_id])
            if graph.types[node_id] in SUBPIPELINE_TYPES:
                analyses.append(TreeAnalysis(node["pipeline"], cycle_tolerate, seen_ids))
        index += 1
    return analyses
