"""Pipeline tree → BPMN 2.0 XML (semantic model plus the diagram, laid out by :mod:`.layout`).

Elements are written with literal ``bpmn:``/``bamboo:`` prefixes and the namespace declarations are put
on the root by hand, so the output has stable, readable prefixes without touching ElementTree's global
prefix registry.
"""

import json
import xml.etree.ElementTree as ET
from collections import deque
from typing import Any, Dict, List, Optional, Set, Tuple

from bamboo_engine.__version__ import __version__
from bamboo_engine.builder.bpmn import mapping as m
from bamboo_engine.builder.bpmn.diagram import draw_diagram
from bamboo_engine.builder.bpmn.errors import BpmnExportError


def tree_to_bpmn(tree: dict) -> str:
    """The BPMN 2.0 XML document of a pipeline tree (validated or not).

    Raises:
        BpmnExportError: naming the node or flow that cannot be expressed.
    """
    if not isinstance(tree, dict) or not isinstance(tree.get("id"), str) or not tree["id"]:
        raise BpmnExportError("tree", "a pipeline tree is a dict with a non-empty string 'id'")
    definitions = ET.Element("bpmn:definitions")
    for prefix, uri in m.NAMESPACES.items():
        definitions.set(f"xmlns:{prefix}", uri)
    ids = _XmlIds(set())
    definitions.set("id", ids.add(m.encode_id(tree["id"]) + "_definitions"))
    definitions.set("targetNamespace", m.TARGET_NAMESPACE)
    definitions.set("exporter", "bamboo_engine")
    definitions.set("exporterVersion", __version__)
    process = ET.SubElement(definitions, "bpmn:process", id=ids.add(m.encode_id(tree["id"])))
    process.set("isExecutable", "true")
    _write_level(process, tree, ids, pipeline_id_differs=False)
    draw_diagram(definitions, tree, ids.add)
    ET.indent(definitions)
    return ET.tostring(definitions, encoding="unicode", xml_declaration=True)


class _XmlIds:
    """The XML IDs written so far: a tree whose ids collide once encoded cannot be exported."""

    def __init__(self, taken: Set[str]):
        self.taken = taken

    def add(self, xml_id: str) -> str:
        if not xml_id:
            raise BpmnExportError("tree", "an id is empty")
        if xml_id in self.taken:
            raise BpmnExportError(m.decode_id(xml_id), "this id is used by more than one element")
        self.taken.add(xml_id)
        return xml_id


def _nodes(tree: dict) -> List[dict]:
    """Every node of one level, start first and end last (the order they are written in)."""
    nodes = [tree.get("start_event") or {}]
    nodes += list((tree.get("activities") or {}).values())
    nodes += list((tree.get("gateways") or {}).values())
    nodes.append(tree.get("end_event") or {})
    for node in nodes:
        if not isinstance(node, dict) or not isinstance(node.get("id"), str) or not node["id"]:
            raise BpmnExportError(tree["id"], f"a node without a string id: {node!r}")
    return nodes


def _write_level(container: ET.Element, tree: dict, ids: _XmlIds, pipeline_id_differs: bool) -> None:
    """Write one pipeline level's extension, nodes and flows into a process or subProcess element."""
    extras = {key: value for key, value in tree.items() if key not in m.TREE_STRUCTURE_KEYS}
    extras.update({key: m.MISSING_MARK for key in m.TREE_STRUCTURE_KEYS if key not in tree})
    extension = _extension(container)
    pipeline = ET.SubElement(extension, "bamboo:pipeline")
    if pipeline_id_differs:
        pipeline.set("id", _text(tree["id"], tree["id"]))
    pipeline.text = _json(tree["id"], extras)
    nodes = _nodes(tree)
    flows: Dict[str, dict] = tree.get("flows") or {}
    by_id = {node["id"]: node for node in nodes}
    for flow_id, flow in flows.items():
        for end in ("source", "target"):
            if not isinstance(flow, dict) or flow.get(end) not in by_id:
                raise BpmnExportError(flow_id, f"its {end} is not a node of pipeline {tree['id']}")
    converge_tags = _converge_elements(by_id, flows)
    for node in nodes:
        _write_node(container, tree, node, flows, ids, converge_tags)
    for flow_id, flow in flows.items():
        _write_flow(container, flow_id, flows, by_id[flow["source"]], ids)


