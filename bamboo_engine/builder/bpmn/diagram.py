"""The BPMN DI section: one plane with a shape per node and an edge per flow.

Subprocesses are drawn expanded in place: each level is laid out on its own by
:func:`~bamboo_engine.builder.bpmn.layout.layered_layout`, inner levels first, and a subprocess's shape is
as large as its inner layout plus a padding, so a modeler opens the whole nesting without overlaps.
"""

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Tuple

from bamboo_engine.builder.bpmn import mapping as m
from bamboo_engine.builder.bpmn.layout import Edge, Layout, Point, layered_layout

#: Where the root level starts on the canvas, and the padding inside an expanded subprocess (the top
#: padding leaves room for the subprocess's name).
ORIGIN = (160.0, 80.0)
SUBPROCESS_PADDING = 30.0
SUBPROCESS_LABEL = 20.0
EVENT_SIZE = (36.0, 36.0)
TASK_SIZE = (100.0, 80.0)
GATEWAY_SIZE = (50.0, 50.0)


@dataclass
class _Level:
    layout: Layout
    children: Dict[str, "_Level"] = field(default_factory=dict)


def draw_diagram(definitions: ET.Element, tree: dict, add_id: Callable[[str], str]) -> None:
    """Append ``bpmndi:BPMNDiagram`` for ``tree`` to ``definitions``; ``add_id`` reserves each XML ID."""
    process_id = m.encode_id(tree["id"])
    diagram = ET.SubElement(definitions, "bpmndi:BPMNDiagram", id=add_id(process_id + "_diagram"))
    plane = ET.SubElement(diagram, "bpmndi:BPMNPlane", id=add_id(process_id + "_plane"))
    plane.set("bpmnElement", process_id)
    _emit(plane, tree, _measure(tree), ORIGIN, add_id)


def _node_size(node: dict, children: Dict[str, _Level]) -> Tuple[float, float]:
    node_type = node.get("type")
    if node_type in m.SUBPROCESS_TYPES:
        inner = children[node["id"]].layout
        padding = 2 * SUBPROCESS_PADDING
        return (
            max(inner.width + padding, TASK_SIZE[0]),
            max(inner.height + padding + SUBPROCESS_LABEL, 80.0),
        )
    if node_type == m.SERVICE_ACTIVITY:
        return TASK_SIZE
    if node_type in m.GATEWAY_ELEMENTS or node_type == m.CONVERGE:
        return GATEWAY_SIZE
    return EVENT_SIZE


def _level_nodes(tree: dict) -> List[dict]:
    nodes = [tree["start_event"], *tree.get("activities", {}).values(), *tree.get("gateways", {}).values()]
    return [*nodes, tree["end_event"]]


def _measure(tree: dict) -> _Level:
    children = {
        node["id"]: _measure(node["pipeline"])
        for node in tree.get("activities", {}).values()
        if node.get("type") in m.SUBPROCESS_TYPES
    }
    sizes = {node["id"]: _node_size(node, children) for node in _level_nodes(tree)}
    edges = [Edge(flow_id, flow["source"], flow["target"]) for flow_id, flow in tree.get("flows", {}).items()]
    return _Level(layered_layout(sizes, edges, tree["start_event"]["id"]), children)


def _emit(plane: ET.Element, tree: dict, level: _Level, origin: Point, add_id: Callable[[str], str]) -> None:
    ox, oy = origin
    for node in _level_nodes(tree):
        box = level.layout.boxes[node["id"]]
        element_id = m.encode_id(node["id"])
        shape = ET.SubElement(
            plane, "bpmndi:BPMNShape", id=add_id(element_id + "_di"), bpmnElement=element_id
        )
        if node["id"] in level.children:
            shape.set("isExpanded", "true")
        if node.get("type") in m.GATEWAY_ELEMENTS or node.get("type") == m.CONVERGE:
            shape.set("isMarkerVisible", "true")
        ET.SubElement(
            shape,
            "dc:Bounds",
            x=_num(ox + box.x),
            y=_num(oy + box.y),
            width=_num(box.width),
            height=_num(box.height),
        )
        if node["id"] in level.children:
            inner_origin = (
                ox + box.x + SUBPROCESS_PADDING,
                oy + box.y + SUBPROCESS_PADDING + SUBPROCESS_LABEL,
            )
            _emit(plane, node["pipeline"], level.children[node["id"]], inner_origin, add_id)
    for flow_id, points in level.layout.waypoints.items():
        element_id = m.encode_id(flow_id)
        edge = ET.SubElement(plane, "bpmndi:BPMNEdge", id=add_id(element_id + "_di"), bpmnElement=element_id)
        for x, y in points:
            ET.SubElement(edge, "di:waypoint", x=_num(ox + x), y=_num(oy + y))


def _num(value: float) -> str:
    """Coordinates without a trailing ``.0``, as modelers write them."""
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"
