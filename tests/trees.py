"""Reusable pipeline trees for engine, validator and benchmark tests.

Builder-made trees are the benchmark's workloads (benchmark/scenarios.py); :func:`make_tree` hand-builds
small (possibly invalid) trees from an edge list for validator tests.
"""

from types import SimpleNamespace
from typing import Dict, Iterable, Optional, Sequence, Tuple

from bamboo_engine.builder import (
    ConvergeGateway,
    Data,
    DataInput,
    EmptyEndEvent,
    EmptyStartEvent,
    ExclusiveGateway,
    ParallelGateway,
    Params,
    ServiceActivity,
    SubProcess,
    Var,
    build_tree,
)


def _debug_act(name: str, component_code: str) -> ServiceActivity:
    act = ServiceActivity(component_code=component_code, name=name)
    act.component.inputs.param_1 = Var(type=Var.SPLICE, value="${constant_1}")
    act.component.inputs.param_2 = Var(type=Var.SPLICE, value="${constant_2}")
    return act


def normal_pipeline_elements(component_code: str = "debug_node") -> SimpleNamespace:
    """Scenario A ("17-node" pipeline) as builder elements plus the built tree (attribute ``tree``).

    ``start → act_1 → act_2 → sub → pg ⇉ (act_3, act_4, act_5) ⇉ cg_1 → eg ⇉ (act_6, act_7) ⇉ cg_2 → end``;
    ``sub``: ``sub_start → sub_act_1 → sub_act_2 → sub_end``. At run time ``eg`` takes ``act_6``.
    """
    e = SimpleNamespace()
    e.sub_start, e.sub_end = EmptyStartEvent(name="sub_start"), EmptyEndEvent(name="sub_end")
    e.sub_act_1, e.sub_act_2 = (
        _debug_act("sub_act_1", component_code),
        _debug_act("sub_act_2", component_code),
    )
    e.sub_start.extend(e.sub_act_1).extend(e.sub_act_2).extend(e.sub_end)
    sub_data = Data()
    sub_data.inputs["${constant_1}"] = DataInput(type=Var.PLAIN, value="default_value")
    sub_data.inputs["${constant_2}"] = DataInput(type=Var.PLAIN, value="default_value")
    params = Params(
        {
            "${constant_1}": Var(type=Var.SPLICE, value="${constant_1}"),
            "${constant_2}": Var(type=Var.SPLICE, value="${constant_2}"),
        }
    )
    e.sub = SubProcess(start=e.sub_start, data=sub_data, params=params, name="sub")

    e.start, e.end = EmptyStartEvent(name="start"), EmptyEndEvent(name="end")
    for index in range(1, 8):
        setattr(e, f"act_{index}", _debug_act(f"act_{index}", component_code))
    e.pg, e.cg_1, e.cg_2 = (
        ParallelGateway(name="pg"),
        ConvergeGateway(name="cg_1"),
        ConvergeGateway(name="cg_2"),
    )
    e.eg = ExclusiveGateway(conditions={0: '"${constant_1}" == "value_1"', 1: "True == False"}, name="eg")
    e.start.extend(e.act_1).extend(e.act_2).extend(e.sub).extend(e.pg).connect(
        e.act_3, e.act_4, e.act_5
    ).converge(e.cg_1).extend(e.eg).connect(e.act_6, e.act_7).converge(e.cg_2).extend(e.end)

    root_data = Data()
    root_data.inputs["${constant_1}"] = Var(type=Var.PLAIN, value="value_1")
    root_data.inputs["${constant_2}"] = Var(type=Var.PLAIN, value="value_2")
    e.tree = build_tree(e.start, data=root_data)
    return e


def normal_pipeline(component_code: str = "debug_node") -> dict:
    """The Scenario A tree (14 top-level elements + 4 in the subprocess)."""
    return normal_pipeline_elements(component_code).tree


def parallel_pipeline(
    branch_nums: int = 100, branch_length: int = 10, component_code: str = "debug_node"
) -> dict:
    """Scenario B: ``start → pg → branch_nums × branch_length activities → cg → end`` (no inputs)."""
    start, pg, cg, end = EmptyStartEvent(), ParallelGateway(), ConvergeGateway(), EmptyEndEvent()
    first_acts = []
    for _ in range(branch_nums):
        acts = [ServiceActivity(component_code=component_code) for _ in range(branch_length)]
        for previous, following in zip(acts, acts[1:], strict=False):
            previous.connect(following)
        first_acts.append(acts[0])
    start.extend(pg).connect(*first_acts).converge(cg).extend(end)
    return build_tree(start)


def linear_pipeline(
    node_count: int, component_code: str = "empty_node", tree_id: Optional[str] = None
) -> dict:
    """``start → node_count activities → end``; Scenario C is ``linear_pipeline(1)``."""
    start = EmptyStartEvent()
    tail = start
    for _ in range(node_count):
        tail = tail.extend(ServiceActivity(component_code=component_code))
    tail.extend(EmptyEndEvent())
    return build_tree(start, id=tree_id)


