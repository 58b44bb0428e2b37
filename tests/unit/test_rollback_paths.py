"""Rollback graphs (``bamboo_engine.utils.graph``) and plans (``bamboo_engine.rollback.paths``)."""

from typing import Dict, Iterable, Optional

import pytest

from bamboo_engine.eri.models.node import Node
from bamboo_engine.exceptions import RollbackError
from bamboo_engine.rollback.constants import END_FLAG, START_FLAG
from bamboo_engine.rollback.paths import nodes_reaching, plan_path
from bamboo_engine.testing import InMemoryRuntime
from bamboo_engine.utils.graph import Graph, RollbackGraph
from bamboo_engine.validator import validate_and_process_pipeline
from tests.trees import chain, make_tree


# ------------------------------------------------------------------------------------------- graph
@pytest.mark.parametrize(
    ("nodes", "flows", "cycle"),
    [
        ([1, 2, 3, 4], [[1, 2], [2, 3], [3, 4]], []),
        ([1, 2, 3, 4], [[1, 2], [2, 3], [3, 4], [4, 1]], [1, 2, 3, 4, 1]),
        ([1, 2, 3, 4], [[1, 2], [2, 3], [3, 4], [4, 2]], [2, 3, 4, 2]),
        ([1, 2, 3, 4, 5], [[1, 2], [2, 3], [2, 4], [4, 5], [5, 2]], [2, 4, 5, 2]),
    ],
)
def test_graph_finds_a_cycle_as_upstream_reports_it(nodes, flows, cycle):
    graph = Graph(nodes, flows)
    assert graph.has_cycle() is bool(cycle)
    assert graph.get_cycle() == cycle


def test_a_long_chain_is_searched_without_recursion():
    nodes = list(range(5000))
    assert Graph(nodes, [[n, n + 1] for n in nodes[:-1]]).get_cycle() == []


def test_rollback_graph_grows_reverses_and_orders():
    graph = RollbackGraph()
    for node in ("a", "b", "c", "d"):
        graph.add_node(node)
    graph.add_node("a")
    for source, target in (("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")):
        graph.add_edge(source, target)
    assert graph.nodes == ["a", "b", "c", "d"] and graph.next("a") == {"b", "c"} and graph.next("d") == set()
    assert graph.in_degrees() == {"a": 0, "b": 1, "c": 1, "d": 2}
    assert graph.topological_order() == ["a", "b", "c", "d"]
    reversed_graph = graph.reverse()
    assert reversed_graph.as_dict() == {
        "nodes": ["a", "b", "c", "d"],
        "flows": [["b", "a"], ["c", "a"], ["d", "b"], ["d", "c"]],
    }
    assert reversed_graph.topological_order() == ["d", "b", "c", "a"]
    assert RollbackGraph(["x", "y"], [["x", "y"]]).build_edges() == {"x": {"y"}}
    graph.add_edge("d", "a")
    with pytest.raises(ValueError, match="cycle"):
        graph.topological_order()


# -------------------------------------------------------------------------------------------- paths
def _nodes(edges, ran: Optional[Iterable[str]] = None, types=None) -> Dict[str, Node]:
    """The stored nodes of a tree built from ``edges`` (``tests.trees.make_tree``); only ``ran`` if given."""
    tree = make_tree(edges, types=types)
    validate_and_process_pipeline(tree, cycle_tolerate=True)
    runtime = InMemoryRuntime()
    runtime.prepare_run_pipeline(tree, {}, {}, {})
    nodes = runtime._stored_nodes(runtime.store.nodes.keys())
    return {node_id: node for node_id, node in nodes.items() if ran is None or node_id in ran}


def test_a_chain_is_rolled_back_latest_first():
    nodes = _nodes(chain("start", "a", "b", "c", "end"))
    path = plan_path(nodes, "pipeline", "c", "a")
    assert path.order == ["c", "b", "a"]
    assert path.other_nodes == [] and path.fork_depth == 0
    assert path.graph.next(START_FLAG) == {"c"} and path.graph.next("a") == {END_FLAG}


def test_a_parallel_block_between_is_rolled_back_before_the_node_it_started_from():
    edges = chain("start", "a", "pg", "b", "cg", "d", "end") + [("pg", "c"), ("c", "cg")]
    path = plan_path(_nodes(edges), "pipeline", "d", "a")
    assert path.order[0] == "d" and path.order[-1] == "a" and set(path.order[1:3]) == {"b", "c"}
    assert set(path.other_nodes) == {"pg", "cg"} and path.fork_depth == 0


def test_only_the_branch_that_ran_is_part_of_the_rollback():
    edges = chain("start", "a", "eg", "b", "cg", "d", "end") + [("eg", "c"), ("c", "cg")]
    path = plan_path(_nodes(edges, ran={"start", "a", "eg", "b", "cg", "d"}), "pipeline", "d", "a")
    assert path.order == ["d", "b", "a"]


def test_a_loop_back_edge_is_cut():
    edges = chain("start", "a", "b", "eg", "end") + [("eg", "a")]
    path = plan_path(_nodes(edges), "pipeline", "b", "a")
    assert path.order == ["b", "a"] and path.other_nodes == []


def test_going_into_a_branch_counts_a_fork_and_leaving_one_is_refused():
    edges = chain("start", "a", "pg", "b1", "b2", "cg", "d", "end") + [("pg", "c"), ("c", "cg")]
    nodes = _nodes(edges)
    assert plan_path(nodes, "pipeline", "b2", "a").fork_depth == 1
    assert plan_path(nodes, "pipeline", "b2", "b1").fork_depth == 0
    with pytest.raises(RollbackError, match="ran in a parallel branch that ended at converge gateway cg"):
        plan_path(nodes, "pipeline", "d", "b1")


def test_a_target_after_the_start_node_is_refused():
    nodes = _nodes(chain("start", "a", "b", "end"))
    with pytest.raises(RollbackError, match="start node a is not reached from target node b"):
        plan_path(nodes, "pipeline", "a", "b")


def test_a_subprocess_on_the_way_is_walked_through():
    nodes = _nodes(chain("start", "a", "sub1", "c", "end"))
    path = plan_path(nodes, "pipeline", "c", "a")
    assert path.order == ["c", "act_sub1", "a"]
    assert set(path.other_nodes) == {"sub1", "start_sub1", "end_sub1"}


def test_nodes_reaching_a_goal():
    edges = chain("start", "a", "pg", "b", "cg", "d", "end") + [("pg", "c"), ("c", "cg")]
    assert nodes_reaching(_nodes(edges), "pipeline", "b", ["a", "b", "c", "d"]) == ["a"]