def _write_node(
    container: ET.Element, tree: dict, node: dict, flows: dict, ids: _XmlIds, converge_tags: dict
) -> None:
    node_id, node_type = node["id"], node.get("type")
    tag = _element_of(tree, node, converge_tags)
    element = ET.SubElement(container, f"bpmn:{tag}", id=ids.add(m.encode_id(node_id)))
    name = node.get("name")
    if isinstance(name, str):
        element.set("name", _text(node_id, name))
    incoming = _io(node, "incoming", flows, "target")
    outgoing = _io(node, "outgoing", flows, "source")
    conditions, default_flow = _conditions(node, outgoing, flows)
    if tag.endswith("Gateway"):
        element.set("gatewayDirection", "Converging" if node_type == m.CONVERGE else "Diverging")
    if default_flow is not None:
        element.set("default", m.encode_id(default_flow))
    canonical = m.canonical_structure(
        str(node_type), name if isinstance(name, str) else None, incoming, outgoing, conditions, default_flow
    )
    canonical["id"] = node_id
    payload = _difference({k: v for k, v in node.items() if k not in ("component", "pipeline")}, canonical)
    extension = _extension(element)
    if node_type == m.SERVICE_ACTIVITY:
        payload["component"] = _write_component(extension, node)
    marker = ET.SubElement(extension, "bamboo:node", type=_text(node_id, str(node_type)))
    if payload:
        marker.text = _json(node_id, payload)
    for flow_id in incoming:
        ET.SubElement(element, "bpmn:incoming").text = m.encode_id(flow_id)
    for flow_id in outgoing:
        ET.SubElement(element, "bpmn:outgoing").text = m.encode_id(flow_id)
    if node_type in m.SUBPROCESS_TYPES:
        child = node.get("pipeline")
        if not isinstance(child, dict) or not isinstance(child.get("id"), str):
            raise BpmnExportError(node_id, "a subprocess without a 'pipeline' tree")
        _write_level(element, child, ids, pipeline_id_differs=child["id"] != node_id)


_ABSENT = object()


def _difference(actual: Dict[str, Any], canonical: Dict[str, Any]) -> Dict[str, Any]:
    """What the importer must apply on top of ``canonical`` to get ``actual`` back."""
    payload = {key: value for key, value in actual.items() if canonical.get(key, _ABSENT) != value}
    payload.update({key: m.MISSING_MARK for key in canonical if key not in actual})
    return payload


def _element_of(tree: dict, node: dict, converge_tags: dict) -> str:
    """The BPMN element name of a node, or a typed error for a type BPMN cannot express."""
    node_type = node.get("type")
    if node is tree.get("start_event"):
        if node_type != m.START_EVENT:
            raise BpmnExportError(node["id"], f"start event of unsupported type {node_type!r}")
        return "startEvent"
    if node is tree.get("end_event"):
        if not isinstance(node_type, str) or not node_type:
            raise BpmnExportError(node["id"], "end event without a type")
        return "endEvent"
    if node_type == m.SERVICE_ACTIVITY:
        return "serviceTask"
    if node_type in m.SUBPROCESS_TYPES:
        return "subProcess"
    if node_type in m.GATEWAY_ELEMENTS:
        return m.GATEWAY_ELEMENTS[node_type]
    if node_type == m.CONVERGE:
        return converge_tags.get(node["id"], "exclusiveGateway")
    raise BpmnExportError(node["id"], f"node type {node_type!r} has no BPMN counterpart")


def _io(node: dict, key: str, flows: dict, end: str) -> List[str]:
    """The flows a node lists (or, when it lists none, the flows that name it), checked to exist."""
    listed = m.io_list(node.get(key))
    for flow_id in listed:
        if flow_id not in flows:
            raise BpmnExportError(node["id"], f"{key} flow {flow_id!r} does not exist")
    return listed or [flow_id for flow_id, flow in flows.items() if flow.get(end) == node["id"]]


def _conditions(node: dict, outgoing: List[str], flows: dict) -> Tuple[Dict[str, dict], Optional[str]]:
    """The conditions and default flow that BPMN can carry for this node (on its outgoing flows)."""
    if node.get("type") not in m.CONDITIONAL_GATEWAYS:
        return {}, None
    conditions = {}
    for flow_id in outgoing:
        condition = _condition_of(node, flow_id, flows)
        if condition is not None:
            conditions[flow_id] = condition
    default = node.get("default_condition")
    default_flow = default.get("flow_id") if isinstance(default, dict) and len(default) == 1 else None
    if not isinstance(default_flow, str) or default_flow not in outgoing:
        return conditions, None
    return conditions, default_flow if flows[default_flow].get("source") == node["id"] else None