def one_node_pipeline(component_code: str = "empty_node") -> dict:
    """Scenario C: ``start → one activity → end``."""
    return linear_pipeline(1, component_code)


_PREFIX_TYPES = (
    ("start", "EmptyStartEvent"),
    ("end", "EmptyEndEvent"),
    ("cpg", "ConditionalParallelGateway"),
    ("pg", "ParallelGateway"),
    ("eg", "ExclusiveGateway"),
    ("cg", "ConvergeGateway"),
    ("sub", "SubProcess"),
)
_GATEWAYS = {"ConditionalParallelGateway", "ParallelGateway", "ExclusiveGateway", "ConvergeGateway"}
_LIST_OUTGOING = _GATEWAYS - {"ConvergeGateway"}


def node_type_of(node_id: str, types: Optional[Dict[str, str]] = None) -> str:
    """Type of a :func:`make_tree` node: ``types`` override, else by id prefix, else ServiceActivity."""
    if types and node_id in types:
        return types[node_id]
    for prefix, node_type in _PREFIX_TYPES:
        if node_id.startswith(prefix):
            return node_type
    return "ServiceActivity"


def _hand_node(node_id: str, node_type: str, incoming: list, outgoing: list) -> dict:
    node = {"id": node_id, "name": node_id, "type": node_type, "incoming": incoming}
    if node_type in _LIST_OUTGOING:
        node["outgoing"] = outgoing
    else:
        node["outgoing"] = outgoing[0] if len(outgoing) == 1 else (outgoing or "")
    if node_type == "EmptyStartEvent" and not incoming:
        node["incoming"] = ""
    if node_type in ("ExclusiveGateway", "ConditionalParallelGateway"):
        node["conditions"] = {flow_id: {"evaluate": "1 == 1"} for flow_id in outgoing}
        node["default_condition"] = {}
    if node_type == "ServiceActivity":
        node.update(error_ignorable=False, skippable=True, retryable=True, optional=False, timeout=None)
        node["component"] = {"code": "empty_node", "inputs": {}}
    if node_type in ("SubProcess", "SubCanvas"):
        node["pipeline"] = make_tree(
            [(f"start_{node_id}", f"act_{node_id}"), (f"act_{node_id}", f"end_{node_id}")], tree_id=node_id
        )
        if node_type == "SubProcess":
            node["params"] = {}
    return node


def make_tree(
    edges: Iterable[Sequence[str]],
    types: Optional[Dict[str, str]] = None,
    tree_id: str = "pipeline",
    extra_nodes: Iterable[str] = (),
) -> dict:
    """Hand-build a tree from ``(source, target)`` or ``(source, target, flow_id)`` edges.

    Node types come from :func:`node_type_of` (id prefixes ``start``, ``end``, ``pg``, ``cpg``, ``eg``,
    ``cg``, ``sub``; anything else is a ServiceActivity). Flow ids default to ``"<source>-><target>"``
    (a ``#n`` suffix for repeated edges). ``extra_nodes`` adds nodes without flows. The tree is built
    exactly as described, so it can be invalid on purpose.
    """
    order: Dict[str, Tuple[list, list]] = {}
    flows: Dict[str, dict] = {}
    for edge in edges:
        source, target = edge[0], edge[1]
        flow_id = edge[2] if len(edge) > 2 else f"{source}->{target}"
        base, count = flow_id, 1
        while flow_id in flows:
            count += 1
            flow_id = f"{base}#{count}"
        flows[flow_id] = {"id": flow_id, "source": source, "target": target, "is_default": False}
        order.setdefault(source, ([], []))[1].append(flow_id)
        order.setdefault(target, ([], []))[0].append(flow_id)
    for node_id in extra_nodes:
        order.setdefault(node_id, ([], []))
    tree = {
        "id": tree_id,
        "start_event": {},
        "end_event": {},
        "activities": {},
        "gateways": {},
        "flows": flows,
    }
    tree["data"] = {"inputs": {}, "outputs": [], "pre_render_keys": []}
    for node_id, (incoming, outgoing) in order.items():
        node_type = node_type_of(node_id, types)
        node = _hand_node(node_id, node_type, incoming, outgoing)
        if node_type == "EmptyStartEvent":
            tree["start_event"] = node
        elif node_id.startswith("end") or (types and types.get(node_id) == node_type and "End" in node_type):
            tree["end_event"] = node
        elif node_type in _GATEWAYS:
            tree["gateways"][node_id] = node
        else:
            tree["activities"][node_id] = node
    return tree


def chain(*node_ids: str) -> list:
    """Edges linking ``node_ids`` in sequence: ``chain("a", "b", "c") == [("a", "b"), ("b", "c")]``."""
    return list(zip(node_ids, node_ids[1:], strict=False))
