"""Small tree builders for the contract suite (built with ``bamboo_engine.builder``).

Each builder returns the tree dict and, where tests need them, the ids of named elements. The benchmark
reference pipelines come from ``tests.trees`` (shared with the engine and benchmark tests).
"""

from typing import Any, Dict, List, Optional, Tuple

from bamboo_engine.builder import (
    ConvergeGateway,
    Data,
    EmptyEndEvent,
    EmptyStartEvent,
    Params,
    ServiceActivity,
    SubProcess,
    Var,
    build_tree,
)
from tests import trees as reference_trees

Ids = Dict[str, str]


def plain(value: Any) -> Var:
    return Var(type=Var.PLAIN, value=value)


def splice(value: Any) -> Var:
    return Var(type=Var.SPLICE, value=value)


def activity(code: str, name: Optional[str] = None, **inputs: Any) -> ServiceActivity:
    """A ServiceActivity of ``code``; plain Python input values become PLAIN ``Var``s."""
    act = ServiceActivity(component_code=code, name=name)
    for key, value in inputs.items():
        setattr(act.component.inputs, key, value if isinstance(value, Var) else plain(value))
    return act


def chain(start: Any, *elements: Any) -> Any:
    """``start.extend(e1).extend(e2)...``; returns the last element."""
    current = start
    for element in elements:
        current = current.extend(element)
    return current


def linear_tree(*elements: Any, data: Optional[Data] = None, end: Any = None) -> dict:
    """``start → elements... → end`` as a tree."""
    start = EmptyStartEvent()
    chain(start, *elements).extend(end or EmptyEndEvent())
    return build_tree(start, data=data)


def subprocess(
    *elements: Any, data: Optional[Data] = None, params: Optional[Dict[str, Var]] = None, name: str = "sub"
) -> SubProcess:
    """A SubProcess whose child pipeline is ``start → elements... → end``."""
    start = EmptyStartEvent()
    chain(start, *elements).extend(EmptyEndEvent())
    return SubProcess(start=start, data=data or Data(), params=Params(params or {}), name=name)


def gateway_tree(gateway, branches, extra_info=None, data=None):
    """``start → gateway ⇉ branches ⇉ converge → end``; returns (tree, converge)."""
    start, end, cg = EmptyStartEvent(), EmptyEndEvent(), ConvergeGateway()
    start.extend(gateway).connect(*branches).converge(cg).extend(end)
    tree = build_tree(start, data=data)
    if extra_info is not None:
        tree["gateways"][gateway.id]["extra_info"] = extra_info
    return tree, cg


def flow_between(tree: dict, source_id: str, target_id: str) -> str:
    """Id of the flow ``source → target`` (searched in the tree and its child pipelines)."""
    for flow in tree["flows"].values():
        if flow["source"] == source_id and flow["target"] == target_id:
            return flow["id"]
    for act in tree["activities"].values():
        if "pipeline" in act:
            try:
                return flow_between(act["pipeline"], source_id, target_id)
            except KeyError:
                continue
    raise KeyError(f"no flow from {source_id} to {target_id}")


def all_node_ids(tree: dict) -> List[str]:
    """Every node id of the tree, child pipelines included (not the pipeline ids themselves)."""
    ids = [tree["start_event"]["id"], tree["end_event"]["id"], *tree["gateways"]]
    for act_id, act in tree["activities"].items():
        ids.append(act_id)
        if "pipeline" in act:
            ids.extend(all_node_ids(act["pipeline"]))
    return ids


def normal_pipeline() -> Tuple[dict, Ids]:
    """Benchmark Scenario A, the "17-node" pipeline, with the ids of its named elements."""
    elements = reference_trees.normal_pipeline_elements("debug_node")
    names = [f"act_{i}" for i in range(1, 8)] + ["sub_act_1", "sub_act_2", "start", "end", "sub"]
    names += ["pg", "cg_1", "cg_2", "eg"]
    return elements.tree, {name: getattr(elements, name).id for name in names}


def parallel_pipeline(branch_nums: int = 100, branch_length: int = 10) -> Tuple[dict, List[str]]:
    """Benchmark Scenario B: ``branch_nums`` branches of ``branch_length`` debug activities."""
    tree = reference_trees.parallel_pipeline(branch_nums, branch_length, "debug_node")
    return tree, list(tree["activities"])