def _write_component(extension: ET.Element, node: dict) -> Any:
    """Write ``bamboo:component`` (code and version); returns what the payload must still carry."""
    component = node.get("component", m.MISSING_MARK)
    if not isinstance(component, dict) or not isinstance(component.get("code"), str):
        # Not runnable (the builder allows ``ServiceActivity()`` without a code): kept verbatim.
        return component
    element = ET.SubElement(extension, "bamboo:component", code=_text(node["id"], component["code"]))
    rest = {key: value for key, value in component.items() if key != "code"}
    if isinstance(component.get("version"), str):
        element.set("version", _text(node["id"], rest.pop("version")))
    return rest


def _write_flow(container: ET.Element, flow_id: str, flows: dict, source: dict, ids: _XmlIds) -> None:
    flow = flows[flow_id]
    element = ET.SubElement(container, "bpmn:sequenceFlow", id=ids.add(m.encode_id(flow_id)))
    element.set("sourceRef", m.encode_id(flow["source"]))
    element.set("targetRef", m.encode_id(flow["target"]))
    canonical = {"id": flow_id, "source": flow["source"], "target": flow["target"], "is_default": False}
    payload = _difference(flow, canonical)
    condition = _condition_of(source, flow_id, flows)
    if payload or (condition and len(condition) > 1):
        extension = _extension(element)
        if payload:
            ET.SubElement(extension, "bamboo:flow").text = _json(flow_id, payload)
        if condition and len(condition) > 1:
            rest = {key: value for key, value in condition.items() if key != "evaluate"}
            ET.SubElement(extension, "bamboo:condition").text = _json(flow_id, rest)
    if condition:
        expression = ET.SubElement(element, "bpmn:conditionExpression")
        expression.set("xsi:type", "bpmn:tFormalExpression")
        expression.text = _text(flow_id, condition["evaluate"])


def _condition_of(source: dict, flow_id: str, flows: dict) -> Optional[dict]:
    """The condition written on ``flow_id`` as a ``conditionExpression``: one its conditional-gateway
    source lists for it, with a string expression (anything else stays in the gateway's payload)."""
    if source.get("type") not in m.CONDITIONAL_GATEWAYS or flow_id not in m.io_list(source.get("outgoing")):
        return None
    raw = source.get("conditions")
    condition = raw.get(flow_id) if isinstance(raw, dict) else None
    if not isinstance(condition, dict) or not isinstance(condition.get("evaluate"), str):
        return None
    return condition if flows[flow_id].get("source") == source["id"] else None


def _converge_elements(by_id: Dict[str, dict], flows: dict) -> Dict[str, str]:
    """For each ConvergeGateway, the BPMN element of the split it joins, so that a parallel join is
    drawn as a parallel gateway. Validated trees say it (``converge_gateway_id``); otherwise the
    nearest unmatched split walking backwards decides."""
    tags: Dict[str, str] = {}
    for node in by_id.values():
        target = node.get("converge_gateway_id")
        if node.get("type") in m.GATEWAY_ELEMENTS and isinstance(target, str) and target in by_id:
            tags[target] = m.GATEWAY_ELEMENTS[node["type"]]
    sources: Dict[str, List[str]] = {}
    for flow in flows.values():
        sources.setdefault(flow["target"], []).append(flow["source"])
    for node in by_id.values():
        if node.get("type") == m.CONVERGE and node["id"] not in tags:
            split = _matching_split(node["id"], by_id, sources)
            if split is not None:
                tags[node["id"]] = m.GATEWAY_ELEMENTS[str(by_id[split]["type"])]
    return tags


def _matching_split(converge_id: str, by_id: Dict[str, dict], sources: Dict[str, List[str]]) -> Optional[str]:
    """Walk upstream counting joins (+1) and splits (-1); the split that brings the count to zero."""
    queue, seen = deque([(converge_id, 1)]), {converge_id}
    while queue:
        node_id, depth = queue.popleft()
        for source in sources.get(node_id, []):
            if source in seen:
                continue
            seen.add(source)
            source_type = by_id[source].get("type")
            level = depth + (source_type == m.CONVERGE) - (source_type in m.GATEWAY_ELEMENTS)
            if level == 0:
                return source
            queue.append((source, level))
    return None


def _extension(element: ET.Element) -> ET.Element:
    for child in element:
        if child.tag == "bpmn:extensionElements":
            return child
    return ET.SubElement(element, "bpmn:extensionElements")


def _text(owner: str, value: str) -> str:
    """``value`` if XML can hold it (JSON payloads escape control characters; attributes cannot)."""
    match = m.XML_UNSAFE.search(value)
    if match:
        raise BpmnExportError(owner, f"{value!r} holds {match.group()!r}, which XML 1.0 cannot carry")
    return value


def _json(owner: str, value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError) as error:
        raise BpmnExportError(owner, f"a value cannot be written as JSON: {error}")
