"""BPMN 2.0 XML → pipeline tree, for the subset :mod:`.export` writes (and modelers draw with it).

The diagram section is ignored: positions do not change what a pipeline does. Anything outside the
subset raises :class:`BpmnImportError` naming the element, rather than being dropped silently.
"""

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Union

from bamboo_engine.builder.bpmn import mapping as m
from bamboo_engine.builder.bpmn.errors import BpmnImportError

_NODE_TAGS = {
    "startEvent",
    "endEvent",
    "serviceTask",
    "subProcess",
    "parallelGateway",
    "exclusiveGateway",
    "inclusiveGateway",
}
#: Children a node may have besides the ones its own kind adds (a subprocess's flow elements).
_NODE_CHILDREN = {"documentation", "extensionElements", "incoming", "outgoing"}
#: Level children that carry no pipeline meaning and are skipped.
_IGNORED = {"documentation", "extensionElements", "textAnnotation", "association", "incoming", "outgoing"}
_GATEWAY_TYPES = {tag: node_type for node_type, tag in m.GATEWAY_ELEMENTS.items()}


def bpmn_to_tree(document: Union[str, bytes]) -> dict:
    """The pipeline tree of a BPMN 2.0 document holding one process.

    Raises:
        BpmnImportError: naming the element that is outside the supported subset or inconsistent.
    """
    try:
        root = ET.fromstring(document)
    except ET.ParseError as error:
        raise BpmnImportError("document", f"not well-formed XML: {error}")
    if root.tag != _bpmn("definitions"):
        raise BpmnImportError(_local(root.tag), "the root element is not bpmn:definitions")
    processes = []
    for child in root:
        if child.tag == _bpmn("process"):
            processes.append(child)
        elif child.tag not in (_bpmn("documentation"), _bpmn("extensionElements"), _di("BPMNDiagram")):
            raise BpmnImportError(_name_of(child), f"unsupported element {_local(child.tag)}")
    if len(processes) != 1:
        raise BpmnImportError("document", f"expected exactly one bpmn:process, found {len(processes)}")
    process = processes[0]
    _check_unique_ids(process)
    return _read_level(process, m.decode_id(_required(process, "id")))


def _check_unique_ids(process: ET.Element) -> None:
    """Node and flow ids are unique across the whole tree (subprocesses included), as the engine needs;
    ElementTree does not check XML IDs, and a repeated id would silently replace a node."""
    seen = set()
    for element in process.iter():
        if element.tag == _bpmn("sequenceFlow") or (
            element.tag.startswith("{" + m.BPMN_NS + "}") and _local(element.tag) in _NODE_TAGS
        ):
            element_id = _required(element, "id")
            if element_id in seen:
                raise BpmnImportError(m.decode_id(element_id), "this id is used by more than one element")
            seen.add(element_id)


@dataclass
class _Flow:
    id: str
    source: str
    target: str
    element: ET.Element


@dataclass
class _LevelElements:
    """The node elements and flows of one level, with the flows indexed by the node they leave/enter."""

    nodes: List[ET.Element] = field(default_factory=list)
    flows: Dict[str, _Flow] = field(default_factory=dict)
    leaving: Dict[str, List[_Flow]] = field(default_factory=dict)
    entering: Dict[str, List[_Flow]] = field(default_factory=dict)


def _read_level(container: ET.Element, default_id: str) -> dict:
    """One process or subprocess level: its nodes, flows and extension payload."""
    extension = _extension(container, "pipeline")
    tree_id = extension.get("id", default_id) if extension is not None else default_id
    level = _collect(container, tree_id)
    tree: Dict[str, Any] = {"id": tree_id, "start_event": None, "end_event": None}
    tree.update({"activities": {}, "gateways": {}, "flows": {}})
    for element in level.nodes:
        node = _read_node(element, level)
        slot = _slot(element)
        if slot in ("start_event", "end_event"):
            if tree[slot] is not None:
                raise BpmnImportError(node["id"], f"a second {_local(element.tag)} in pipeline {tree_id}")
            tree[slot] = node
        else:
            tree[slot][node["id"]] = node
    for slot in ("start_event", "end_event"):
        if tree[slot] is None:
            raise BpmnImportError(tree_id, f"pipeline has no {slot.replace('_', ' ')}")
    for flow in level.flows.values():
        tree["flows"][flow.id] = _read_flow(flow)
    extras = (
        _payload(extension, tree_id) if extension is not None else {"data": {"inputs": {}, "outputs": []}}
    )
    return _apply(tree, extras)


