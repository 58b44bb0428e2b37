"""Index a pipeline tree for validation, rejecting structurally broken trees.

Everything here reads the tree without modifying it; the normalised incoming/outgoing flow lists are
kept in the index so the validator can annotate the tree only after every check passed.
"""

from typing import Dict, List, Set

from bamboo_engine.exceptions import TreeInvalidException

REQUIRED_TREE_KEYS = ("id", "start_event", "end_event", "activities", "gateways", "flows", "data")
ACTIVITY_TYPES = frozenset({"ServiceActivity", "SubProcess", "SubCanvas"})
SUBPIPELINE_TYPES = frozenset({"SubProcess", "SubCanvas"})
FORKING_GATEWAYS = frozenset({"ParallelGateway", "ConditionalParallelGateway"})
CONDITION_GATEWAYS = frozenset({"ExclusiveGateway", "ConditionalParallelGateway"})
DIVERGING_GATEWAYS = FORKING_GATEWAYS | {"ExclusiveGateway"}
CONVERGE_GATEWAY = "ConvergeGateway"
GATEWAY_TYPES = DIVERGING_GATEWAYS | {CONVERGE_GATEWAY}
START_EVENT = "EmptyStartEvent"


class TreeGraph:
    """Read-only index of one (sub)pipeline tree.

    Attributes:
        tree: the tree dict.
        tree_id: the tree id.
        nodes: ``{node_id: node dict}`` of every event, activity and gateway.
        types: ``{node_id: node type}``.
        start_id / end_id: ids of the start and end events.
        incoming / outgoing: ``{node_id: [flow ids]}`` normalised to lists.
        flows: the tree's ``{flow_id: flow}``.
        target_of: ``{flow_id: target node id}`` (the walks read it once per flow: a plain dict lookup).
    """

    def __init__(self, tree: dict, seen_ids: Set[str]):
        _check_top_level(tree)
        self.tree = tree
        self.tree_id: str = tree["id"]
        self.flows: Dict[str, dict] = tree["flows"]
        self.target_of: Dict[str, str] = {}
        self.nodes: Dict[str, dict] = {}
        self.types: Dict[str, str] = {}
        self.start_id: str = self._add_node(tree["start_event"], "start_event", seen_ids)
        self.end_id: str = self._add_node(tree["end_event"], "end_event", seen_ids)
        for slot in ("activities", "gateways"):
            for key, node in tree[slot].items():
                node_id = self._add_node(node, slot, seen_ids)
                if node_id != key:
                    raise TreeInvalidException(f"{slot} key {key} holds a node whose id is {node_id}")
        _check_node_types(self)
        _check_flows(self, seen_ids)
        self.incoming: Dict[str, List[str]] = {}
        self.outgoing: Dict[str, List[str]] = {}
        _index_flow_lists(self)
        _check_conditions(self)

    def _add_node(self, node, slot: str, seen_ids: Set[str]) -> str:
        if not isinstance(node, dict):
            raise TreeInvalidException(
                f"pipeline {self.tree_id}: {slot} entry must be an object, got {node!r}"
            )
        for key in ("id", "type", "incoming", "outgoing"):
            if key not in node:
                raise TreeInvalidException(
                    f"pipeline {self.tree_id}: node {node.get('id')} in {slot} has no {key!r}"
                )
        node_id = node["id"]
        if not isinstance(node_id, str) or not node_id:
            raise TreeInvalidException(
                f"pipeline {self.tree_id}: node id {node_id!r} in {slot} is not a string"
            )
        if node_id in seen_ids:
            raise TreeInvalidException(f"duplicate id {node_id} (pipeline {self.tree_id}, {slot})")
        seen_ids.add(node_id)
        self.nodes[node_id] = node
        self.types[node_id] = node["type"]
        return node_id

    def target(self, flow_id: str) -> str:
        return self.target_of[flow_id]

    def source(self, flow_id: str) -> str:
        return self.flows[flow_id]["source"]


def _check_top_level(tree) -> None:
    if not isinstance(tree, dict):
        raise TreeInvalidException(f"pipeline tree must be an object, got {type(tree).__name__}")
    missing = [key for key in REQUIRED_TREE_KEYS if key not in tree]
    if missing:
        raise TreeInvalidException(f"pipeline {tree.get('id')} misses top-level keys {missing}")
    for key in ("activities", "gateways", "flows"):
        if not isinstance(tree[key], dict):
            raise TreeInvalidException(f"pipeline {tree['id']}: {key!r} must be an object keyed by id")


