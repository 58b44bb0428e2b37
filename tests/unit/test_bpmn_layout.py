"""The diagram section of exported BPMN: every node and flow drawn, left to right, without overlaps."""

import xml.etree.ElementTree as ET
from itertools import combinations

import pytest

from bamboo_engine.builder.bpmn import tree_to_bpmn
from bamboo_engine.builder.bpmn.layout import Edge, layered_layout
from bamboo_engine.builder.bpmn.mapping import decode_id
from tests import trees

_NS = {
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
}


def _diagram(tree: dict):
    root = ET.fromstring(tree_to_bpmn(tree))
    shapes, edges = {}, {}
    for shape in root.iterfind(".//bpmndi:BPMNShape", _NS):
        bounds = shape.find("dc:Bounds", _NS).attrib
        x, y, width, height = (float(bounds[key]) for key in ("x", "y", "width", "height"))
        shapes[decode_id(shape.get("bpmnElement"))] = (x, y, x + width, y + height)
    for edge in root.iterfind(".//bpmndi:BPMNEdge", _NS):
        edges[decode_id(edge.get("bpmnElement"))] = [
            (float(p.get("x")), float(p.get("y"))) for p in edge.findall("di:waypoint", _NS)
        ]
    return shapes, edges


def _levels(tree: dict):
    """(node ids, flows) of every level, the root first."""
    nodes = [tree["start_event"]["id"], *tree["activities"], *tree["gateways"], tree["end_event"]["id"]]
    yield tree["id"], nodes, tree["flows"]
    for act in tree["activities"].values():
        if "pipeline" in act:
            yield from _levels(act["pipeline"])


def _overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _inside(inner, outer) -> bool:
    return outer[0] <= inner[0] and inner[2] <= outer[2] and outer[1] <= inner[1] and inner[3] <= outer[3]


@pytest.mark.parametrize(
    "tree",
    [
        trees.normal_pipeline(),
        trees.parallel_pipeline(5, 4),
        trees.make_tree(
            trees.chain("start", "pg", "a", "pg2", "b", "cg2", "d", "cg", "end")
            + [("pg2", "c"), ("c", "cg2"), ("pg", "e"), ("e", "cg")]
        ),
        trees.make_tree(trees.chain("start", "a", "eg", "end") + [("eg", "a")]),
        trees.make_tree(trees.chain("start", "sub1", "pg", "sub2", "cg", "end") + [("pg", "x"), ("x", "cg")]),
    ],
    ids=["normal", "parallel", "nested", "loop", "subprocesses"],
)
def test_every_element_is_drawn_left_to_right_without_overlaps(tree):
    shapes, edges = _diagram(tree)
    for level_id, nodes, flows in _levels(tree):
        assert set(nodes) <= set(shapes), level_id
        assert set(flows) <= set(edges), level_id
        for a, b in combinations(nodes, 2):
            assert not _overlap(shapes[a], shapes[b]), (a, b)
        for flow_id, flow in flows.items():
            points = edges[flow_id]
            assert len(points) >= 2
            source, target = shapes[flow["source"]], shapes[flow["target"]]
            if target[0] > source[0]:
                assert points[0] == (source[2], (source[1] + source[3]) / 2)
                assert points[-1] == (target[0], (target[1] + target[3]) / 2)
            for (x1, y1), (x2, y2) in zip(points, points[1:], strict=False):
                assert x1 == x2 or y1 == y2, f"{flow_id} has a diagonal segment"
    for act_id, act in tree["activities"].items():
        if "pipeline" in act:
            for _, nodes, _ in _levels(act["pipeline"]):
                for node_id in nodes:
                    assert _inside(shapes[node_id], shapes[act_id]), (node_id, act_id)


def test_the_main_path_is_one_row_and_parallel_branches_are_stacked():
    tree = trees.parallel_pipeline(3, 2)
    shapes, _ = _diagram(tree)
    middle = lambda box: (box[1] + box[3]) / 2  # noqa: E731
    pg = next(gid for gid, g in tree["gateways"].items() if g["type"] == "ParallelGateway")
    cg = next(gid for gid, g in tree["gateways"].items() if g["type"] == "ConvergeGateway")
    row = {middle(shapes[node]) for node in (tree["start_event"]["id"], pg, cg, tree["end_event"]["id"])}
    assert len(row) == 1
    firsts = [tree["flows"][flow]["target"] for flow in tree["gateways"][pg]["outgoing"]]
    assert len({shapes[node][0] for node in firsts}) == 1  # one column
    assert len({middle(shapes[node]) for node in firsts}) == 3  # three rows
    assert middle(shapes[firsts[0]]) in row  # the first branch continues the main row


def test_a_loop_back_flow_runs_below_the_level():
    tree = trees.make_tree(trees.chain("start", "a", "eg", "end") + [("eg", "a")])
    shapes, edges = _diagram(tree)
    lowest = max(box[3] for box in shapes.values())
    assert min(y for _, y in edges["eg->a"][1:3]) > lowest


def test_layout_ignores_edges_to_unknown_nodes_and_places_unreachable_nodes():
    layout = layered_layout(
        {"s": (10, 10), "a": (10, 10), "island": (10, 10)},
        [Edge("f", "s", "a"), Edge("g", "a", "ghost")],
        "s",
    )
    assert set(layout.boxes) == {"s", "a", "island"} and set(layout.waypoints) == {"f"}
    assert layout.boxes["a"].x > layout.boxes["s"].x


def test_a_thousand_node_tree_is_laid_out():
    tree = trees.parallel_pipeline(100, 10)
    shapes, edges = _diagram(tree)
    assert len(shapes) == 1004 and len(edges) == len(tree["flows"])


def test_two_loops_run_in_separate_lanes():
    tree = trees.make_tree(trees.chain("start", "a", "eg1", "b", "eg2", "end") + [("eg1", "a"), ("eg2", "b")])
    _, edges = _diagram(tree)
    lanes = {edges["eg1->a"][1][1], edges["eg2->b"][1][1]}
    assert len(lanes) == 2