def _collect(container: ET.Element, tree_id: str) -> _LevelElements:
    level = _LevelElements()
    for child in container:
        local = _local(child.tag)
        if child.tag == _bpmn("sequenceFlow"):
            flow_id = m.decode_id(_required(child, "id"))
            source, target = (m.decode_id(_required(child, ref)) for ref in ("sourceRef", "targetRef"))
            level.flows[flow_id] = _Flow(flow_id, source, target, child)
        elif child.tag.startswith("{" + m.BPMN_NS + "}") and local in _NODE_TAGS:
            level.nodes.append(child)
        elif not (child.tag.startswith("{" + m.BPMN_NS + "}") and local in _IGNORED):
            raise BpmnImportError(_name_of(child), f"unsupported element {local} in pipeline {tree_id}")
    node_ids = {m.decode_id(_required(node, "id")) for node in level.nodes}
    for flow in level.flows.values():
        for end, node_id in (("sourceRef", flow.source), ("targetRef", flow.target)):
            if node_id not in node_ids:
                raise BpmnImportError(flow.id, f"dangling flow: {end} {node_id!r} is not a node of {tree_id}")
        level.leaving.setdefault(flow.source, []).append(flow)
        level.entering.setdefault(flow.target, []).append(flow)
    return level


def _slot(element: ET.Element) -> str:
    local = _local(element.tag)
    if local == "startEvent":
        return "start_event"
    if local == "endEvent":
        return "end_event"
    return "activities" if local in ("serviceTask", "subProcess") else "gateways"


def _read_node(element: ET.Element, level: _LevelElements) -> dict:
    node_id = m.decode_id(_required(element, "id"))
    _check_children(element, node_id)
    marker = _extension(element, "node")
    node_type = _node_type(element, node_id, marker, level)
    incoming = _io(element, "incoming", node_id, level, level.entering.get(node_id, []))
    outgoing = _io(element, "outgoing", node_id, level, level.leaving.get(node_id, []))
    conditions = _conditions(node_id, node_type, outgoing, level)
    default_flow = _default_flow(element, node_id, outgoing, level)
    node = m.canonical_structure(node_type, element.get("name"), incoming, outgoing, conditions, default_flow)
    node = {"id": node_id, **node}
    payload = _payload(marker, node_id) if marker is not None else _foreign_defaults(node_type)
    if node_type == m.SERVICE_ACTIVITY:
        node["component"] = _component(element, node_id, payload)
        if node["component"] == m.MISSING_MARK:
            del node["component"]
    if node_type in m.SUBPROCESS_TYPES:
        node["pipeline"] = _read_level(element, node_id)
    return _apply(node, payload)


def _check_children(element: ET.Element, node_id: str) -> None:
    local = _local(element.tag)
    if local == "subProcess":
        if element.get("triggeredByEvent") == "true":
            raise BpmnImportError(node_id, "event subprocesses are not supported")
        return
    for child in element:
        if not (child.tag.startswith("{" + m.BPMN_NS + "}") and _local(child.tag) in _NODE_CHILDREN):
            raise BpmnImportError(node_id, f"unsupported {_local(child.tag)} in {local}")


def _node_type(element: ET.Element, node_id: str, marker: Optional[ET.Element], level: _LevelElements) -> str:
    local = _local(element.tag)
    declared = marker.get("type") if marker is not None else None
    if local in _GATEWAY_TYPES:
        allowed = {_GATEWAY_TYPES[local], m.CONVERGE}
        inferred = m.CONVERGE if _is_converging(element, node_id, level) else _GATEWAY_TYPES[local]
    else:
        allowed = {
            "startEvent": {m.START_EVENT},
            "serviceTask": {m.SERVICE_ACTIVITY},
            "subProcess": set(m.SUBPROCESS_TYPES),
        }.get(local, set())
        defaults = {
            "startEvent": m.START_EVENT,
            "serviceTask": m.SERVICE_ACTIVITY,
            "subProcess": "SubProcess",
        }
        inferred = defaults.get(local, m.END_EVENT)
    if declared is None:
        return inferred
    if local != "endEvent" and declared not in allowed:
        raise BpmnImportError(node_id, f"bamboo:node type {declared!r} cannot be a {local}")
    return declared


def _is_converging(element: ET.Element, node_id: str, level: _LevelElements) -> bool:
    direction = element.get("gatewayDirection", "Unspecified")
    if direction in ("Converging", "Diverging"):
        return direction == "Converging"
    return len(level.entering.get(node_id, [])) > 1 and len(level.leaving.get(node_id, [])) == 1


