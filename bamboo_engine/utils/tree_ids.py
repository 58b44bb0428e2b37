"""Give every element of a pipeline tree a fresh id, so one tree can be started many times.

A started tree's ids become row keys (a node's state, data, context); starting the same tree twice
would reuse them. A stored tree (a periodic task's snapshot) is therefore copied with new ids for each
run: the root and subprocess pipelines, events, activities, gateways and flows.
"""

import copy
from typing import Any, Dict, Tuple

from bamboo_engine.utils.string import unique_id

_NODE_GROUPS = ("activities", "gateways", "flows")


def _collect_ids(pipeline: Dict[str, Any], mapping: Dict[str, str]) -> None:
    mapping[pipeline["id"]] = unique_id("p")
    for event_key in ("start_event", "end_event"):
        event = pipeline.get(event_key)
        if isinstance(event, dict) and "id" in event:
            mapping[event["id"]] = unique_id("e")
    for group in _NODE_GROUPS:
        prefix = "l" if group == "flows" else "n"
        for element_id, element in (pipeline.get(group) or {}).items():
            mapping[element_id] = unique_id(prefix)
            child = element.get("pipeline") if isinstance(element, dict) else None
            if isinstance(child, dict) and "id" in child:
                _collect_ids(child, mapping)


def _rewrite(value: Any, mapping: Dict[str, str]) -> Any:
    if isinstance(value, str):
        return mapping.get(value, value)
    if isinstance(value, dict):
        return {mapping.get(key, key): _rewrite(item, mapping) for key, item in value.items()}
    if isinstance(value, list):
        return [_rewrite(item, mapping) for item in value]
    return value


def replace_all_ids(pipeline_tree: Dict[str, Any]) -> Tuple[Dict[str, Any], Dict[str, str]]:
    """A deep copy of ``pipeline_tree`` with new ids, and the ``{old id: new id}`` map.

    Every string and every dict key of the tree that equals an element id is replaced, wherever it is
    (``incoming``/``outgoing``, flow ends, gateway conditions, ``converge_gateway_id``, output references
    ``source_act``). Ids are 33-character random strings, so a data value equal to one is not a concern.
    The input tree is not modified.
    """
    mapping: Dict[str, str] = {}
    _collect_ids(pipeline_tree, mapping)
    return _rewrite(copy.deepcopy(pipeline_tree), mapping), mapping