def _check_node_types(graph: TreeGraph) -> None:
    def reject(node_id: str, where: str) -> None:
        node_type = graph.types[node_id]
        raise TreeInvalidException(
            f"pipeline {graph.tree_id}: node {node_id} has unknown {where} type {node_type!r}"
        )

    if graph.types[graph.start_id] != START_EVENT:
        reject(graph.start_id, "start event")
    end_type = graph.types[graph.end_id]
    # Any custom string names an executable end event; only the other built-in kinds are wrong here.
    if not isinstance(end_type, str) or end_type in ACTIVITY_TYPES | GATEWAY_TYPES | {START_EVENT}:
        reject(graph.end_id, "end event")
    for node_id in graph.tree["activities"]:
        if graph.types[node_id] not in ACTIVITY_TYPES:
            reject(node_id, "activity")
        if graph.types[node_id] in SUBPIPELINE_TYPES and not isinstance(
            graph.nodes[node_id].get("pipeline"), dict
        ):
            raise TreeInvalidException(f"{graph.types[node_id]} {node_id} has no child 'pipeline' tree")
    for node_id in graph.tree["gateways"]:
        if graph.types[node_id] not in GATEWAY_TYPES:
            reject(node_id, "gateway")


def _check_flows(graph: TreeGraph, seen_ids: Set[str]) -> None:
    for flow_id, flow in graph.flows.items():
        if not isinstance(flow, dict) or flow.get("id") != flow_id:
            raise TreeInvalidException(
                f"pipeline {graph.tree_id}: flow {flow_id} must be an object with id {flow_id}"
            )
        if flow_id in seen_ids:
            raise TreeInvalidException(f"duplicate id {flow_id} (pipeline {graph.tree_id}, flows)")
        seen_ids.add(flow_id)
        for end in ("source", "target"):
            if flow.get(end) not in graph.nodes:
                raise TreeInvalidException(
                    f"pipeline {graph.tree_id}: flow {flow_id} has unknown {end} node {flow.get(end)!r}"
                )
        graph.target_of[flow_id] = flow["target"]


def _flow_list(graph: TreeGraph, node_id: str, io_type: str) -> List[str]:
    value = graph.nodes[node_id][io_type]
    if isinstance(value, str):
        flow_ids = [value] if value else []
    elif isinstance(value, list):
        flow_ids = list(value)
        if len(flow_ids) > 1 and len(set(flow_ids)) != len(flow_ids):
            raise TreeInvalidException(f"node {node_id}: {io_type} lists a flow twice: {flow_ids}")
    else:
        raise TreeInvalidException(f"node {node_id}: {io_type} must be a flow id or a list, got {value!r}")
    end = "source" if io_type == "outgoing" else "target"
    flows = graph.flows
    for flow_id in flow_ids:
        flow = flows.get(flow_id)
        if flow is None:
            raise TreeInvalidException(f"node {node_id}: {io_type} lists unknown flow {flow_id!r}")
        if flow[end] != node_id:
            raise TreeInvalidException(
                f"node {node_id}: {io_type} lists flow {flow_id} whose {end} is {flow[end]}, not {node_id}"
            )
    return flow_ids


def _index_flow_lists(graph: TreeGraph) -> None:
    listed_in = listed_out = 0
    for node_id in graph.nodes:
        graph.incoming[node_id] = _flow_list(graph, node_id, "incoming")
        graph.outgoing[node_id] = _flow_list(graph, node_id, "outgoing")
        listed_in += len(graph.incoming[node_id])
        listed_out += len(graph.outgoing[node_id])
    # A flow can only be listed by its own source/target, once: equal counts mean every flow is listed.
    if listed_in == listed_out == len(graph.flows):
        return
    listed = {"incoming": graph.incoming, "outgoing": graph.outgoing}
    for flow_id, flow in graph.flows.items():
        for io_type, end in (("outgoing", "source"), ("incoming", "target")):
            if flow_id not in listed[io_type][flow[end]]:
                raise TreeInvalidException(
                    f"flow {flow_id} ({flow['source']} -> {flow['target']}) "
                    f"is missing from {io_type} of {flow[end]}"
                )


def _check_conditions(graph: TreeGraph) -> None:
    for node_id in graph.tree["gateways"]:
        if graph.types[node_id] not in CONDITION_GATEWAYS:
            continue
        node, outgoing = graph.nodes[node_id], set(graph.outgoing[node_id])
        conditions = node.get("conditions", {})
        if not isinstance(conditions, dict):
            raise TreeInvalidException(f"gateway {node_id}: conditions must be an object keyed by flow id")
        for flow_id, condition in conditions.items():
            if flow_id not in outgoing:
                raise TreeInvalidException(
                    f"gateway {node_id}: condition for flow {flow_id} which is not outgoing"
                )
            if not isinstance(condition, dict) or "evaluate" not in condition:
                raise TreeInvalidException(
                    f"gateway {node_id}: condition of flow {flow_id} has no 'evaluate'"
                )
        default_flow = (node.get("default_condition") or {}).get("flow_id")
        if default_flow is not None and default_flow not in outgoing:
            raise TreeInvalidException(
                f"gateway {node_id}: default condition flow {default_flow} is not outgoing"
            )
