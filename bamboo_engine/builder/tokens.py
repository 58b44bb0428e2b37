"""Tree walking helpers used by rollback: token regions and cycle removal.

A *token* names the region a node runs in: the main line of a pipeline is one region, and every branch
of a Parallel/ConditionalParallel gateway is a new region (nested gateways nest regions). A diverging
gateway and its converge gateway belong to the enclosing region; exclusive branches keep the region of
their gateway; the child tree of a subprocess has regions of its own. Rollback in TOKEN mode is only
allowed between nodes that share a token.
"""

from typing import Dict, List, Set

from bamboo_engine.utils.string import unique_id


def _as_list(flow_ids) -> List[str]:
    if isinstance(flow_ids, str):
        return [flow_ids] if flow_ids else []
    return list(flow_ids or [])


def _get_all_nodes(tree: dict, with_subprocess: bool = False) -> Dict[str, dict]:
    """``{node_id: node}`` of the tree's events, activities and gateways.

    Args:
        with_subprocess: also include the nodes of SubProcess/SubCanvas child trees, recursively.
    """
    nodes = {tree["start_event"]["id"]: tree["start_event"], tree["end_event"]["id"]: tree["end_event"]}
    nodes.update(tree["activities"])
    nodes.update(tree["gateways"])
    if with_subprocess:
        for activity in tree["activities"].values():
            if "pipeline" in activity:
                nodes.update(_get_all_nodes(activity["pipeline"], with_subprocess=True))
    return nodes


def _get_next_node(node: dict, tree: dict) -> List[dict]:
    """The nodes that ``node``'s outgoing flows lead to, in outgoing order."""
    nodes = _get_all_nodes(tree)
    return [nodes[tree["flows"][flow_id]["target"]] for flow_id in _as_list(node["outgoing"])]


def _delete_flow_id_from_node_io(node: dict, flow_id: str, io_type: str) -> dict:
    """Remove ``flow_id`` from ``node[io_type]`` (``"incoming"`` or ``"outgoing"``), string or list form."""
    value = node[io_type]
    if isinstance(value, str):
        if value == flow_id:
            node[io_type] = ""
    elif flow_id in value:
        value.remove(flow_id)
    return node


def _acyclic_flow(tree: dict) -> List[str]:
    """Ids of the flows that close a cycle (back edges of a depth-first walk from the start event)."""
    nodes = _get_all_nodes(tree)
    flows = tree["flows"]
    start_id = tree["start_event"]["id"]
    on_stack: Set[str] = {start_id}
    done: Set[str] = set()
    stack = [(start_id, iter(_as_list(nodes[start_id]["outgoing"])))]
    back_flows = []
    while stack:
        node_id, pending = stack[-1]
        flow_id = next(pending, None)
        if flow_id is None:
            stack.pop()
            on_stack.discard(node_id)
            done.add(node_id)
            continue
        target = flows[flow_id]["target"]
        if target in on_stack:
            back_flows.append(flow_id)
        elif target not in done:
            on_stack.add(target)
            stack.append((target, iter(_as_list(nodes[target]["outgoing"]))))
    return back_flows


def _acyclic(tree: dict) -> dict:
    """Remove the flows found by :func:`_acyclic_flow` from the tree (in place) and return it."""
    nodes = _get_all_nodes(tree)
    for flow_id in _acyclic_flow(tree):
        flow = tree["flows"].pop(flow_id)
        _delete_flow_id_from_node_io(nodes[flow["source"]], flow_id, "outgoing")
        _delete_flow_id_from_node_io(nodes[flow["target"]], flow_id, "incoming")
    return tree


def _streams(tree: dict):
    # Imported here: the validator is only needed by these rollback helpers, not by build_tree.
    from bamboo_engine.validator.analysis import TreeAnalysis

    return TreeAnalysis(tree, cycle_tolerate=True).matcher


def _within(stream: int, region: int, stream_parent: Dict[int, int]) -> bool:
    while stream != region:
        if stream not in stream_parent:
            return False
        stream = stream_parent[stream]
    return True


def inject_pipeline_token(node, tree, node_token_map, token):
    """Assign ``token`` to the region of ``node`` from ``node`` on, and new tokens to regions inside it.

    Regions come from the validator's stream analysis (the tree must be valid; loops are allowed):
    the walk follows flows from ``node`` but never leaves its region (it stops at the enclosing
    converge gateway), and nodes already in ``node_token_map`` are neither changed nor walked past.

    Args:
        node: node id (or node dict) to start from.
        tree: the pipeline tree.
        node_token_map: ``{node_id: token}`` filled in place.
        token: the token of ``node``'s region.
    """
    matcher = _streams(tree)
    nodes, flows, stream_of = _get_all_nodes(tree), tree["flows"], matcher.stream_of
    node_id = node["id"] if isinstance(node, dict) else node
    region = stream_of[node_id]
    tokens = {region: token}
    pending = [node_id]
    while pending:
        current = pending.pop()
        stream = stream_of[current]
        if current in node_token_map or not _within(stream, region, matcher.stream_parent):
            continue
        if stream not in tokens:
            tokens[stream] = unique_id("t")
        node_token_map[current] = tokens[stream]
        pending.extend(flows[flow_id]["target"] for flow_id in _as_list(nodes[current]["outgoing"]))


def generate_pipeline_token(tree: dict) -> Dict[str, str]:
    """``{node_id: token}`` for every node of the tree and of its subprocesses: one token per region.

    A SubProcess/SubCanvas node belongs to the region it runs in; the nodes of its child tree get regions
    of their own (the child's main line is a new region), so a subprocess is never in the region of the
    nodes around it.
    """
    node_token_map: Dict[str, str] = {}
    inject_pipeline_token(tree["start_event"]["id"], tree, node_token_map, unique_id("t"))
    for activity in tree["activities"].values():
        if "pipeline" in activity:
            node_token_map.update(generate_pipeline_token(activity["pipeline"]))
    return node_token_map
