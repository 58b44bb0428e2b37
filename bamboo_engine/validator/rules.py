"""Connection rules per node type: in/out degree bounds and the node types a node may lead to.

Each rule is a dict ``{"min_in", "max_in", "min_out", "max_out", "allowed_out"}``. ``add_sink_type``
(:mod:`bamboo_engine.validator.api`) registers custom end-event types as sinks at run time.
"""

from typing import Any, Dict, List

MAX_IN = 1000
MAX_OUT = 1000

FLOW_NODES_WITHOUT_STARTEVENT: List[str] = [
    "ServiceActivity",
    "SubProcess",
    "SubCanvas",
    "EmptyEndEvent",
    "ExecutableEndEvent",
    "ParallelGateway",
    "ConditionalParallelGateway",
    "ExclusiveGateway",
    "ConvergeGateway",
]

FLOW_NODES_WITHOUT_START_AND_END = [
    "ServiceActivity",
    "SubProcess",
    "SubCanvas",
    "ParallelGateway",
    "ConditionalParallelGateway",
    "ExclusiveGateway",
    "ConvergeGateway",
]

SOURCE_RULE: Dict[str, Any] = {
    "min_in": 0,
    "max_in": 0,
    "min_out": 1,
    "max_out": 1,
    "allowed_out": FLOW_NODES_WITHOUT_START_AND_END,
}

SINK_RULE: Dict[str, Any] = {"min_in": 1, "max_in": MAX_IN, "min_out": 0, "max_out": 0, "allowed_out": []}

ACTIVITY_RULE: Dict[str, Any] = {
    "min_in": 1,
    "max_in": MAX_IN,
    "min_out": 1,
    "max_out": 1,
    "allowed_out": FLOW_NODES_WITHOUT_STARTEVENT,
}

EMIT_RULE: Dict[str, Any] = {
    "min_in": 1,
    "max_in": MAX_IN,
    "min_out": 1,
    "max_out": MAX_OUT,
    "allowed_out": FLOW_NODES_WITHOUT_STARTEVENT,
}

CONVERGE_RULE: Dict[str, Any] = {
    "min_in": 1,
    "max_in": MAX_IN,
    "min_out": 1,
    "max_out": 1,
    "allowed_out": FLOW_NODES_WITHOUT_STARTEVENT,
}

NODE_RULES: Dict[str, Dict[str, Any]] = {
    "EmptyStartEvent": SOURCE_RULE,
    "EmptyEndEvent": SINK_RULE,
    "ExecutableEndEvent": SINK_RULE,
    "ServiceActivity": ACTIVITY_RULE,
    "SubProcess": ACTIVITY_RULE,
    "SubCanvas": ACTIVITY_RULE,
    "ExclusiveGateway": EMIT_RULE,
    "ParallelGateway": EMIT_RULE,
    "ConditionalParallelGateway": EMIT_RULE,
    "ConvergeGateway": CONVERGE_RULE,
}
