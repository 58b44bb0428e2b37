"""What maps to what between a pipeline tree and BPMN 2.0, shared by the exporter and the importer.

Both directions call :func:`canonical_structure`: the exporter writes into a node's extension payload only
the keys that the BPMN structure does not reproduce, and the importer rebuilds a node from the BPMN
structure and then applies that payload. That is what makes tree → BPMN → tree an identity without the
exporter and importer having to agree on anything else.
"""

import re
from typing import Any, Dict, List, Optional

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
DC_NS = "http://www.omg.org/spec/DD/20100524/DC"
DI_NS = "http://www.omg.org/spec/DD/20100524/DI"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
#: Namespace of this package's extension elements (``bamboo:component``, ``bamboo:node``, ...).
BAMBOO_NS = "urn:bamboo-engine:bpmn:1"
TARGET_NAMESPACE = "urn:bamboo-engine:pipeline"

NAMESPACES = {
    "bpmn": BPMN_NS,
    "bpmndi": BPMNDI_NS,
    "dc": DC_NS,
    "di": DI_NS,
    "xsi": XSI_NS,
    "bamboo": BAMBOO_NS,
}

START_EVENT = "EmptyStartEvent"
END_EVENT = "EmptyEndEvent"
SERVICE_ACTIVITY = "ServiceActivity"
SUBPROCESS_TYPES = ("SubProcess", "SubCanvas")
CONVERGE = "ConvergeGateway"
#: Diverging gateway type → BPMN element; a ConvergeGateway is drawn as the kind of gateway it joins.
GATEWAY_ELEMENTS = {
    "ParallelGateway": "parallelGateway",
    "ExclusiveGateway": "exclusiveGateway",
    "ConditionalParallelGateway": "inclusiveGateway",
}
CONDITIONAL_GATEWAYS = ("ExclusiveGateway", "ConditionalParallelGateway")
LIST_OUTGOING = tuple(GATEWAY_ELEMENTS)

#: Tree keys that the BPMN process structure itself carries (everything else goes in ``bamboo:pipeline``).
TREE_STRUCTURE_KEYS = ("id", "start_event", "end_event", "activities", "gateways", "flows")
#: Node keys carried by BPMN attributes and children; a value that the structure cannot reproduce
#: exactly still goes into the payload.
NODE_STRUCTURE_KEYS = ("id", "name", "type", "incoming", "outgoing", "conditions", "default_condition")

#: Payload value meaning "the tree has no such key" (the BPMN structure alone would add it).
MISSING_MARK = {"$bamboo": "missing"}

#: Characters XML 1.0 cannot carry at all (not even escaped).
XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

# NCName letters kept as they are; everything else is written ``_xHHHH_`` (the XML name escape).
_NAME_START = re.compile(r"[A-Za-z_]")
_NAME_CHAR = re.compile(r"[A-Za-z0-9_.\-]")
_ESCAPE = re.compile(r"_x([0-9A-F]{4,6})_")
_PLAIN_NCNAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")


def encode_id(raw: str) -> str:
    """An XML ``ID`` (an NCName) for a tree id; ids made by the builder come out unchanged.

    Characters an NCName cannot hold, and an underscore that would read as the start of an escape, are
    written ``_xHHHH_``, so :func:`decode_id` restores any id exactly.
    """
    if _PLAIN_NCNAME.fullmatch(raw) and _ESCAPE.search(raw) is None:
        return raw
    out = []
    for index, char in enumerate(raw):
        allowed = _NAME_START if index == 0 else _NAME_CHAR
        literal_escape = char == "_" and _ESCAPE.match(raw, index) is not None
        out.append(char if allowed.match(char) and not literal_escape else f"_x{ord(char):04X}_")
    return "".join(out)


def decode_id(encoded: str) -> str:
    """The tree id an :func:`encode_id` result stands for."""
    return _ESCAPE.sub(lambda match: chr(int(match.group(1), 16)), encoded)


def io_value(node_type: str, flow_ids: List[str], is_incoming: bool) -> Any:
    """How a node lists its incoming or outgoing flows in the tree, given the BPMN references."""
    if is_incoming:
        return "" if node_type == START_EVENT and not flow_ids else list(flow_ids)
    if node_type in LIST_OUTGOING:
        return list(flow_ids)
    if not flow_ids:
        return ""
    return flow_ids[0] if len(flow_ids) == 1 else list(flow_ids)


def io_list(value: Any) -> List[str]:
    """The flow ids of a node's ``incoming``/``outgoing`` value (a string, a list or empty)."""
    if isinstance(value, str):
        return [value] if value else []
    if isinstance(value, list | tuple):
        return [item for item in value if isinstance(item, str)]
    return []


def canonical_structure(
    node_type: str,
    name: Optional[str],
    incoming: List[str],
    outgoing: List[str],
    conditions: Dict[str, dict],
    default_flow: Optional[str],
) -> Dict[str, Any]:
    """The structural keys of a node as rebuilt from what BPMN expresses."""
    node: Dict[str, Any] = {
        "name": name,
        "type": node_type,
        "incoming": io_value(node_type, incoming, True),
        "outgoing": io_value(node_type, outgoing, False),
    }
    if node_type in CONDITIONAL_GATEWAYS:
        node["conditions"] = dict(conditions)
        node["default_condition"] = {"flow_id": default_flow} if default_flow else {}
    return node


def service_activity_defaults() -> Dict[str, Any]:
    """Keys of a ServiceActivity imported from BPMN that carries no payload (drawn in a modeler)."""
    return {
        "error_ignorable": False,
        "timeout": None,
        "skippable": True,
        "retryable": True,
        "optional": False,
    }