def _io(element: ET.Element, tag: str, node_id: str, level: _LevelElements, naming: List[_Flow]) -> List[str]:
    """The node's listed ``incoming``/``outgoing`` references or, when it lists none, the flows naming it."""
    listed = [m.decode_id((child.text or "").strip()) for child in element if child.tag == _bpmn(tag)]
    for flow_id in listed:
        if flow_id not in level.flows:
            raise BpmnImportError(node_id, f"{tag} {flow_id!r} is not a sequence flow of its process")
    return listed or [flow.id for flow in naming]


def _conditions(node_id: str, node_type: str, outgoing: List[str], level: _LevelElements) -> Dict[str, dict]:
    conditions = {}
    for flow in level.leaving.get(node_id, []):
        expression = flow.element.find(_bpmn("conditionExpression"))
        if expression is None:
            continue
        if node_type not in m.CONDITIONAL_GATEWAYS:
            raise BpmnImportError(
                flow.id, "a condition on a flow that does not leave an exclusive or inclusive gateway"
            )
        if flow.id in outgoing:
            extra = _extension(flow.element, "condition")
            conditions[flow.id] = {
                "evaluate": expression.text or "",
                **(_payload(extra, flow.id) if extra is not None else {}),
            }
    return {flow_id: conditions[flow_id] for flow_id in outgoing if flow_id in conditions}


def _default_flow(
    element: ET.Element, node_id: str, outgoing: List[str], level: _LevelElements
) -> Optional[str]:
    if element.get("default") is None:
        return None
    default_flow = m.decode_id(element.get("default", ""))
    flow = level.flows.get(default_flow)
    if flow is None or flow.source != node_id or default_flow not in outgoing:
        raise BpmnImportError(node_id, f"default flow {default_flow!r} is not one of its outgoing flows")
    return default_flow


def _component(element: ET.Element, node_id: str, payload: Dict[str, Any]) -> Any:
    declared = _extension(element, "component")
    if declared is None:
        if "component" not in payload:
            raise BpmnImportError(node_id, "serviceTask without a bamboo:component code")
        return payload.pop("component")
    component: Dict[str, Any] = {"code": _required(declared, "code")}
    if declared.get("version") is not None:
        component["version"] = declared.get("version")
    component.update(payload.pop("component", {"inputs": {}}))
    return component


def _foreign_defaults(node_type: str) -> Dict[str, Any]:
    """Keys a node drawn in a modeler (no ``bamboo:node`` payload) gets, as the builder would write."""
    if node_type == m.SERVICE_ACTIVITY:
        return m.service_activity_defaults()
    if node_type == "SubProcess":
        return {"params": {}}
    return {}


def _read_flow(flow: _Flow) -> dict:
    extension = _extension(flow.element, "flow")
    tree_flow = {"id": flow.id, "source": flow.source, "target": flow.target, "is_default": False}
    return _apply(tree_flow, _payload(extension, flow.id) if extension is not None else {})


def _apply(target: Dict[str, Any], payload: Dict[str, Any]) -> Dict[str, Any]:
    for key, value in payload.items():
        if value == m.MISSING_MARK:
            target.pop(key, None)
        else:
            target[key] = value
    return target


def _payload(element: ET.Element, owner: str) -> Dict[str, Any]:
    text = (element.text or "").strip()
    if not text:
        return {}
    try:
        payload = json.loads(text)
    except ValueError as error:
        raise BpmnImportError(owner, f"bamboo:{_local(element.tag)} is not JSON: {error}")
    if not isinstance(payload, dict):
        raise BpmnImportError(owner, f"bamboo:{_local(element.tag)} is not a JSON object")
    return payload


def _extension(element: ET.Element, name: str) -> Optional[ET.Element]:
    extensions = element.find(_bpmn("extensionElements"))
    return extensions.find(f"{{{m.BAMBOO_NS}}}{name}") if extensions is not None else None


def _required(element: ET.Element, attribute: str) -> str:
    value = element.get(attribute)
    if not value:
        raise BpmnImportError(_name_of(element), f"{_local(element.tag)} without {attribute}")
    return value


def _name_of(element: ET.Element) -> str:
    element_id = element.get("id")
    return m.decode_id(element_id) if element_id else _local(element.tag)


def _bpmn(local: str) -> str:
    return f"{{{m.BPMN_NS}}}{local}"


def _di(local: str) -> str:
    return f"{{{m.BPMNDI_NS}}}{local}"


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]
